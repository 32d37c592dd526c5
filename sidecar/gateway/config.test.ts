import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayConfigFromFile, loadGatewayConfig } from './config.ts';

const minimal = {
  apiVersion: 'qshield.io/gateway-config/v1alpha1',
  kind: 'GatewayConfig',
  identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: '/etc/qshield/bundle.pem' },
  policyBundleFile: 'policy/bundle.json',
  broker: { driver: 'amqp', url: 'amqp://127.0.0.1:5672/', usernameFile: 'user', passwordFile: 'pass' },
};

function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    gatewayConfigFromFile(raw, '/conf');
  } catch (err) {
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    return (err as { details: { problems: { path: string; message: string }[] } }).details.problems;
  }
  throw new Error('accepted');
}

const dir = mkdtempSync(join(tmpdir(), 'qshield-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('gatewayConfigFromFile', () => {
  it('fills in defaults, resolves paths against the file and turns durations into milliseconds', () => {
    const config = gatewayConfigFromFile(minimal, '/conf');
    expect(config).toMatchObject({
      listen: { host: '0.0.0.0', port: 9443 },
      identity: { certificateFile: '/conf/svid.crt', keyFile: '/conf/svid.key', trustBundleFile: '/etc/qshield/bundle.pem' },
      policyBundleFile: '/conf/policy/bundle.json',
      broker: { driver: 'amqp', usernameFile: '/conf/user', passwordFile: '/conf/pass' },
      admin: { host: '127.0.0.1', port: 9090 },
      limits: { maxWaitMs: 60_000, maxLongPollsPerPeer: 16, maxHeaderBytes: 16_384, keepAliveTimeoutMs: 30_000 },
      idempotency: { windowMs: 600_000, maxEntries: 100_000 },
      reloadIntervalMs: 1000,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config.limits)).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    const problems = problemsOf({
      ...minimal,
      apiVersion: 'qshield.io/gateway-config/v2',
      listen: { port: 70000 },
      identity: { certificateFile: 'a', keyFile: 'b' },
      broker: { driver: 'amqp', url: 'amqp://guest:guest@rabbit/', usernameFile: 'u' },
      limits: { maxWait: '5 minutes', maxLongPollsPerPeer: 0 },
      colour: 'blue',
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining([
      '$.apiVersion', '$.listen.port', '$.identity.trustBundleFile', '$.limits.maxLongPollsPerPeer', '$.colour',
    ]));
  });

  it('reports the cross-field problems of a shape-valid file together', () => {
    const problems = problemsOf({
      ...minimal,
      broker: { driver: 'amqp', url: 'amqp://guest:guest@rabbit/', usernameFile: 'u' },
      limits: { maxWait: '5 minutes', headersTimeout: '2m', requestTimeout: '1m' },
      securityEvents: { sink: { url: 'ftp://siem' } },
    });
    expect(problems).toEqual(expect.arrayContaining([
      { path: '$.broker.url', message: 'must not carry credentials: give usernameFile and passwordFile' },
      { path: '$.broker', message: 'usernameFile and passwordFile go together' },
      { path: '$.limits.maxWait', message: expect.stringContaining('is not a duration') },
      { path: '$.limits.headersTimeout', message: 'must not be longer than requestTimeout' },
      { path: '$.securityEvents.sink.url', message: 'must be an https:// URL' },
    ]));
  });

  it('refuses amqp settings on the memory driver and requires a URL for amqp', () => {
    expect(problemsOf({ ...minimal, broker: { driver: 'memory', url: 'amqp://x/' } })).toEqual([{ path: '$.broker.url', message: 'applies to the amqp driver only' }]);
    expect(problemsOf({ ...minimal, broker: { driver: 'amqp' } })).toEqual([{ path: '$.broker.url', message: 'is required for the amqp driver' }]);
    expect(problemsOf({ ...minimal, broker: { driver: 'memory', readAhead: {} } })).toEqual([{ path: '$.broker.readAhead', message: 'applies to the amqp driver only' }]);
  });

  it('leaves read-ahead off unless given, and fills in its defaults when it is', () => {
    expect(gatewayConfigFromFile(minimal, '/conf').broker.readAhead).toBeUndefined();
    expect(gatewayConfigFromFile({ ...minimal, broker: { ...minimal.broker, readAhead: {} } }, '/conf').broker.readAhead).toEqual({ prefetch: 16, hotGetsPerSecond: 20, idleMs: 1000 });
    expect(gatewayConfigFromFile({ ...minimal, broker: { ...minimal.broker, readAhead: { prefetch: 4, hotGetsPerSecond: 100, idle: '250ms' } } }, '/conf').broker.readAhead)
      .toEqual({ prefetch: 4, hotGetsPerSecond: 100, idleMs: 250 });
    expect(problemsOf({ ...minimal, broker: { ...minimal.broker, readAhead: { prefetch: 0 } } }).map((p) => p.path)).toEqual(['$.broker.readAhead.prefetch']);
  });
});

describe('loadGatewayConfig', () => {
  it('reads a file and resolves its paths against the file\'s directory', () => {
    const file = join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify(minimal));
    expect(loadGatewayConfig(file).policyBundleFile).toBe(join(dir, 'policy/bundle.json'));
  });

  it('refuses bad JSON and repeated keys with ERR_CONFIG_INVALID, and a missing file with ERR_FILE_IO', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"kind": ');
    expect(() => loadGatewayConfig(bad)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    const repeated = join(dir, 'repeated.json');
    writeFileSync(repeated, JSON.stringify(minimal).replace('"kind":"GatewayConfig"', '"kind":"GatewayConfig","kind":"GatewayConfig"'));
    expect(() => loadGatewayConfig(repeated)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', details: expect.objectContaining({ problems: [{ path: '$.kind', message: 'repeats a key of the same object' }] }) }));
    expect(() => loadGatewayConfig(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'ERR_FILE_IO' }));
  });
});
