// End-to-end benchmark of protected messaging: app → producer's workload sidecar (plain HTTP on
// loopback, seals by policy) → gateway (mTLS, checks) → RabbitMQ → gateway → consumer's workload
// sidecar (opens) → app. Every component is a real process (`qshield gateway --config`,
// `qshield sidecar --config`), so the CPU each one spends per message is read from /proc.
//
// One message = one round trip of an app loop: a put to the producer's sidecar (201), then a
// destructive get of that same message from the consumer's sidecar (200 with the payload). Each
// loop has a queue of its own, so the get always finds the message just put; the latency of a
// message is from the start of its put to the end of its get's answer. Loops run closed (the next
// put starts when the get has returned), 1 and 16 of them at once.
//
// Rows: QoP None (a queue without a policy, the same path), Integrity, Privacy, Confidentiality
// (key reuse 100 messages / 5 minutes), with EC P-256 message keys and RSA-2048 as a secondary
// row, 1 KiB and 64 KiB bodies; baseline amqplib put+get straight to the same RabbitMQ. A second
// table runs the same through a gateway on its in-process memory driver (no broker): the
// sidecars' and gateway's own costs. Run: npm run bench:e2e
//
// Knobs (environment): BENCH_LOOPS (1,16), BENCH_SIZES (1024,65536), BENCH_DRIVERS (amqp,memory),
// BENCH_KEYS (ec-p256,rsa-2048), BENCH_QOPS (None,Integrity,Privacy,Confidentiality),
// BENCH_WARMUP_MS (500), BENCH_MEASURE_MS (2000), BENCH_ROUNDS (5), BENCH_RATE (0: unpaced), BENCH_SIDECAR_NODE_OPTIONS and
// BENCH_GATEWAY_NODE_OPTIONS (extra node flags, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
// BENCH_SIDECAR_GATEWAY (JSON merged into the sidecars' `gateway` settings, e.g. `{"connections":1}`),
// BENCH_CHILD_STDERR / BENCH_CHILD_STDOUT (=1: the children's output on ours, e.g. for --trace-gc),
// BENCH_JSON (a file for the raw points), BENCH_REPORT_FROM (render the tables of such a file).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp, { type ConfirmChannel } from 'amqplib';
import { Pool } from 'undici';
import { RabbitMqBroker } from '../../test/harness/rabbitmq.ts';
import { issueLeaf, makeCa, type TestCa } from '../../test/pki/index.ts';
import { gatewayConfigBase, writeGatewayFiles } from '../../test/support/workload-fixture.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TD = 'bench.example';
const QM = 'E2E';
const GATEWAY_ID = `spiffe://${TD}/ns/qshield/sa/gateway`;
const list = (name: string, fallback: string): string[] => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter((s) => s !== '');
const LOOPS = list('BENCH_LOOPS', '1,16').map(Number);
const SIZES = list('BENCH_SIZES', '1024,65536').map(Number);
const DRIVERS = list('BENCH_DRIVERS', 'amqp,memory') as ('amqp' | 'memory')[];
const KEYS = list('BENCH_KEYS', 'ec-p256,rsa-2048') as KeyKind[];
const QOPS = list('BENCH_QOPS', 'None,Integrity,Privacy,Confidentiality') as Qop[];
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 500);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 2000);
/**
 * Messages per second all loops together send at most (0: as fast as they go). At a fixed rate
 * that every row sustains, the CPU per message compares the rows' own work, without the
 * difference that a busier process batches more work per wake-up.
 */
const RATE = Number(process.env.BENCH_RATE ?? 0);
/** Each point is measured this many times, the rows of a point back to back in alternating order; tables show medians. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MAX_LOOPS = Math.max(...LOOPS);
const KEY_REUSE = { count: 100, maxAgeSeconds: 300 };

type KeyKind = 'ec-p256' | 'rsa-2048';
type Qop = 'None' | 'Integrity' | 'Privacy' | 'Confidentiality';
type Mode = 'direct' | Qop;
const KEY_TAG: Record<KeyKind, string> = { 'ec-p256': 'EC', 'rsa-2048': 'RSA' };
const producerName = (k: KeyKind) => `producer-${KEY_TAG[k].toLowerCase()}`;
const consumerName = (k: KeyKind) => `consumer-${KEY_TAG[k].toLowerCase()}`;
const workloadId = (name: string) => `spiffe://${TD}/ns/app/sa/${name}`;
const queueName = (k: KeyKind, qop: Qop, i: number) => `E2E.${KEY_TAG[k]}.${qop.toUpperCase()}.${i}`;
const directQueue = (i: number) => `E2E.DIRECT.${i}`;

// === measurement ===

type Proc = 'app' | 'producer' | 'gateway' | 'consumer' | 'broker';
const PROCS: readonly Proc[] = ['app', 'producer', 'gateway', 'consumer', 'broker'];

/** CPU seconds a process has used so far, in all and in the kernel; 0 when it cannot be read. */
function cpuSeconds(pid: number | undefined): { total: number; sys: number } {
  if (pid === undefined) return { total: 0, sys: 0 };
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime, stime in clock ticks (USER_HZ 100)
    return { total: (Number(fields[11]) + Number(fields[12])) / 100, sys: Number(fields[12]) / 100 };
  } catch {
    return { total: 0, sys: 0 };
  }
}

function cpuNow(pids: Partial<Record<Proc, number>>): Record<Proc, { total: number; sys: number }> {
  const self = process.cpuUsage();
  const out = { app: { total: (self.user + self.system) / 1e6, sys: self.system / 1e6 } } as Record<Proc, { total: number; sys: number }>;
  for (const p of PROCS) if (p !== 'app') out[p] = cpuSeconds(pids[p]);
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Point {
  readonly round: number;
  readonly driver: 'amqp' | 'memory';
  readonly key: KeyKind | '-';
  readonly mode: Mode;
  readonly size: number;
  readonly loops: number;
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** CPU microseconds per message, by process (`undefined`: not part of this path). */
  readonly cpuUs: Partial<Record<Proc, number>>;
  /** The part of it spent in the kernel (system time), by process. */
  readonly sysShare: Partial<Record<Proc, number>>;
  /** Mean milliseconds of each leg (through the sidecars only; see legsOf). */
  readonly legs?: Legs;
}

/** Runs `loops` closed loops of `once(i)`: a warm-up, then MEASURE_MS measured. */
async function drive(loops: number, pids: Partial<Record<Proc, number>>, once: (i: number) => Promise<void>, hooks: { start?: () => Promise<void>; end?: () => Promise<void> } = {}): Promise<{ latencies: number[]; seconds: number; errors: number; cpu: Record<Proc, { total: number; sys: number }> }> {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const running = Array.from({ length: loops }, async (_, i) => {
    for (let n = 0; phase !== 'stop'; n++) {
      if (RATE > 0) {
        // Paced: message n of loop i is due at t0 + (n·loops + i) / RATE; a late one goes at once.
        const due = t0 + ((n * loops + i) * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if ((phase as string) === 'stop') break; // set meanwhile
      }
      const started = performance.now();
      try {
        await once(i);
        if (phase === 'measure') latencies.push(performance.now() - started);
      } catch (err) {
        errors++;
        if (errors <= 3) console.error(`  message failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  });
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  await hooks.start?.();
  phase = 'measure';
  const start = performance.now();
  const cpuStart = cpuNow(pids);
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const cpuEnd = cpuNow(pids);
  const seconds = (performance.now() - start) / 1000;
  phase = 'stop';
  await hooks.end?.();
  await Promise.all(running);
  const cpu = {} as Record<Proc, { total: number; sys: number }>;
  for (const p of PROCS) cpu[p] = { total: cpuEnd[p].total - cpuStart[p].total, sys: cpuEnd[p].sys - cpuStart[p].sys };
  return { latencies, seconds, errors, cpu };
}

function toPoint(base: Omit<Point, 'round' | 'perSec' | 'p50Ms' | 'p99Ms' | 'errors' | 'cpuUs' | 'sysShare'>, run: Awaited<ReturnType<typeof drive>>, procs: readonly Proc[]): Point {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const n = Math.max(1, run.latencies.length);
  const cpuUs: Partial<Record<Proc, number>> = {};
  const sysShare: Partial<Record<Proc, number>> = {};
  for (const p of procs) {
    cpuUs[p] = (run.cpu[p].total * 1e6) / n;
    sysShare[p] = run.cpu[p].total > 0 ? run.cpu[p].sys / run.cpu[p].total : Number.NaN;
  }
  return { ...base, round: 0, perSec: run.latencies.length / run.seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors: run.errors, cpuUs, sysShare };
}

// === the baseline: amqplib straight to RabbitMQ ===

async function direct(brokerUrl: string, brokerPid: number | undefined, size: number, loops: number): Promise<Point> {
  const body = Buffer.alloc(size, 0x61);
  const conns = await Promise.all(Array.from({ length: loops }, () => amqp.connect(brokerUrl, { noDelay: true })));
  const channels: ConfirmChannel[] = await Promise.all(conns.map((c) => c.createConfirmChannel()));
  // Queues as the amqp driver declares them: durable, priorities 0–9, a depth limit.
  await Promise.all(channels.map((ch, i) => ch.assertQueue(directQueue(i), { durable: true, arguments: { 'x-max-priority': 9, 'x-max-length': 100_000, 'x-overflow': 'reject-publish' } })));
  await Promise.all(channels.map((ch, i) => ch.purgeQueue(directQueue(i))));
  const run = await drive(loops, { broker: brokerPid }, async (i) => {
    const ch = channels[i] as ConfirmChannel;
    await new Promise<void>((resolve, reject) => {
      ch.publish('', directQueue(i), body, { persistent: false, contentType: 'application/octet-stream', mandatory: true, priority: 0 }, (err) => (err ? reject(err) : resolve()));
    });
    const msg = await ch.get(directQueue(i), { noAck: false });
    if (msg === false) throw new Error('no message');
    ch.ack(msg);
  });
  await Promise.all(channels.map((ch, i) => ch.deleteQueue(directQueue(i))));
  await Promise.all(conns.map((c) => c.close()));
  return toPoint({ driver: 'amqp', key: '-', mode: 'direct', size, loops }, run, ['app', 'broker']);
}

// === through the sidecars and the gateway ===

/**
 * Where a message's time goes, as means in milliseconds: the app's put and get, the sidecars'
 * own time for them (their request histograms: from the app's request to the last byte of the
 * answer), and the gateway's time for the put, the lease and the lease's ack.
 */
interface Legs {
  readonly appPut: number;
  readonly producerPut: number;
  readonly gatewayPut: number;
  readonly appGet: number;
  readonly consumerGet: number;
  readonly gatewayLease: number;
  readonly gatewayAck: number;
}

type Durations = Map<string, { sum: number; count: number }>;

/** Sum and count of qshield_request_duration_seconds by operation, from a /metrics page. */
async function durations(admin: string): Promise<Durations> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const out: Durations = new Map();
  for (const m of text.matchAll(/^qshield_request_duration_seconds_(sum|count)\{operation="([^"]+)"\} (\S+)$/gm)) {
    const entry = out.get(m[2] as string) ?? { sum: 0, count: 0 };
    entry[m[1] as 'sum' | 'count'] = Number(m[3]);
    out.set(m[2] as string, entry);
  }
  return out;
}

function meanMs(before: Durations, after: Durations, op: string): number {
  const a = after.get(op);
  const b = before.get(op) ?? { sum: 0, count: 0 };
  if (a === undefined || a.count === b.count) return Number.NaN;
  return ((a.sum - b.sum) / (a.count - b.count)) * 1000;
}

const messagePath = (queue: string) => `/ibmmq/rest/v3/messaging/qmgr/${QM}/queue/${queue}/message`;

async function throughSidecars(d: Deployment, key: KeyKind, qop: Qop, size: number, loops: number): Promise<Point> {
  const producer = d.sidecars.get(producerName(key)) as RunningProcess;
  const consumer = d.sidecars.get(consumerName(key)) as RunningProcess;
  // The app: a keep-alive connection per loop to each sidecar.
  const put = new Pool(producer.url, { connections: loops, pipelining: 1 });
  const get = new Pool(consumer.url, { connections: loops, pipelining: 1 });
  const payload = Buffer.alloc(size, 0x62);
  const putHeaders = { 'ibm-mq-rest-csrf-token': 'app', 'content-type': 'application/octet-stream' };
  const getHeaders = { 'ibm-mq-rest-csrf-token': 'app' };
  const pids = { producer: producer.child.pid, gateway: d.gateway.child.pid, consumer: consumer.child.pid, broker: d.brokerPid };
  const admins = [producer.admin, consumer.admin, d.gateway.admin];
  let measuring = false;
  const appMs = { put: 0, get: 0, n: 0 };
  let before: Durations[] = [];
  let after: Durations[] = [];
  const run = await drive(loops, pids, async (i) => {
    const path = messagePath(queueName(key, qop, i));
    const t0 = performance.now();
    const p = await put.request({ path, method: 'POST', headers: putHeaders, body: payload });
    const pBody = await p.body.text();
    if (p.statusCode !== 201) throw new Error(`put ${p.statusCode}: ${pBody.slice(0, 300)}`);
    const t1 = performance.now();
    const g = await get.request({ path, method: 'DELETE', headers: getHeaders });
    const got = Buffer.from(await g.body.arrayBuffer());
    if (g.statusCode !== 200) throw new Error(`get ${g.statusCode}: ${got.toString('utf8').slice(0, 300)}`);
    if (got.length !== size || got[0] !== 0x62 || got[size - 1] !== 0x62) throw new Error(`get returned ${got.length} bytes, not the payload`);
    if (measuring) {
      appMs.put += t1 - t0;
      appMs.get += performance.now() - t1;
      appMs.n++;
    }
  }, {
    // The histograms are read just outside the CPU window, so that reading them costs it nothing.
    start: async () => {
      before = await Promise.all(admins.map(durations));
      measuring = true;
    },
    end: async () => {
      measuring = false;
      after = await Promise.all(admins.map(durations));
    },
  });
  await Promise.all([put.close(), get.close()]);
  const [pb, cb, gb] = before as [Durations, Durations, Durations];
  const [pa, ca, ga] = after as [Durations, Durations, Durations];
  const legs: Legs = {
    appPut: appMs.put / Math.max(1, appMs.n), producerPut: meanMs(pb, pa, 'put'), gatewayPut: meanMs(gb, ga, 'put'),
    // The gateway files a lease under get, and its ack under other.
    appGet: appMs.get / Math.max(1, appMs.n), consumerGet: meanMs(cb, ca, 'get'), gatewayLease: meanMs(gb, ga, 'get'), gatewayAck: meanMs(gb, ga, 'other'),
  };
  return { ...toPoint({ driver: d.driver, key: qop === 'None' ? '-' : key, mode: qop, size, loops }, run, d.driver === 'amqp' ? PROCS : ['app', 'producer', 'gateway', 'consumer']), legs };
}

// === the deployment: a CA, a gateway process, sidecar processes ===

interface RunningProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Its /healthz, /readyz, /metrics. */
  readonly admin: string;
}

interface Deployment {
  readonly driver: 'amqp' | 'memory';
  readonly gateway: RunningProcess;
  readonly sidecars: Map<string, RunningProcess>;
  readonly brokerPid: number | undefined;
  stop(): Promise<void>;
}

function bundle(): Record<string, unknown> {
  const queues: { name: string; maxDepth?: number }[] = [];
  const policies: Record<string, unknown>[] = [];
  for (const key of KEYS) {
    const producer = workloadId(producerName(key));
    const consumer = workloadId(consumerName(key));
    for (const qop of QOPS) {
      for (let i = 0; i < MAX_LOOPS; i++) {
        const name = queueName(key, qop, i);
        queues.push({ name, maxDepth: 10_000 });
        if (qop === 'None') continue;
        policies.push({
          name: name.toLowerCase(), queue: name, qualityOfProtection: qop,
          ...(qop === 'Confidentiality' ? { keyReuse: KEY_REUSE } : { authorizedSigners: [producer] }),
          ...(qop === 'Integrity' ? {} : { recipients: [consumer] }),
        });
      }
    }
  }
  return {
    apiVersion: 'qshield.io/policy-bundle/v1alpha1', revision: 'bench-e2e/1', queueManagerName: QM, trustDomain: TD, queues,
    authorities: [
      { principal: 'apps', objectType: 'qmgr', permissions: ['connect', 'inq'] },
      { principal: 'apps', objectType: 'queue', profile: 'E2E.**', permissions: ['put', 'get', 'browse', 'inq'] },
    ],
    channels: [{ name: 'apps', maxMessageLength: 4_194_304, rules: [{ peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' }] }],
    protectionPolicies: policies,
  };
}

function writePem(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

/** Spawns `qshield <command> --config FILE` and resolves with its URL once it listens. */
async function spawnQshield(command: 'gateway' | 'sidecar', configFile: string, nodeFlags: string): Promise<RunningProcess> {
  const flags = nodeFlags.split(' ').filter((f) => f !== '');
  // BENCH_CHILD_STDOUT=1: the children's standard output on ours (for --trace-gc and the like).
  const child = spawn(process.execPath, [...flags, join(REPO, 'cli/qshield.ts'), command, '--config', configFile], { cwd: REPO, stdio: ['ignore', process.env.BENCH_CHILD_STDOUT === '1' ? 'inherit' : 'ignore', 'pipe'] });
  let stderr = '';
  const [url, admin] = await new Promise<[string, string]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start in time:\n${stderr}`)), 60_000);
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 100_000) stderr += c.toString();
      const m = /listening on (https?:\/\/[^\s,]+), admin on (http:\/\/\S+)/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        resolve([m[1] as string, m[2] as string]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited ${code}:\n${stderr}`));
    });
  });
  if (process.env.BENCH_CHILD_STDERR === '1') child.stderr?.on('data', (c: Buffer) => process.stderr.write(c));
  return { child, url, admin };
}

/** SIGTERM (a drain: profiles get written), and wait for the exit. */
async function stopProcess(p: RunningProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function startDeploymentProcesses(root: string, ca: TestCa, driver: 'amqp' | 'memory', brokerUrl: string, brokerPid: number | undefined): Promise<Deployment> {
  const gwDir = join(root, `gateway-${driver}`);
  const certsDir = join(gwDir, 'message-certs');
  mkdirSync(certsDir, { recursive: true });
  writeFileSync(join(gwDir, 'policy.json'), JSON.stringify(bundle()));
  const broker = driver === 'amqp'
    ? { ...writeGatewayFiles(gwDir, ca, { amqpUrl: brokerUrl, spiffeId: GATEWAY_ID }), getChannels: MAX_LOOPS }
    : writeGatewayFiles(gwDir, ca, { spiffeId: GATEWAY_ID });
  // Message keyrings: each workload's first generation, its certificate published to the gateway.
  const workloads: { name: string; dir: string }[] = [];
  for (const key of KEYS) {
    for (const name of [producerName(key), consumerName(key)]) {
      const dir = join(root, `${name}-${driver}`);
      mkdirSync(join(dir, 'message-keyring'), { recursive: true });
      const svid = issueLeaf(workloadId(name), { ca });
      writePem(join(dir, 'svid.crt'), svid.chainPem);
      writePem(join(dir, 'svid.key'), svid.keyPem);
      writePem(join(dir, 'bundle.pem'), ca.bundlePem);
      const messageKey = issueLeaf(workloadId(name), { ca, keyType: key, ttlMs: 30 * 86_400_000 });
      writePem(join(dir, 'message-keyring', 'gen-1.key'), messageKey.keyPem);
      writePem(join(dir, 'message-keyring', 'gen-1.crt'), messageKey.chainPem);
      writePem(join(certsDir, `${name}-gen-1.crt`), messageKey.chainPem);
      workloads.push({ name, dir });
    }
  }
  writeFileSync(join(gwDir, 'gateway.json'), JSON.stringify(gatewayConfigBase(broker)));
  const gateway = await spawnQshield('gateway', join(gwDir, 'gateway.json'), process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '');
  const sidecars = new Map<string, RunningProcess>();
  try {
    for (const w of workloads) {
      // Deployment defaults otherwise: pool of 4 connections with pipelining 8, 16 for gets, log level info.
      writeFileSync(join(w.dir, 'sidecar.json'), JSON.stringify({
        apiVersion: 'qshield.io/sidecar-config/v1alpha1', kind: 'SidecarConfig',
        listen: { host: '127.0.0.1', port: 0 },
        // BENCH_SIDECAR_GATEWAY: JSON merged into the sidecars' `gateway` settings (pool tuning).
        gateway: { url: gateway.url, spiffeId: GATEWAY_ID, channel: 'apps', ...JSON.parse(process.env.BENCH_SIDECAR_GATEWAY ?? '{}') as Record<string, unknown> },
        identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: 'bundle.pem' },
        messageKeyring: { dir: 'message-keyring' },
        admin: { host: '127.0.0.1', port: 0 },
      }));
      sidecars.set(w.name, await spawnQshield('sidecar', join(w.dir, 'sidecar.json'), process.env.BENCH_SIDECAR_NODE_OPTIONS ?? ''));
    }
  } catch (err) {
    await Promise.all([...sidecars.values(), gateway].map(stopProcess));
    throw err;
  }
  const d: Deployment = {
    driver, gateway, sidecars, brokerPid,
    async stop() {
      await Promise.all([...sidecars.values()].map(stopProcess));
      await stopProcess(gateway);
    },
  };
  // Ready: a put and a get through every pair on one queue of each kind (the gateway has declared
  // its queues, the sidecars have their policies).
  for (const key of KEYS) {
    for (const qop of QOPS) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await throughOnce(d, key, qop);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  }
  return d;
}

async function throughOnce(d: Deployment, key: KeyKind, qop: Qop): Promise<void> {
  const producer = d.sidecars.get(producerName(key)) as RunningProcess;
  const consumer = d.sidecars.get(consumerName(key)) as RunningProcess;
  const path = messagePath(queueName(key, qop, 0));
  const p = await fetch(`${producer.url}${path}`, { method: 'POST', headers: { 'ibm-mq-rest-csrf-token': 'app', 'content-type': 'text/plain' }, body: 'ready?' });
  if (p.status !== 201) throw new Error(`readiness put ${p.status}: ${await p.text()}`);
  const g = await fetch(`${consumer.url}${path}`, { method: 'DELETE', headers: { 'ibm-mq-rest-csrf-token': 'app' } });
  const text = await g.text();
  if (g.status !== 200 || text !== 'ready?') throw new Error(`readiness get ${g.status}: ${text.slice(0, 300)}`);
}

/** What the gateway counted: TLS handshakes (connections made) and security events, against requests. */
async function gatewayCounters(admin: string): Promise<string> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  const events = [...text.matchAll(/^qshield_security_events_total\{[^}]*action="([^"]+)"[^}]*\} (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  return `${fmt(sum('qshield_requests_total'))} requests, ${fmt(sum('qshield_tls_handshakes_total'))} TLS handshakes, security events: ${events.join(', ') || 'none'}`;
}

// === report ===

const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const sizeLabel = (size: number) => (size >= 1024 ? `${size / 1024} KiB` : `${size} B`);

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * One table row per mode and key: medians over the rounds; ratios are the median of each round's
 * ratio to the None (or direct) row measured beside it.
 */
function table(points: readonly Point[], driver: 'amqp' | 'memory'): string[] {
  const lines: string[] = [];
  const procs = driver === 'amqp' ? PROCS : PROCS.filter((x) => x !== 'broker');
  const direct = driver === 'amqp'; // the direct baseline runs against RabbitMQ only
  lines.push(`| body | loops | QoP | keys | messages/s | ratio to None | CPU ratio to None |${direct ? ' ratio to direct |' : ''} p50 / p99 ms | CPU µs/message: ${procs.join(' + ')} | errors |`);
  lines.push(`|---:|---:|---|---|---:|---:|---:|${direct ? '---:|' : ''}---:|---:|---:|`);
  type Row = { mode: Mode; key: KeyKind | '-' };
  const rows: Row[] = driver === 'amqp' ? [{ mode: 'direct', key: '-' }] : [];
  for (const mode of QOPS) {
    if (mode === 'None') rows.push({ mode, key: '-' });
    else for (const key of KEYS) rows.push({ mode, key });
  }
  for (const size of SIZES) {
    for (const loops of LOOPS) {
      const at = (mode: Mode, key: KeyKind | '-', round: number) => points.find((p) => p.size === size && p.loops === loops && p.mode === mode && p.key === key && p.round === round && (mode === 'direct' || p.driver === driver));
      for (const { mode, key } of rows) {
        const mine = points.filter((p) => p.size === size && p.loops === loops && p.mode === mode && p.key === key && (mode === 'direct' || p.driver === driver));
        if (mine.length === 0) continue;
        const ratio = (base: Mode) => median(mine.map((p) => p.perSec / (at(base, '-', p.round)?.perSec ?? Number.NaN)));
        const cpu = procs.map((x) => median(mine.map((p) => p.cpuUs[x] ?? Number.NaN)));
        const totalOf = (p: Point | undefined) => (p === undefined ? Number.NaN : procs.reduce((a, x) => a + (p.cpuUs[x] ?? 0), 0));
        const total = median(mine.map(totalOf));
        // What the throughput ratio would be where these processes are CPU-bound on cores of their own.
        const cpuRatio = median(mine.map((p) => totalOf(at('None', '-', p.round)) / totalOf(p)));
        lines.push(`| ${sizeLabel(size)} | ${loops} | ${mode === 'direct' ? 'direct amqplib' : mode} | ${key === '-' ? '' : key} | ${fmt(median(mine.map((p) => p.perSec)))} | ${mode === 'direct' ? '' : fmt(ratio('None'), 2)} | ${mode === 'direct' ? '' : fmt(cpuRatio, 2)} |${direct ? ` ${fmt(ratio('direct'), 2)} |` : ''} ${fmt(median(mine.map((p) => p.p50Ms)), 2)} / ${fmt(median(mine.map((p) => p.p99Ms)), 2)} | ${cpu.map((c) => fmt(c)).join(' + ')} = ${fmt(total)} | ${mine.reduce((a, p) => a + p.errors, 0)} |`);
      }
    }
  }
  return lines;
}

/** Mean milliseconds per leg (medians over the rounds). */
function legsTable(points: readonly Point[], driver: 'amqp' | 'memory'): string[] {
  const lines = [
    '| body | loops | QoP | keys | app put | producer sidecar put | gateway put | app get | consumer sidecar get | gateway lease | gateway, other requests (acks sent alone, policy) |',
    '|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const size of SIZES) {
    for (const loops of LOOPS) {
      for (const mode of QOPS) {
        for (const key of mode === 'None' ? ['-' as const] : KEYS) {
          const mine = points.filter((p) => p.driver === driver && p.size === size && p.loops === loops && p.mode === mode && p.key === key && p.legs !== undefined);
          if (mine.length === 0) continue;
          const leg = (k: keyof Legs) => fmt(median(mine.map((p) => (p.legs as Legs)[k])), 2);
          lines.push(`| ${sizeLabel(size)} | ${loops} | ${mode} | ${key === '-' ? '' : key} | ${leg('appPut')} | ${leg('producerPut')} | ${leg('gatewayPut')} | ${leg('appGet')} | ${leg('consumerGet')} | ${leg('gatewayLease')} | ${leg('gatewayAck')} |`);
        }
      }
    }
  }
  return lines;
}

async function main(): Promise<void> {
  if (process.env.BENCH_REPORT_FROM !== undefined) {
    // Re-renders the tables of an earlier run's BENCH_JSON file.
    const earlier = JSON.parse(readFileSync(process.env.BENCH_REPORT_FROM, 'utf8')) as Point[];
    for (const driver of DRIVERS) {
      console.log('');
      for (const line of table(earlier, driver)) console.log(line);
      console.log('');
      for (const line of legsTable(earlier, driver)) console.log(line);
    }
    return;
  }
  const loadBefore = loadavg();
  const ca = makeCa({ trustDomain: TD });
  const root = mkdtempSync(join(tmpdir(), 'qshield-bench-e2e-'));
  let broker: RabbitMqBroker | undefined;
  let startedBroker = false;
  let brokerPid: number | undefined;
  if (DRIVERS.includes('amqp')) {
    broker = await RabbitMqBroker.forCheckout();
    startedBroker = broker.env.managed && !(await broker.isRunning());
    if (startedBroker) await broker.start({ fresh: true });
    try {
      brokerPid = Number(readFileSync(join(broker.env.baseDir, 'node.pid'), 'utf8').trim());
    } catch {
      // an outside broker: its CPU is not sampled
    }
  }
  const points: Point[] = [];
  try {
    for (const driver of DRIVERS) {
      const d = await startDeploymentProcesses(root, ca, driver, broker?.url ?? '', brokerPid);
      console.error(`${driver}: gateway ${d.gateway.url} (pid ${d.gateway.child.pid}), sidecars ready: ${[...d.sidecars].map(([n, s]) => `${n} pid ${s.child.pid}`).join(', ')}`);
      try {
        let turn = 0;
        for (const size of SIZES) {
          for (const loops of LOOPS) {
            const jobs: (() => Promise<Point>)[] = [];
            if (driver === 'amqp' && broker !== undefined) jobs.push(() => direct((broker as RabbitMqBroker).url, brokerPid, size, loops));
            for (const qop of QOPS) {
              for (const key of qop === 'None' ? [KEYS[0] as KeyKind] : KEYS) jobs.push(() => throughSidecars(d, key, qop, size, loops));
            }
            for (let round = 0; round < ROUNDS; round++) {
              // Alternate the order so that no row always runs first on a cold or warm machine.
              for (const job of turn++ % 2 === 1 ? [...jobs].reverse() : jobs) {
                const p = { ...(await job()), round };
                points.push(p);
                console.error(`  ${driver} ${sizeLabel(size)} × ${loops} round ${round + 1}: ${p.mode}${p.key === '-' ? '' : ` ${p.key}`} ${fmt(p.perSec)}/s p50 ${fmt(p.p50Ms, 2)} ms p99 ${fmt(p.p99Ms, 2)} ms${p.errors > 0 ? ` (${p.errors} errors)` : ''}; CPU µs (kernel share) ${Object.entries(p.cpuUs).map(([x, us]) => `${x} ${fmt(us)} (${fmt((p.sysShare[x as Proc] ?? 0) * 100)}%)`).join(', ')}`);
              }
            }
          }
        }
        console.error(`  ${driver} gateway after the run: ${await gatewayCounters(d.gateway.admin)}`);
      } finally {
        await d.stop();
      }
    }
  } finally {
    if (startedBroker) await broker?.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
  if (process.env.BENCH_JSON !== undefined) writeFileSync(process.env.BENCH_JSON, JSON.stringify(points, null, 2));

  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`${RATE > 0 ? `paced: ${RATE} messages/s in all; ` : ''}warm-up ${WARMUP_MS} ms, measured ${MEASURE_MS} ms per point, ${ROUNDS} rounds (medians; ratios: median of each round's ratio); non-persistent; Confidentiality with key reuse ${KEY_REUSE.count} messages / ${KEY_REUSE.maxAgeSeconds} s`);
  for (const driver of DRIVERS) {
    console.log('');
    console.log(driver === 'amqp' ? '### Through RabbitMQ (amqp driver)' : '### Gateway on its memory driver (no broker): the sidecars\' and gateway\'s own cost');
    console.log('');
    for (const line of table(points, driver)) console.log(line);
    console.log('');
    console.log('Where the time goes: mean ms of each leg (the sidecars\' and the gateway\'s own request times, from their metrics)');
    console.log('');
    for (const line of legsTable(points, driver)) console.log(line);
  }
}

await main();
