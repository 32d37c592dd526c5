// Benchmark of the gateway's cost: put+get round trips through the gateway (a real
// `qshield gateway` process, mTLS with SVIDs, amqp driver) to RabbitMQ, against the same work
// with amqplib straight to RabbitMQ (confirmed publish, acked get), in the same run, for 1 KiB
// and 64 KiB bodies and 1 and 32 concurrent clients; two gateways by default, one pulling every
// get with basic.get and one reading hot queues ahead (broker.readAhead). Run: npm run bench:gateway
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp, { type ConfirmChannel } from 'amqplib';
import { Pool } from 'undici';
import { RabbitMqBroker } from '../../test/harness/rabbitmq.ts';
import { issueLeaf, makeCa } from '../../test/pki/index.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TD = 'bench.example';
const QM = 'BENCH';
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,32').split(',').map(Number);
const SIZES = (process.env.BENCH_SIZES ?? '1024,65536').split(',').map(Number);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500);
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 5000);
const PERSISTENCE = process.env.BENCH_PERSISTENT === '1' ? 'persistent' : 'nonPersistent';
/** `memory` runs the gateway on its in-process driver: the gateway's own cost, without a broker. */
const GATEWAY_DRIVER = process.env.BENCH_GATEWAY_DRIVER === 'memory' ? 'memory' : 'amqp';
/**
 * The gateways measured, each a process of its own: `pull` (the amqp driver's default, a
 * basic.get per get) and `read-ahead` (broker.readAhead on: hot queues are read ahead), or
 * `memory` with BENCH_GATEWAY_DRIVER=memory.
 */
type Variant = 'pull' | 'read-ahead' | 'memory';
const VARIANTS: Variant[] = GATEWAY_DRIVER === 'memory' ? ['memory'] : (process.env.BENCH_GATEWAY_VARIANTS ?? 'pull,read-ahead').split(',') as Variant[];
/** Each gateway on queues of its own: a read-ahead consumer must not take another's messages. */
const queueName = (mode: 'direct' | Variant, i: number) => `BENCH.${mode === 'direct' ? 'DIRECT' : mode === 'read-ahead' ? 'RA' : 'GW'}.${i}`;

interface Point {
  readonly mode: 'direct' | Variant;
  /** CPU milliseconds per round trip of the client (this process), the gateway and the broker. */
  readonly cpuMs: { readonly client: number; readonly gateway: number; readonly broker: number };
  readonly size: number;
  readonly clients: number;
  readonly roundTripsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Processes whose CPU time is sampled around each measurement (Linux /proc). */
const watched: { gateway?: number; broker?: number } = {};

/** CPU seconds (user + system) a process has used so far; 0 when it cannot be read. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return 0;
  }
}

function cpuNow(): { client: number; gateway: number; broker: number } {
  const self = process.cpuUsage();
  return { client: (self.user + self.system) / 1e6, gateway: cpuSeconds(watched.gateway), broker: cpuSeconds(watched.broker) };
}

interface Run {
  readonly latencies: number[];
  readonly seconds: number;
  readonly errors: number;
  readonly cpu: { client: number; gateway: number; broker: number };
}

/** Runs `clients` loops of `roundTrip(i)` for the warm-up, then measures for MEASURE_MS. */
async function drive(clients: number, roundTrip: (i: number) => Promise<void>): Promise<Run> {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  const latencies: number[] = [];
  let errors = 0;
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (phase !== 'stop') {
      const started = performance.now();
      try {
        await roundTrip(i);
        if (phase === 'measure') latencies.push(performance.now() - started);
      } catch (err) {
        errors++;
        if (errors < 5) console.error(`round trip failed: ${(err as Error).message}`);
      }
    }
  });
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  phase = 'measure';
  const start = performance.now();
  const cpuStart = cpuNow();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const cpuEnd = cpuNow();
  const seconds = (performance.now() - start) / 1000;
  phase = 'stop';
  await Promise.all(loops);
  const cpu = { client: cpuEnd.client - cpuStart.client, gateway: cpuEnd.gateway - cpuStart.gateway, broker: cpuEnd.broker - cpuStart.broker };
  return { latencies, seconds, errors, cpu };
}

function point(mode: Point['mode'], size: number, clients: number, run: Run): Point {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const perRoundTrip = (s: number) => (s * 1000) / Math.max(1, run.latencies.length);
  return {
    mode, size, clients, roundTripsPerSec: run.latencies.length / run.seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors: run.errors,
    cpuMs: { client: perRoundTrip(run.cpu.client), gateway: perRoundTrip(run.cpu.gateway), broker: perRoundTrip(run.cpu.broker) },
  };
}

// --- direct: amqplib, one connection and confirm channel per client ---

async function direct(url: string, size: number, clients: number): Promise<Point> {
  const body = Buffer.alloc(size, 0x61);
  const conns = await Promise.all(Array.from({ length: clients }, () => amqp.connect(url, { noDelay: true })));
  const channels: ConfirmChannel[] = await Promise.all(conns.map((c) => c.createConfirmChannel()));
  // The same queues the amqp driver declares: durable, priorities 0–9, a depth limit.
  await Promise.all(channels.map((ch, i) => ch.assertQueue(queueName('direct', i), { durable: true, arguments: { 'x-max-priority': 9, 'x-max-length': 100_000, 'x-overflow': 'reject-publish' } })));
  await Promise.all(channels.map((ch, i) => ch.purgeQueue(queueName('direct', i))));
  const run = await drive(clients, async (i) => {
    const ch = channels[i] as ConfirmChannel;
    const q = queueName('direct', i);
    await new Promise<void>((resolve, reject) => {
      ch.publish('', q, body, { persistent: PERSISTENCE === 'persistent', contentType: 'text/plain', mandatory: true, priority: 0 }, (err) => (err ? reject(err) : resolve()));
    });
    const msg = await ch.get(q, { noAck: false });
    if (msg === false) throw new Error('no message');
    ch.ack(msg);
  });
  await Promise.all(conns.map((c) => c.close()));
  return point('direct', size, clients, run);
}

// --- through the gateway: undici Pool.request, one connection per client ---

async function viaGateway(gateway: Gateway, size: number, clients: number): Promise<Point> {
  const { url, connect, variant } = gateway;
  watched.gateway = gateway.child.pid;
  const body = Buffer.alloc(size, 0x61);
  const pools = Array.from({ length: clients }, () => new Pool(url, { connections: 1, pipelining: 1, connect }));
  const path = (i: number) => `/ibmmq/rest/v3/messaging/qmgr/${QM}/queue/${queueName(variant, i)}/message`;
  const headers = { 'ibm-mq-rest-csrf-token': 'x', 'content-type': 'text/plain; charset=utf-8', 'ibm-mq-md-persistence': PERSISTENCE };
  const getHeaders = { 'ibm-mq-rest-csrf-token': 'x' };
  const run = await drive(clients, async (i) => {
    const pool = pools[i] as Pool;
    const put = await pool.request({ path: path(i), method: 'POST', headers, body });
    await put.body.dump();
    if (put.statusCode !== 201) throw new Error(`put ${put.statusCode}`);
    const get = await pool.request({ path: path(i), method: 'DELETE', headers: getHeaders });
    const got = await get.body.arrayBuffer();
    if (get.statusCode !== 200 || got.byteLength !== size) throw new Error(`get ${get.statusCode}`);
  });
  await Promise.all(pools.map((p) => p.close()));
  return point(variant, size, clients, run);
}

// --- setup: RabbitMQ from the test harness, a gateway process with its files ---

interface Gateway {
  readonly variant: Variant;
  readonly child: ChildProcess;
  readonly url: string;
  readonly admin: string;
  readonly connect: Record<string, unknown>;
}

async function startGatewayProcess(dir: string, brokerUrl: string, variant: Variant): Promise<Gateway> {
  const ca = makeCa({ trustDomain: TD });
  const gatewayId = `spiffe://${TD}/ns/qshield/sa/gateway`;
  const gatewayLeaf = issueLeaf(gatewayId, { ca });
  const client = issueLeaf(`spiffe://${TD}/ns/bench/sa/client`, { ca });
  writeFileSync(join(dir, 'svid.crt'), gatewayLeaf.chainPem);
  writeFileSync(join(dir, 'svid.key'), gatewayLeaf.keyPem);
  writeFileSync(join(dir, 'bundle.pem'), ca.bundlePem);
  const queues = Array.from({ length: Math.max(...CLIENTS) }, (_, i) => ({ name: queueName(variant, i), maxDepth: 100_000 }));
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({
    apiVersion: 'qshield.io/policy-bundle/v1alpha1', revision: 'bench/1', queueManagerName: QM, trustDomain: TD, queues,
    authorities: [
      { principal: 'bench', objectType: 'qmgr', permissions: ['connect'] },
      { principal: 'bench', objectType: 'queue', profile: 'BENCH.**', permissions: ['put', 'get'] },
    ],
    channels: [{ name: 'bench', rules: [{ peer: `spiffe://${TD}/ns/bench/sa/*`, action: 'map', principal: 'bench' }] }],
  }));
  const amqpUrl = new URL(brokerUrl);
  writeFileSync(join(dir, 'username'), decodeURIComponent(amqpUrl.username));
  writeFileSync(join(dir, 'password'), decodeURIComponent(amqpUrl.password));
  amqpUrl.username = '';
  amqpUrl.password = '';
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify({
    apiVersion: 'qshield.io/gateway-config/v1alpha1', kind: 'GatewayConfig',
    listen: { host: '127.0.0.1', port: 0 },
    identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: 'bundle.pem' },
    policyBundleFile: 'policy.json',
    broker: GATEWAY_DRIVER === 'memory' ? { driver: 'memory' } : {
      driver: 'amqp', url: amqpUrl.toString(), usernameFile: 'username', passwordFile: 'password',
      // As many get channels as clients, as a deployment with that many consumers would configure.
      getChannels: Number(process.env.BENCH_GET_CHANNELS ?? Math.max(...CLIENTS)),
      ...(variant === 'read-ahead' ? { readAhead: {} } : {}),
    },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
  }));
  // BENCH_GATEWAY_NODE_OPTIONS: extra node flags for the gateway process (e.g. --cpu-prof).
  const nodeFlags = (process.env.BENCH_GATEWAY_NODE_OPTIONS ?? '').split(' ').filter((f) => f !== '');
  const child = spawn(process.execPath, [...nodeFlags, join(REPO, 'cli/qshield.ts'), 'gateway', '--config', join(dir, 'gateway.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  if (process.env.BENCH_GATEWAY_STDERR === '1') child.stderr?.on('data', (c: Buffer) => process.stderr.write(c));
  const [url, admin] = await new Promise<[string, string]>((resolve, reject) => {
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
      const m = /listening on (https:\/\/\S+), admin on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve([m[1] as string, m[2] as string]);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${stderr}`)));
  });
  const connect = {
    ca: ca.bundlePem, cert: client.chainPem, key: client.keyPem,
    checkServerIdentity: (_h: string, cert: { subjectaltname?: string }) => (cert.subjectaltname?.includes(`URI:${gatewayId}`) ? undefined : new Error('not the gateway')),
  };
  // Wait until the gateway has declared its queues on the broker.
  const probe = new Pool(url, { connect });
  for (let i = 0; i < 200; i++) {
    const res = await probe.request({ path: `/ibmmq/rest/v3/messaging/qmgr/${QM}/queue/${queueName(variant, 0)}/message`, method: 'GET' });
    await res.body.dump();
    if (res.statusCode === 204 || res.statusCode === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await probe.close();
  return { variant, child, url, admin, connect };
}

/** Mean time the gateway itself spent per request, by operation, from its own histogram. */
async function serverSideMeans(admin: string): Promise<string> {
  const text = await (await fetch(`${admin}/metrics`)).text();
  const value = (name: string, op: string) => Number(new RegExp(`^${name}\\{operation="${op}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return ['put', 'get'].map((op) => {
    const mean = (value('qshield_request_duration_seconds_sum', op) / value('qshield_request_duration_seconds_count', op)) * 1000;
    return `${op} ${mean.toFixed(3)} ms`;
  }).join(', ');
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const broker = await RabbitMqBroker.forCheckout();
  const started = broker.env.managed && !(await broker.isRunning());
  if (started) await broker.start({ fresh: true });
  const dirs: string[] = [];
  const gateways: Gateway[] = [];
  for (const variant of VARIANTS) {
    const dir = mkdtempSync(join(tmpdir(), 'qshield-bench-gateway-'));
    dirs.push(dir);
    gateways.push(await startGatewayProcess(dir, broker.url, variant));
  }
  try {
    watched.broker = Number(readFileSync(join(broker.env.baseDir, 'node.pid'), 'utf8').trim());
  } catch {
    // an outside broker: its CPU is not sampled
  }
  const results: Point[] = [];
  try {
    let turn = 0;
    for (const size of SIZES) {
      for (const clients of CLIENTS) {
        // Profiling aid: the gateway side alone.
        const sides: (Gateway | 'direct')[] = process.env.BENCH_ONLY_GATEWAY === '1' ? [...gateways] : ['direct', ...gateways];
        // Rotate the order so that no side always runs on a warmer (or more tired) broker.
        const order = sides.map((_, k) => sides[(k + turn) % sides.length] as Gateway | 'direct');
        turn++;
        const points: Point[] = [];
        for (const side of order) points.push(side === 'direct' ? await direct(broker.url, size, clients) : await viaGateway(side, size, clients));
        results.push(...points);
        console.error(`${size} B × ${clients}: ${points.map((p) => `${p.mode} ${fmt(p.roundTripsPerSec)}/s p50 ${fmt(p.p50Ms, 2)} ms`).join(', ')}`);
      }
    }
    for (const gateway of gateways) console.error(`${gateway.variant} gateway's own mean time per request (all points): ${await serverSideMeans(gateway.admin)}`);
  } finally {
    for (const gateway of gateways) {
      gateway.child.kill('SIGTERM');
      await new Promise((r) => gateway.child.once('exit', r));
    }
    const conn = await broker.connect();
    const ch = await conn.createChannel();
    for (let i = 0; i < Math.max(...CLIENTS); i++) {
      for (const mode of ['direct', ...VARIANTS] as const) await ch.deleteQueue(queueName(mode, i));
    }
    await conn.close();
    if (started) await broker.shutdown();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`persistence: ${PERSISTENCE}; warm-up ${WARMUP_MS} ms, measured ${MEASURE_MS} ms per point; gateways: separate processes, TLS 1.3 X25519MLKEM768, ${GATEWAY_DRIVER} driver with ${process.env.BENCH_GET_CHANNELS ?? Math.max(...CLIENTS)} get channels`);
  console.log('');
  console.log('| body | clients | gateway | direct round trips/s | gateway round trips/s | ratio | direct p50 / p99 ms | gateway p50 / p99 ms | added p50 ms | CPU µs per round trip, direct: client + broker | gateway: client + gateway + broker | errors |');
  console.log('|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const size of SIZES) {
    for (const clients of CLIENTS) {
      const d = results.find((r) => r.mode === 'direct' && r.size === size && r.clients === clients);
      for (const variant of VARIANTS) {
        const g = results.find((r) => r.mode === variant && r.size === size && r.clients === clients) as Point;
        const gcpu = `${fmt(g.cpuMs.client * 1000)} + ${fmt(g.cpuMs.gateway * 1000)} + ${fmt(g.cpuMs.broker * 1000)}`;
        if (d === undefined) {
          console.log(`| ${size / 1024} KiB | ${clients} | ${variant} | | ${fmt(g.roundTripsPerSec)} | | | ${fmt(g.p50Ms, 2)} / ${fmt(g.p99Ms, 2)} | | | ${gcpu} | ${g.errors} |`);
          continue;
        }
        console.log(`| ${size / 1024} KiB | ${clients} | ${variant} | ${fmt(d.roundTripsPerSec)} | ${fmt(g.roundTripsPerSec)} | ${fmt(g.roundTripsPerSec / d.roundTripsPerSec, 2)} | ${fmt(d.p50Ms, 2)} / ${fmt(d.p99Ms, 2)} | ${fmt(g.p50Ms, 2)} / ${fmt(g.p99Ms, 2)} | ${fmt(g.p50Ms - d.p50Ms, 2)} | ${fmt(d.cpuMs.client * 1000)} + ${fmt(d.cpuMs.broker * 1000)} | ${gcpu} | ${d.errors + g.errors} |`);
      }
    }
  }
}

await main();
