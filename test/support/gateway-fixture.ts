// A gateway started in-process for integration tests: a temporary directory with its SVID, key,
// trust bundle, policy bundle and configuration files (all from the real identity code), the
// gateway on 127.0.0.1 port 0 with a captured log, and mTLS clients made with undici.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { captureLogs, createLogger, type CapturedLogs } from '../../lib/log/index.ts';
import type { BrokerDriver } from '../../sidecar/drivers/driver.ts';
import { MemoryDriver } from '../../sidecar/drivers/memory/memory-driver.ts';
import { gatewayConfigFromFile } from '../../sidecar/gateway/config.ts';
import { runGateway, type RunningGateway } from '../../sidecar/gateway/run-gateway.ts';
import { issueLeaf, sharedCa, type TestCa, type TestLeaf } from '../pki/index.ts';

export const TD = 'example.org';
export const GATEWAY_ID = `spiffe://${TD}/ns/qshield/sa/gateway`;
export const app = (name: string): string => `spiffe://${TD}/ns/app/sa/${name}`;

/** The policy bundle most gateway tests use: one queue manager QM1 with a few channels. */
export function testBundle(revision = 'test/1'): Record<string, unknown> {
  return {
    apiVersion: 'qshield.io/policy-bundle/v1alpha1',
    revision,
    queueManagerName: 'QM1',
    trustDomain: TD,
    queues: [
      { name: 'APP.IN' }, { name: 'APP.OUT' }, { name: 'APP.SMALL', maxMessageLength: 1024 }, { name: 'APP.SHALLOW', maxDepth: 2 },
      { name: 'PROT.INT' }, { name: 'PROT.PRIV' }, { name: 'PROT.TOLERANT' }, { name: 'PQ.ONLY' },
    ],
    topics: [{ name: 'PRICES', topicString: 'prices' }],
    authorities: [
      { principal: 'apps', objectType: 'qmgr', permissions: ['connect'] },
      { principal: 'apps', objectType: 'queue', profile: '**', permissions: ['put', 'get', 'browse', 'inq'] },
      { principal: 'apps', objectType: 'topic', profile: 'PRICES', permissions: ['pub', 'sub'] },
      { principal: app('reader'), objectType: 'qmgr', permissions: ['connect'] },
      { principal: app('reader'), objectType: 'queue', profile: 'APP.*', permissions: ['browse'] },
    ],
    channels: [
      {
        name: 'apps',
        rules: [
          { peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' },
          { peer: app('reader'), action: 'allow' },
          { peer: app('noconnect'), action: 'allow' },
          { peer: app('blocked'), action: 'block', description: 'retired' },
        ],
      },
      {
        name: 'pq',
        tls: { minVersion: 'TLSv1.3', keyExchange: 'hybrid-required' },
        rules: [{ peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' }],
      },
      {
        name: 'limited',
        rules: [{ peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' }],
        maxMessageLength: 2048,
        rateLimit: { messagesPerSecond: 5, burst: 5 },
      },
      {
        name: 'legacy',
        tls: { minVersion: 'TLSv1.2', keyExchange: 'classical' },
        rules: [{ peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' }],
      },
    ],
    protectionPolicies: [
      { name: 'int', queue: 'PROT.INT', qualityOfProtection: 'Integrity', authorizedSigners: [app('signer')] },
      { name: 'priv', queue: 'PROT.PRIV', qualityOfProtection: 'Privacy', authorizedSigners: [app('signer')], recipients: [app('consumer')] },
      { name: 'tol', queue: 'PROT.TOLERANT', qualityOfProtection: 'Integrity', toleration: true },
      { name: 'pq', queue: 'PQ.ONLY', qualityOfProtection: 'None', minimumChannelStrength: 'HybridPostQuantum' },
    ],
  };
}

export interface ClientOptions {
  /** The channel to name (TLS server name); default none (the default channel). */
  readonly channel?: string;
  /** Groups the client offers (OpenSSL syntax); default Node's (hybrid first). */
  readonly groups?: string;
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Connections of the pool; default 1. */
  readonly connections?: number;
  /** Leave out the client certificate. */
  readonly anonymous?: boolean;
  /** PEM roots the client trusts instead of the fixture CA's (rotation tests). */
  readonly trust?: string;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
  /** The parsed JSON body, when it is JSON. */
  readonly json: unknown;
}

export interface GatewayFixture {
  readonly dir: string;
  readonly ca: TestCa;
  readonly logs: CapturedLogs;
  readonly driver: BrokerDriver;
  readonly running: RunningGateway;
  readonly url: string;
  readonly files: { readonly cert: string; readonly key: string; readonly bundle: string; readonly policy: string; readonly config: string };
  /** An undici pool for `leaf` (a workload SVID) with the gateway's trust bundle. */
  client(leaf: TestLeaf, options?: ClientOptions): Pool;
  /** Security events logged so far, optionally of one action. */
  events(action?: string): Record<string, unknown>[];
  writePolicy(bundle: unknown): void;
  writeIdentity(leaf: TestLeaf, bundlePem?: string): void;
  close(): Promise<void>;
}

export interface FixtureOptions {
  readonly bundle?: Record<string, unknown>;
  readonly driver?: BrokerDriver;
  /** Fields merged into the configuration file. */
  readonly config?: Record<string, unknown>;
  readonly ca?: TestCa;
}

/** Checks the gateway by its SPIFFE id, not by host name (the server name is the channel). */
export function checkGatewayIdentity(_host: string, cert: PeerCertificate): Error | undefined {
  return cert.subjectaltname?.split(', ').includes(`URI:${GATEWAY_ID}`) ? undefined : new Error(`the server is not ${GATEWAY_ID}`);
}

/** The connect options of an undici client for `leaf` against the fixture's CA. */
export function connectOptions(ca: TestCa, leaf: TestLeaf | undefined, options: ClientOptions = {}): Record<string, unknown> {
  return {
    ca: options.trust ?? ca.bundlePem,
    ...(leaf === undefined || options.anonymous ? {} : { cert: leaf.chainPem, key: leaf.keyPem }),
    ...(options.channel === undefined ? {} : { servername: options.channel }),
    ...(options.groups === undefined ? {} : { ecdhCurve: options.groups }),
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
    checkServerIdentity: checkGatewayIdentity,
  };
}

/** A raw mTLS socket to a gateway with `leaf`, for requests undici would not send (pipelined, malformed, abandoned). */
export function rawGatewaySocket(gatewayUrl: string, ca: TestCa, leaf: TestLeaf): Promise<TLSSocket> {
  const url = new URL(gatewayUrl);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ...connectOptions(ca, leaf) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends one request and reads the whole answer. */
export async function call(client: Dispatcher, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  const res = await client.request({
    path, method: method as Dispatcher.HttpMethod,
    headers: { ...(method === 'POST' || method === 'DELETE' ? { 'ibm-mq-rest-csrf-token': 'x' } : {}), ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const text = body.toString('utf8');
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, headers: res.headers, body, text, json: type.startsWith('application/json') ? JSON.parse(text) as unknown : undefined };
}

export const Q = (queue: string, version = 'v3'): string => `/ibmmq/rest/${version}/messaging/qmgr/QM1/queue/${encodeURIComponent(queue)}/message`;

/** Starts a gateway on 127.0.0.1 port 0 (admin on port 0 too), memory driver unless given one. */
export async function startGatewayFixture(options: FixtureOptions = {}): Promise<GatewayFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'qshield-gateway-'));
  const ca = options.ca ?? sharedCa(TD);
  const files = { cert: join(dir, 'svid.crt'), key: join(dir, 'svid.key'), bundle: join(dir, 'bundle.pem'), policy: join(dir, 'policy.json'), config: join(dir, 'gateway.json') };
  const gatewayLeaf = issueLeaf(GATEWAY_ID, { ca });
  writeFileSync(files.cert, gatewayLeaf.chainPem);
  writeFileSync(files.key, gatewayLeaf.keyPem);
  writeFileSync(files.bundle, ca.bundlePem);
  writeFileSync(files.policy, JSON.stringify(options.bundle ?? testBundle()));
  const rawConfig = {
    apiVersion: 'qshield.io/gateway-config/v1alpha1',
    kind: 'GatewayConfig',
    listen: { host: '127.0.0.1', port: 0 },
    identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: 'bundle.pem' },
    policyBundleFile: 'policy.json',
    defaultChannel: 'apps',
    broker: { driver: 'memory' },
    admin: { host: '127.0.0.1', port: 0 },
    reloadInterval: '50ms',
    drainTimeout: '2s',
    ...options.config,
  };
  writeFileSync(files.config, JSON.stringify(rawConfig, null, 2));
  const config = gatewayConfigFromFile(rawConfig, dir);
  const logs = captureLogs();
  const log = createLogger({ component: 'gateway', level: 'info', destination: logs });
  // A configured amqp broker is created by the gateway itself, from the configuration.
  const given = options.driver ?? (config.broker.driver === 'memory' ? new MemoryDriver() : undefined);
  const running = await runGateway(config, { log, ...(given === undefined ? {} : { driver: given }) });
  const driver = running.driver;
  const clients: Dispatcher[] = [];
  return {
    dir, ca, logs, driver, running, files,
    url: running.gateway.url,
    client(leaf, clientOptions = {}) {
      const pool = new Pool(running.gateway.url, { connections: clientOptions.connections ?? 1, connect: connectOptions(ca, leaf, clientOptions) });
      clients.push(pool);
      return pool;
    },
    events(action) {
      return logs.lines.filter((l) => l.module === 'security-events' && (action === undefined || (l.event as { action?: string } | undefined)?.action === action));
    },
    writePolicy(bundle) {
      writeFileSync(files.policy, JSON.stringify(bundle));
    },
    writeIdentity(leaf, bundlePem) {
      writeFileSync(files.key, leaf.keyPem);
      writeFileSync(files.cert, leaf.chainPem);
      if (bundlePem !== undefined) writeFileSync(files.bundle, bundlePem);
    },
    async close() {
      await Promise.allSettled(clients.map((c) => c.destroy()));
      await running.close({ deadlineMs: 1000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

