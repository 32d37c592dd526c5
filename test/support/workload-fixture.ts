// A whole qshield deployment for end-to-end tests, on real sockets: one gateway (in-process, a
// driver of the test's choosing) and workload sidecars, each with its own SVID and message
// keyring written to disk exactly as the operator would, started in-process or as child
// processes (`qshield sidecar --config FILE`). Also the app side: REST calls to a sidecar.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, type Dispatcher } from 'undici';
import { captureLogs, createLogger, type CapturedLogs } from '../../lib/log/index.ts';
import type { BrokerDriver } from '../../sidecar/drivers/driver.ts';
import { gatewayConfigFromFile } from '../../sidecar/gateway/config.ts';
import { runGateway, type RunningGateway } from '../../sidecar/gateway/run-gateway.ts';
import { sidecarConfigFromFile } from '../../sidecar/workload/config.ts';
import { startWorkloadSidecar, type WorkloadSidecar } from '../../sidecar/workload/workload-sidecar.ts';
import { issueLeaf, makeCa, type TestCa, type TestLeaf } from '../pki/index.ts';

export const TD = 'example.org';
export const QM = 'QM1';
export const GATEWAY_ID = `spiffe://${TD}/ns/qshield/sa/gateway`;
export const workloadId = (name: string): string => `spiffe://${TD}/ns/app/sa/${name}`;
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DAY = 86_400_000;

/** The policy bundle of the end-to-end tests: one queue per QoP, a tolerant queue and a protected topic. */
export function e2eBundle(options: { producer?: string; consumer?: string; intruder?: string; revision?: string } = {}): Record<string, unknown> {
  const producer = workloadId(options.producer ?? 'producer');
  const consumer = workloadId(options.consumer ?? 'consumer');
  return {
    apiVersion: 'qshield.io/policy-bundle/v1alpha1',
    revision: options.revision ?? 'e2e/1',
    queueManagerName: QM,
    trustDomain: TD,
    queues: [
      { name: 'Q.PLAIN' }, { name: 'Q.INT' }, { name: 'Q.PRIV' }, { name: 'Q.CONF' }, { name: 'Q.TOL' }, { name: 'Q.BULK', maxDepth: 20_000 }, { name: 'Q.BIG', maxMessageLength: 16_777_216 },
      { name: 'SYSTEM.PROTECTION.ERROR.QUEUE', maxDepth: 10_000, maxMessageLength: 16_842_761 },
    ],
    topics: [{ name: 'PRICES', topicString: 'prices' }],
    authorities: [
      { principal: 'apps', objectType: 'qmgr', permissions: ['connect', 'inq'] },
      { principal: 'apps', objectType: 'queue', profile: 'Q.**', permissions: ['put', 'get', 'browse', 'inq'] },
      { principal: 'apps', objectType: 'topic', profile: 'PRICES', permissions: ['pub', 'sub'] },
      { principal: 'admins', objectType: 'qmgr', permissions: ['connect'] },
      { principal: 'admins', objectType: 'queue', profile: 'SYSTEM.PROTECTION.ERROR.QUEUE', permissions: ['get', 'browse'] },
    ],
    channels: [{
      name: 'apps',
      maxMessageLength: 16_777_216,
      rules: [
        { peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' },
        { peer: `spiffe://${TD}/ns/ops/sa/*`, action: 'map', principal: 'admins' },
      ],
    }],
    protectionPolicies: [
      { name: 'int', queue: 'Q.INT', qualityOfProtection: 'Integrity', authorizedSigners: [producer] },
      { name: 'priv', queue: 'Q.PRIV', qualityOfProtection: 'Privacy', authorizedSigners: [producer], recipients: [consumer] },
      { name: 'conf', queue: 'Q.CONF', qualityOfProtection: 'Confidentiality', recipients: [consumer], keyReuse: { count: 100, maxAgeSeconds: 300 } },
      { name: 'big', queue: 'Q.BIG', qualityOfProtection: 'Confidentiality', recipients: [consumer], keyReuse: { count: 100, maxAgeSeconds: 300 } },
      { name: 'bulk', queue: 'Q.BULK', qualityOfProtection: 'Confidentiality', recipients: [consumer], keyReuse: { count: 1000, maxAgeSeconds: 300 } },
      { name: 'tol', queue: 'Q.TOL', qualityOfProtection: 'Integrity', authorizedSigners: [producer], toleration: true },
      { name: 'prices', topic: 'PRICES', qualityOfProtection: 'Privacy', authorizedSigners: [producer], recipients: [consumer] },
    ],
  };
}

export interface WorkloadFiles {
  readonly name: string;
  readonly spiffeId: string;
  readonly dir: string;
  readonly keyringDir: string;
  readonly configFile: string;
  /** The configuration file's contents (paths relative to `dir`). */
  readonly rawConfig: Record<string, unknown>;
  /** The SVID (transport identity). */
  readonly svid: TestLeaf;
  /** Message key generations written so far, by number. */
  readonly generations: Map<number, TestLeaf>;
}

export interface Deployment {
  readonly root: string;
  readonly ca: TestCa;
  readonly gateway: RunningGateway;
  readonly gatewayLogs: CapturedLogs;
  readonly gatewayUrl: string;
  readonly messageCertsDir: string;
  /** Writes a workload's SVID, first keyring generation and configuration; publishes its message certificate. */
  addWorkload(name: string, options?: { config?: Record<string, unknown>; publish?: boolean; spiffeId?: string }): WorkloadFiles;
  /**
   * Adds message key generation `n` to a workload's keyring directory and (unless `publish` is
   * false) publishes its certificate to the gateway.
   */
  addGeneration(w: WorkloadFiles, n: number, options?: { publish?: boolean; notBefore?: Date }): TestLeaf;
  /** Removes generation `n` from the keyring directory (and its published certificate). */
  removeGeneration(w: WorkloadFiles, n: number): void;
  /** Starts a workload's sidecar in this process. */
  startSidecar(w: WorkloadFiles): Promise<InProcessSidecar>;
  /** Starts a workload's sidecar as a child process; resolves once it listens. */
  spawnSidecar(w: WorkloadFiles): Promise<ChildSidecar>;
  /** A direct mTLS client of the gateway for a workload's SVID (what a rogue sidecar could do). */
  gatewayClient(leaf: TestLeaf): Pool;
  writePolicy(bundle: Record<string, unknown>): void;
  close(): Promise<void>;
}

export interface InProcessSidecar {
  readonly sidecar: WorkloadSidecar;
  readonly logs: CapturedLogs;
  readonly url: string;
  /** Security events the sidecar logged, optionally of one action. */
  events(action?: string): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface ChildSidecar {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the child wrote on stderr and stdout so far. */
  output(): string;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (drain), and wait for the exit. */
  stop(): Promise<void>;
}

function writePem(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

export interface DeploymentOptions {
  /** A RabbitMQ to use (`amqp://user:password@host:port`): the gateway gets its credentials as files. */
  readonly amqpUrl?: string;
  readonly driver?: BrokerDriver;
  /** Gateway config fields (merged). */
  readonly gatewayConfig?: Record<string, unknown>;
  readonly bundle?: Record<string, unknown>;
}

/**
 * Writes a gateway's SVID (`svid.crt`, `svid.key`), trust bundle (`bundle.pem`) and, for an
 * `amqpUrl`, its broker credentials as files into `dir`; returns the configuration's `broker`
 * section (memory driver without `amqpUrl`).
 */
export function writeGatewayFiles(dir: string, ca: TestCa, options: { amqpUrl?: string; spiffeId?: string } = {}): Record<string, unknown> {
  const { amqpUrl, spiffeId = GATEWAY_ID } = options;
  const gatewayLeaf = issueLeaf(spiffeId, { ca });
  writePem(join(dir, 'svid.crt'), gatewayLeaf.chainPem);
  writePem(join(dir, 'svid.key'), gatewayLeaf.keyPem);
  writePem(join(dir, 'bundle.pem'), ca.bundlePem);
  if (amqpUrl === undefined) return { driver: 'memory' };
  const u = new URL(amqpUrl);
  writePem(join(dir, 'broker-username'), decodeURIComponent(u.username));
  writePem(join(dir, 'broker-password'), decodeURIComponent(u.password));
  u.username = '';
  u.password = '';
  return { driver: 'amqp', url: u.toString(), usernameFile: 'broker-username', passwordFile: 'broker-password' };
}

/** The gateway configuration of a deployment here: the files of writeGatewayFiles, `policy.json`, `message-certs/`, port 0. */
export function gatewayConfigBase(broker: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'qshield.io/gateway-config/v1alpha1',
    kind: 'GatewayConfig',
    listen: { host: '127.0.0.1', port: 0 },
    identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: 'bundle.pem' },
    policyBundleFile: 'policy.json',
    messageCertificatesDir: 'message-certs',
    defaultChannel: 'apps',
    broker,
    admin: { host: '127.0.0.1', port: 0 },
  };
}

/** Writes a CA, a gateway and its files, and starts the gateway on 127.0.0.1 port 0. */
export async function startDeployment(options: DeploymentOptions = {}): Promise<Deployment> {
  const root = mkdtempSync(join(tmpdir(), 'qshield-e2e-'));
  const ca = makeCa({ trustDomain: TD });
  const gwDir = join(root, 'gateway');
  const messageCertsDir = join(gwDir, 'message-certs');
  mkdirSync(messageCertsDir, { recursive: true });
  const broker = writeGatewayFiles(gwDir, ca, options.amqpUrl === undefined ? {} : { amqpUrl: options.amqpUrl });
  const policyFile = join(gwDir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(options.bundle ?? e2eBundle()));
  const rawGateway = {
    ...gatewayConfigBase(broker),
    reloadInterval: '100ms',
    drainTimeout: '2s',
    log: { level: 'warn' },
    ...options.gatewayConfig,
  };
  writeFileSync(join(gwDir, 'gateway.json'), JSON.stringify(rawGateway, null, 2));
  const gatewayLogs = captureLogs();
  const gatewayLog = createLogger({ component: 'gateway', level: 'warn', destination: gatewayLogs });
  const gateway = await runGateway(gatewayConfigFromFile(rawGateway, gwDir), { log: gatewayLog, ...(options.driver === undefined ? {} : { driver: options.driver }) });
  const gatewayUrl = gateway.gateway.url;
  // Ready: the broker is connected and the queues are declared.
  const readyBy = Date.now() + 30_000;
  while (!gateway.gateway.readiness().ok) {
    if (Date.now() > readyBy) throw new Error(`the gateway did not become ready: ${gateway.gateway.readiness().reason ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const started: InProcessSidecar[] = [];
  const children: ChildSidecar[] = [];
  const pools: Pool[] = [];

  const publish = (w: { name: string }, n: number, leaf: TestLeaf) => writeFileSync(join(messageCertsDir, `${w.name}-gen-${n}.crt`), leaf.chainPem);

  const deployment: Deployment = {
    root, ca, gateway, gatewayLogs, gatewayUrl, messageCertsDir,
    addWorkload(name, workloadOptions = {}) {
      const dir = join(root, name);
      const keyringDir = join(dir, 'message-keyring');
      mkdirSync(keyringDir, { recursive: true });
      const spiffeId = workloadOptions.spiffeId ?? workloadId(name);
      const svid = issueLeaf(spiffeId, { ca });
      writePem(join(dir, 'svid.crt'), svid.chainPem);
      writePem(join(dir, 'svid.key'), svid.keyPem);
      writePem(join(dir, 'bundle.pem'), ca.bundlePem);
      const rawConfig = {
        apiVersion: 'qshield.io/sidecar-config/v1alpha1',
        kind: 'SidecarConfig',
        listen: { host: '127.0.0.1', port: 0 },
        gateway: { url: gatewayUrl, spiffeId: GATEWAY_ID, channel: 'apps' },
        identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: 'bundle.pem' },
        messageKeyring: { dir: 'message-keyring' },
        policyRefreshInterval: '1s',
        reloadInterval: '100ms',
        admin: { host: '127.0.0.1', port: 0 },
        drainTimeout: '1s',
        log: { level: 'info' },
        ...workloadOptions.config,
      };
      const configFile = join(dir, 'sidecar.json');
      writeFileSync(configFile, JSON.stringify(rawConfig, null, 2));
      const w: WorkloadFiles = { name, spiffeId, dir, keyringDir, configFile, rawConfig, svid, generations: new Map() };
      this.addGeneration(w, 1, { publish: workloadOptions.publish ?? true });
      return w;
    },
    addGeneration(w, n, genOptions = {}) {
      // Message certificates live longer than SVIDs (DESIGN.md, Message identity).
      const leaf = issueLeaf(w.spiffeId, { ca, ttlMs: 30 * DAY, ...(genOptions.notBefore === undefined ? {} : { now: new Date(genOptions.notBefore.getTime() + 5 * 60_000) }) });
      writePem(join(w.keyringDir, `gen-${n}.key`), leaf.keyPem);
      writePem(join(w.keyringDir, `gen-${n}.crt`), leaf.chainPem);
      w.generations.set(n, leaf);
      if (genOptions.publish ?? true) publish(w, n, leaf);
      return leaf;
    },
    removeGeneration(w, n) {
      for (const f of [join(w.keyringDir, `gen-${n}.crt`), join(w.keyringDir, `gen-${n}.key`), join(messageCertsDir, `${w.name}-gen-${n}.crt`)]) {
        try {
          unlinkSync(f);
        } catch {
          // already gone
        }
      }
      w.generations.delete(n);
    },
    async startSidecar(w) {
      await gateway.gateway.reload(); // the gateway has read the published message certificates
      const logs = captureLogs();
      const log = createLogger({ component: 'sidecar', level: 'info', destination: logs });
      const sidecar = await startWorkloadSidecar({ config: sidecarConfigFromFile(w.rawConfig, w.dir), log, processMetrics: false });
      const s: InProcessSidecar = {
        sidecar, logs, url: sidecar.url as string,
        events: (action) => logs.lines.filter((l) => l.module === 'security-events' && (action === undefined || (l.event as { action?: string } | undefined)?.action === action)),
        close: () => sidecar.close({ deadlineMs: 1000 }),
      };
      started.push(s);
      return s;
    },
    async spawnSidecar(w) {
      await gateway.gateway.reload();
      const child = spawn(process.execPath, [join(REPO, 'cli/qshield.ts'), 'sidecar', '--config', w.configFile], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the sidecar did not start in time:\n${out}`)), 30_000);
        const look = () => {
          const m = /listening on (http:\/\/[^\s,]+)/.exec(out);
          if (m !== null) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        };
        child.stderr.on('data', look);
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`the sidecar exited:\n${out}`));
        });
      });
      const c: ChildSidecar = {
        child, url,
        output: () => out,
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      };
      children.push(c);
      return c;
    },
    gatewayClient(leaf) {
      const pool = new Pool(gatewayUrl, {
        connections: 1,
        connect: { ca: ca.bundlePem, cert: leaf.chainPem, key: leaf.keyPem, servername: 'apps', checkServerIdentity: () => undefined },
      });
      pools.push(pool);
      return pool;
    },
    writePolicy(bundle) {
      writeFileSync(policyFile, JSON.stringify(bundle));
    },
    async close() {
      await Promise.allSettled(children.map((c) => (c.child.exitCode === null && c.child.signalCode === null ? c.kill() : undefined)));
      await Promise.allSettled(started.map((s) => s.close()));
      await Promise.allSettled(pools.map((p) => p.destroy()));
      await gateway.close({ deadlineMs: 1000 });
      rmSync(root, { recursive: true, force: true });
    },
  };
  return deployment;
}

export interface AppReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
  readonly json: unknown;
}

/** The app's side: one REST call (the CSRF header on POST and DELETE, as IBM's API wants). */
export async function appCall(client: Dispatcher, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<AppReply> {
  const res = await client.request({
    path, method: method as Dispatcher.HttpMethod,
    headers: { ...(method === 'POST' || method === 'DELETE' ? { 'ibm-mq-rest-csrf-token': 'app' } : {}), ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const text = body.toString('utf8');
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, headers: res.headers, body, text, json: type.startsWith('application/json') ? JSON.parse(text) as unknown : undefined };
}

export const queuePath = (queue: string, suffix = 'message', qmgr = QM): string => `/ibmmq/rest/v3/messaging/qmgr/${qmgr}/queue/${encodeURIComponent(queue)}/${suffix}`;
export const topicPath = (topic: string, qmgr = QM): string => `/ibmmq/rest/v3/messaging/qmgr/${qmgr}/topic/${topic}/message`;
export const leasePath = (queue: string, query = '', qmgr = QM): string => `/qshield/v1/qmgr/${qmgr}/queue/${encodeURIComponent(queue)}/lease${query}`;
export const leaseAckPath = (id: string, qmgr = QM): string => `/qshield/v1/qmgr/${qmgr}/lease/${id}`;
export const subscriptionPath = (topic: string, qmgr = QM): string => `/qshield/v1/qmgr/${qmgr}/topic/${topic}/subscription`;
