// Benchmark of what observability costs the request path: emitting a security event (build,
// log line, hand-off to the HTTP sink), the sink's enqueue alone, and metric updates, against
// baselines measured in the same run. Run: npm run bench:events
import { cpus, loadavg } from 'node:os';
import { setImmediate as tick } from 'node:timers/promises';
import { pino } from 'pino';
import { createLogger } from '../../lib/log/index.ts';
import { createHttpSink, createSecurityEvents, type SecurityEvent, type SinkTransport } from '../../sidecar/events/index.ts';
import { createGatewayMetrics, createMetricsRegistry } from '../../sidecar/metrics/index.ts';
import { FULL_INPUTS } from '../../test/fixtures/security-event-inputs.ts';

const BATCH = 2000; // below the sink's default buffer (10 000): every timed enqueue is accepted

interface Result {
  readonly name: string;
  readonly opsPerSec: number;
  readonly nsPerOp: number;
}

let keep = 0;
/**
 * Best of several trials. Only the synchronous batches are timed; between batches `settle`
 * runs untimed (the sink sends what was enqueued, the log stream drains), as the event loop
 * does between requests.
 */
async function measure(name: string, fn: () => unknown, settle: () => Promise<void> = () => tick(), trials = 5, trialMs = 300): Promise<Result> {
  for (let i = 0; i < BATCH; i += 1) keep += fn() ? 1 : 0;
  await settle();
  let best = 0;
  for (let t = 0; t < trials; t += 1) {
    let ops = 0;
    let elapsed = 0;
    while (elapsed < trialMs) {
      const start = performance.now();
      for (let i = 0; i < BATCH; i += 1) keep += fn() ? 1 : 0;
      elapsed += performance.now() - start;
      ops += BATCH;
      await settle();
    }
    best = Math.max(best, (ops / elapsed) * 1000);
  }
  return { name, opsPerSec: best, nsPerOp: 1e9 / best };
}

// The production log path: pino with the project's options, asynchronous writes (as to stdout),
// here to /dev/null.
const devNull = () => pino.destination({ dest: '/dev/null', sync: false });
const log = createLogger({ component: 'gateway', destination: devNull() });
const plainPino = pino({ timestamp: pino.stdTimeFunctions.isoTime }, devNull());

// A transport that answers at once: the enqueue measurement excludes the network by design.
const instant: SinkTransport = { send: async () => ({ status: 200 }), close: async () => {}, destroy: async () => {} };
const sink = createHttpSink({ url: 'https://siem.example/ingest', log, transport: instant, flushIntervalMs: 1 });
const flushSink = () => sink.flush({ deadlineMs: 10_000 });

const metrics = createGatewayMetrics(createMetricsRegistry());
const service = { name: 'qshield-gateway', version: '0.1.0', nodeName: 'payments-0' };
const logOnly = createSecurityEvents({ log, metrics, service, qmgr: 'PAYMENTS' });
const withSink = createSecurityEvents({ log, metrics, service, qmgr: 'PAYMENTS', sink });

const denial = FULL_INPUTS['authorization-denied'];
const accepted = FULL_INPUTS['connection-accepted'];
const sample: SecurityEvent = logOnly.authorizationDenied(denial);
const line = JSON.stringify(sample);
const { message: _m, ...logFields } = sample;
const smallLine = { code: 'ERR_AUTHZ_DENIED', peerId: denial.peer.spiffeId, queue: denial.queue };

const counts = new Map<string, number>();
let requestEnd = metrics.startRequest('put');

const groups: { title: string; baseline: [string, () => unknown]; cases: [string, () => unknown, (() => Promise<void>)?][] }[] = [
  {
    title: 'security events',
    baseline: ['baseline: JSON.stringify of the event', () => JSON.stringify(sample).length],
    cases: [
      ['project logger: a 3-field info line (with its redaction)', () => log.info(smallLine, 'denied')],
      ['plain pino: the event object as one line (no redaction)', () => plainPino.info(logFields, 'x')],
      ['emit authorization-denied, log only', () => logOnly.authorizationDenied(denial)],
      ['emit connection-accepted (with TLS fields), log only', () => logOnly.connectionAccepted(accepted)],
      ['emit authorization-denied, log + HTTP sink', () => withSink.authorizationDenied(denial), flushSink],
      ['sink.enqueue of a serialized event (accepted)', () => sink.enqueue(line), flushSink],
    ],
  },
  {
    title: 'metrics',
    baseline: ['baseline: Map counter keyed by a label string', () => counts.set('put|success', (counts.get('put|success') ?? 0) + 1)],
    cases: [
      ['eventEmitted (counter by action + denial by code)', () => metrics.eventEmitted('authorization-denied', 'not-authorized')],
      ['observeRequest (counter + histogram)', () => metrics.observeRequest('put', 201, 0.0004)],
      ['startRequest + end (adds two clock reads)', () => {
        requestEnd(201);
        requestEnd = metrics.startRequest('put');
      }],
      ['connectionOpened + connectionClosed (capped channel label)', () => {
        metrics.connectionOpened('pay-apps');
        metrics.connectionClosed('pay-apps');
      }],
      ['longPollStarted + longPollEnded (unlabelled gauge)', () => {
        metrics.longPollStarted();
        metrics.longPollEnded();
      }],
    ],
  },
];

const output: string[] = [];
for (const group of groups) {
  const base = await measure(group.baseline[0], group.baseline[1]);
  output.push('', `${group.title}:`, '', '| case | ops/s | ns/op | cost vs baseline |', '|---|---:|---:|---:|');
  output.push(`| ${base.name} | ${Math.round(base.opsPerSec).toLocaleString('en-US')} | ${base.nsPerOp.toFixed(0)} | 1.0x |`);
  for (const [name, fn, settle] of group.cases) {
    const r = await measure(name, fn, settle);
    output.push(`| ${r.name} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${r.nsPerOp.toFixed(0)} | ${(r.nsPerOp / base.nsPerOp).toFixed(1)}x |`);
  }
}

const stats = sink.stats();
if (stats.droppedTotal !== 0) throw new Error(`the sink dropped ${stats.droppedTotal} events during the benchmark`);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`event: authorization-denied, ${Buffer.byteLength(line)} bytes as ECS JSON; sink: ${stats.sentEvents} events sent, none dropped`);
for (const row of output) console.log(row);
await sink.close();
if (keep < 0) console.log(keep);
