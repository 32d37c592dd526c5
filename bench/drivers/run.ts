// Benchmark of the amqp broker driver against amqplib used straight, in the same run, on the same
// RabbitMQ queue (durable, priority, depth-limited, as the driver declares it): persistent 1 KiB
// puts with publisher confirms, and gets with acks. Run: npm run bench:drivers
// Uses the test harness's RabbitMQ node (started here when none runs, stopped afterwards).
import { cpus, loadavg } from 'node:os';
import amqp, { type ChannelModel } from 'amqplib';
import { AmqpDriver } from '../../sidecar/drivers/amqp/amqp-driver.ts';
import { toPublishOptions } from '../../sidecar/drivers/amqp/amqp-message.ts';
import { prepareMessage } from '../../sidecar/drivers/message.ts';
import { RabbitMqBroker } from '../../test/harness/rabbitmq.ts';

const BODY = Buffer.alloc(1024, 0x5a);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 6000);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const QUEUE = 'QS.BENCH.DRIVERS';
const QUEUE_ARGS = { 'x-max-priority': 9, 'x-max-length': 1_000_000, 'x-overflow': 'reject-publish' };

interface Case {
  readonly name: string;
  readonly baseline?: string;
  /** Runs one trial and returns messages per second. */
  readonly trial: () => Promise<number>;
}

/** Runs `total` operations with `concurrency` of them in flight; returns operations per second. */
async function timed(total: number, concurrency: number, op: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        await op();
      }
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const broker = await RabbitMqBroker.forCheckout();
  const startedHere = broker.env.managed && !(await broker.isRunning());
  if (startedHere) await broker.start({ fresh: true });
  const raw: ChannelModel = await amqp.connect(broker.url, { noDelay: true });
  const admin = await raw.createChannel();
  await admin.deleteQueue(QUEUE);
  await admin.assertQueue(QUEUE, { durable: true, arguments: QUEUE_ARGS });
  const confirm = await raw.createConfirmChannel();
  const getChannels = await Promise.all(Array.from({ length: 4 }, () => raw.createChannel()));
  const driver = new AmqpDriver({ url: broker.url, queues: [{ name: QUEUE, maxDepth: 1_000_000 }] });
  await driver.start();
  // Read-ahead (docs/drivers.md): made hot by the first gets of a trial; idle between trials.
  const reading = new AmqpDriver({ url: broker.url, queues: [{ name: QUEUE, maxDepth: 1_000_000 }], readAhead: { prefetch: 32, idleMs: 200 } });
  await reading.start();

  const rawPut = (): Promise<void> =>
    new Promise((resolve, reject) => confirm.sendToQueue(QUEUE, BODY, { persistent: true }, (err) => (err ? reject(err) : resolve())));
  // The driver's descriptor on the wire (message id, put-time header, priority, mandatory), sent
  // straight: separates what the broker pays for those properties from what the driver costs.
  const rawPutWithProperties = (): Promise<void> =>
    new Promise((resolve, reject) =>
      confirm.sendToQueue(QUEUE, BODY, toPublishOptions(prepareMessage({ body: BODY, persistence: 'persistent' }, 1 << 22, new Date()), true), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  const fill = async (): Promise<void> => {
    await readAheadIdle();
    await admin.purgeQueue(QUEUE);
    await timed(MESSAGES, 256, rawPut);
  };
  let rr = 0;
  const rawGet = async (): Promise<void> => {
    const ch = getChannels[rr++ % getChannels.length] as (typeof getChannels)[number];
    const m = await ch.get(QUEUE, { noAck: false });
    if (!m) throw new Error('queue ran dry');
    ch.ack(m);
  };
  const rawConsume = async (): Promise<number> => {
    const ch = await raw.createChannel();
    await ch.prefetch(100);
    let n = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      void ch.consume(QUEUE, (m) => {
        if (!m) return;
        ch.ack(m);
        if (++n === MESSAGES) resolve();
      });
    });
    const rate = MESSAGES / ((performance.now() - t0) / 1000);
    await ch.close();
    return rate;
  };
  const driverPut = () => driver.put(QUEUE, { body: BODY, persistence: 'persistent' });
  const driverGet = async (): Promise<void> => {
    const d = await driver.get(QUEUE);
    if (!d) throw new Error('queue ran dry');
    await d.ack();
  };

  // The gateway's pattern: answer the client, then ack in the background while the next get runs.
  const background: Promise<void>[] = [];
  const getAckBehind = (from: AmqpDriver) => async (): Promise<void> => {
    const d = await from.get(QUEUE);
    if (!d) throw new Error('queue ran dry');
    background.push(d.ack());
  };
  const driverGetAckBehind = getAckBehind(driver);
  const readingGetAckBehind = getAckBehind(reading);
  /** Waits until the read-ahead driver has stopped reading ahead, so that each trial starts cold. */
  const readAheadIdle = async (): Promise<void> => {
    for (;;) {
      const { consumerCount } = await admin.checkQueue(QUEUE);
      if (consumerCount === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const cases: Case[] = [];
  for (const c of [1, 32]) {
    cases.push({ name: `put, ${c} in flight: amqplib (confirm channel)`, trial: async () => { await admin.purgeQueue(QUEUE); return timed(MESSAGES, c, rawPut); } });
    cases.push({ name: `put, ${c} in flight: amqplib with the driver's properties`, baseline: `put, ${c} in flight: amqplib (confirm channel)`, trial: async () => { await admin.purgeQueue(QUEUE); return timed(MESSAGES, c, rawPutWithProperties); } });
    cases.push({ name: `put, ${c} in flight: driver.put`, baseline: `put, ${c} in flight: amqplib (confirm channel)`, trial: async () => { await admin.purgeQueue(QUEUE); return timed(MESSAGES, c, driverPut); } });
  }
  cases.push({ name: 'get: amqplib consume, prefetch 100, ack', trial: async () => { await fill(); return rawConsume(); } });
  for (const c of [1, 32]) {
    cases.push({ name: `get, ${c} in flight: amqplib basic.get + ack (4 channels)`, trial: async () => { await fill(); return timed(MESSAGES, c, rawGet); } });
    cases.push({ name: `get, ${c} in flight: driver.get + ack`, baseline: `get, ${c} in flight: amqplib basic.get + ack (4 channels)`, trial: async () => { await fill(); return timed(MESSAGES, c, driverGet); } });
    cases.push({
      name: `get, ${c} in flight: driver.get, ack in the background`,
      baseline: `get, ${c} in flight: amqplib basic.get + ack (4 channels)`,
      trial: async () => {
        await fill();
        const rate = await timed(MESSAGES, c, driverGetAckBehind);
        await Promise.all(background.splice(0));
        return rate;
      },
    });
    cases.push({
      name: `get, ${c} in flight: driver.get reading ahead (prefetch 32), ack in the background`,
      baseline: `get, ${c} in flight: amqplib basic.get + ack (4 channels)`,
      trial: async () => {
        await fill();
        const rate = await timed(MESSAGES, c, readingGetAckBehind);
        await Promise.all(background.splice(0));
        return rate;
      },
    });
  }

  // Trials interleave the cases (ABAB…), so that the shared machine's drift hits all alike.
  const best = new Map<string, number>();
  for (let t = 0; t < TRIALS; t++) {
    for (const c of cases) {
      const rate = await c.trial();
      best.set(c.name, Math.max(best.get(c.name) ?? 0, rate));
    }
  }
  const consume = best.get('get: amqplib consume, prefetch 100, ack') as number;

  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log(`machine: ${cpus().length} × ${cpu}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`broker: RabbitMQ (harness node), queue durable classic with x-max-priority 9; ${MESSAGES} persistent 1 KiB messages per trial, best of ${TRIALS}`);
  console.log('');
  console.log('| case | msgs/s | µs/msg (1 in flight) | vs amqplib same primitive | vs amqplib consume |');
  console.log('|---|---:|---:|---:|---:|');
  for (const c of cases) {
    const rate = best.get(c.name) as number;
    const base = c.baseline ? best.get(c.baseline) : undefined;
    const oneInFlight = c.name.includes(', 1 in flight') ? (1e6 / rate).toFixed(0) : '';
    const vsConsume = c.name.startsWith('get') && !c.name.includes('consume') ? (rate / consume).toFixed(2) : '';
    console.log(`| ${c.name} | ${Math.round(rate).toLocaleString('en-US')} | ${oneInFlight} | ${base ? (rate / base).toFixed(2) : ''} | ${vsConsume} |`);
  }

  await driver.close();
  await reading.close();
  await admin.deleteQueue(QUEUE);
  await raw.close();
  if (startedHere) await broker.shutdown();
}

await main();
