import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { loadSidecarConfig, sidecarConfigFromFile } from './config.ts';

const minimal = {
  apiVersion: 'qshield.io/sidecar-config/v1alpha1',
  kind: 'SidecarConfig',
  gateway: { url: 'https://gw.pay.svc:9443', spiffeId: 'spiffe://cluster.local/ns/pay/sa/gateway' },
  identity: { certificateFile: 'svid/svid.crt', keyFile: 'svid/svid.key', trustBundleFile: '/etc/qshield/bundle.pem' },
  messageKeyring: { dir: 'keyring' },
};

function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    sidecarConfigFromFile(raw, '/conf');
  } catch (err) {
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    return (err as { details: { problems: { path: string; message: string }[] } }).details.problems;
  }
  throw new Error('accepted');
}

const dir = mkdtempSync(join(tmpdir(), 'qshield-sidecar-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sidecarConfigFromFile', () => {
  it('fills in defaults, resolves paths against the file and turns durations into milliseconds', () => {
    expect(sidecarConfigFromFile(minimal, '/conf')).toMatchObject({
      listen: { kind: 'tcp', host: '127.0.0.1', port: 8080 },
      gateway: { url: 'https://gw.pay.svc:9443', channel: undefined, connections: 4, pipelining: 8, longPollConnections: 16, connectTimeoutMs: 5000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 20_000, putRetries: 2 },
      identity: { certificateFile: '/conf/svid/svid.crt', keyFile: '/conf/svid/svid.key', trustBundleFile: '/etc/qshield/bundle.pem' },
      messageKeyring: { dir: '/conf/keyring' },
      delivery: { getVisibilityMs: 30_000, defaultLeaseVisibilityMs: 30_000, maxLeaseVisibilityMs: 900_000 },
      policyRefreshIntervalMs: 10_000,
      reloadIntervalMs: 1000,
      admin: { host: '127.0.0.1', port: 9091 },
      limits: { maxBodyBytes: 4_194_304, maxWaitMs: 60_000, maxHeaderBytes: 16_384 },
      drainTimeoutMs: 10_000,
      logLevel: 'info',
    });
  });

  it('takes a Unix socket instead of a port', () => {
    expect(sidecarConfigFromFile({ ...minimal, listen: { socketPath: 'run/app.sock' } }, '/conf').listen).toEqual({ kind: 'unix', socketPath: '/conf/run/app.sock' });
  });

  it('is frozen', () => {
    const config = sidecarConfigFromFile(minimal, '/conf');
    expect(Object.isFrozen(config.gateway)).toBe(true);
  });

  it('lists every problem at once, each with its JSON path', () => {
    const problems = problemsOf({
      ...minimal,
      listen: { host: '0.0.0.0', port: 8080 },
      gateway: { url: 'http://gw/path?x=1', spiffeId: 'not-an-id', connections: 0, typo: 1 },
      delivery: { getVisibilityTimeout: '2h', defaultLeaseVisibility: '20m', maxLeaseVisibility: '10m' },
      reloadInterval: '5',
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['$.gateway.connections', '$.gateway.typo']));
    // Shape problems are reported first; once the shape is right, the rules that span fields:
    const rules = problemsOf({
      ...minimal,
      listen: { host: '0.0.0.0', port: 8080 },
      gateway: { url: 'http://gw/path?x=1', spiffeId: 'not-an-id' },
      delivery: { getVisibilityTimeout: '2h', defaultLeaseVisibility: '20m', maxLeaseVisibility: '10m' },
      reloadInterval: '5',
    });
    expect(rules.map((p) => p.path)).toEqual(expect.arrayContaining([
      '$.listen.host', '$.gateway.url', '$.gateway.spiffeId', '$.delivery.getVisibilityTimeout', '$.delivery.defaultLeaseVisibility', '$.reloadInterval',
    ]));
    expect(rules.find((p) => p.path === '$.listen.host')?.message).toMatch(/loopback/);
  });

  it('refuses socketPath together with host or port', () => {
    expect(problemsOf({ ...minimal, listen: { socketPath: 'a.sock', port: 1 } }).map((p) => p.path)).toContain('$.listen');
  });

  it.each([['apiVersion', 'qshield.io/sidecar-config/v2'], ['kind', 'GatewayConfig']])('refuses another %s', (field, value) => {
    expect(problemsOf({ ...minimal, [field]: value }).map((p) => p.path)).toContain(`$.${field}`);
  });

  it('never throws anything but ERR_CONFIG_INVALID for any JSON value (fuzz)', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.record({ apiVersion: fc.constant(minimal.apiVersion), kind: fc.constant(minimal.kind), gateway: fc.jsonValue(), listen: fc.jsonValue(), delivery: fc.jsonValue() })), (raw) => {
      try {
        sidecarConfigFromFile(raw, '/conf');
      } catch (err) {
        expect(err instanceof AppError && err.code === 'ERR_CONFIG_INVALID').toBe(true);
      }
    }), { numRuns: 500 });
  });
});

describe('loadSidecarConfig', () => {
  it('reads a file and resolves paths against its directory', () => {
    const file = join(dir, 'sidecar.json');
    writeFileSync(file, JSON.stringify(minimal));
    expect(loadSidecarConfig(file).messageKeyring.dir).toBe(join(dir, 'keyring'));
  });

  it('refuses repeated keys and text that is not JSON', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"apiVersion": "a", "apiVersion": "b"}');
    expect(() => loadSidecarConfig(file)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    writeFileSync(file, '{');
    expect(() => loadSidecarConfig(file)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('says ERR_FILE_IO for a missing file', () => {
    expect(() => loadSidecarConfig(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'ERR_FILE_IO' }));
  });
});
