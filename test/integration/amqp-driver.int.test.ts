// The amqp driver against a real RabbitMQ: broker restarts and crashes, dropped connections,
// redelivery, selection among many messages, large bodies, the topic mapping on the wire, and
// messages that reach the broker behind the driver's back.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { hasCode, type ErrorCode } from '../../lib/errors/index.ts';
import { AmqpDriver, type AmqpDriverOptions } from '../../sidecar/drivers/amqp/amqp-driver.ts';
import type { Delivery, DriverEvent, QueueSpec } from '../../sidecar/drivers/driver.ts';
import { topicFilterToBindingKey, topicToRoutingKey } from '../../sidecar/drivers/topic-string.ts';
import { getAllConcurrently, uniqueQueue } from '../contract/driver-contract.ts';
import { RabbitMqBroker } from '../harness/rabbitmq.ts';
import { TcpProxy } from '../harness/tcp-proxy.ts';

const broker = new RabbitMqBroker(inject('rabbitmq'));
const drivers: AmqpDriver[] = [];
const queues = new Set<string>();
const hex = (): string => randomBytes(24).toString('hex');

async function makeDriver(specs: QueueSpec[], options: Partial<AmqpDriverOptions> = {}): Promise<AmqpDriver> {
  for (const spec of specs) queues.add(spec.name);
  const driver = new AmqpDriver({
    url: broker.url,
    queues: specs,
    pollIntervalMs: 100,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
    ...options,
  });
  drivers.push(driver);
  await driver.start();
  return driver;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

async function drainBodies(driver: AmqpDriver, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const d = await driver.get(queue);
    if (!d) return out;
    out.push(d.message.body.toString());
    await d.ack();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  await broker.ensureRunning();
  await broker.deleteQueues([...queues]);
  queues.clear();
});

describe('amqp driver: broker restart and crash', () => {
  it('keeps persistent messages across a restart, fails promptly while the broker is down, and recovers', async () => {
    const q = uniqueQueue('restart');
    const other = uniqueQueue('restart2');
    const driver = await makeDriver([{ name: q }, { name: other }]);
    const events: DriverEvent[] = [];
    driver.onEvent((e) => events.push(e));
    for (let i = 0; i < 30; i++) await driver.put(q, { body: Buffer.from(`p${i}`), persistence: 'persistent' });
    await driver.put(q, { body: Buffer.from('volatile'), persistence: 'nonPersistent' });
    const held = (await driver.get(q)) as Delivery;
    expect(held.message.body.toString()).toBe('p0');
    const waiting = codeOf(driver.get(other, { waitMs: 120_000 }));
    const subscription = await driver.subscribe(`qs-test/${hex().slice(0, 8)}/#`);
    const subscriptionEnd = codeOf(subscription[Symbol.asyncIterator]().next());

    const stopping = broker.stop();
    // rabbitmqctl itself takes a while to start on a loaded machine.
    await waitUntil('the driver notices the broker going away', () => !driver.health().ready, 180_000);
    expect(await waiting).toBe('ERR_BROKER_CONNECTION_BROKEN');
    expect(await subscriptionEnd).toBe('ERR_BROKER_CONNECTION_BROKEN');
    expect(held.state).toBe('lost');
    expect(await codeOf(held.ack())).toBe('ERR_BROKER_DELIVERY_LOST');
    expect(events).toContainEqual(expect.objectContaining({ kind: 'deliveryLost', source: q, messageId: held.message.messageId }));

    // While the broker is away every operation answers at once; none waits for it.
    const started = Date.now();
    const outcomes = await Promise.all([
      codeOf(driver.put(q, { body: Buffer.from('x') })),
      codeOf(driver.get(q, { waitMs: 30_000 })),
      codeOf(driver.get(q, { correlationId: hex(), waitMs: 30_000 })),
      codeOf(driver.browse(q)),
      codeOf(driver.browseList(q)),
      codeOf(driver.publish('a/b', { body: Buffer.from('x') })),
      codeOf(driver.subscribe('a/b')),
    ]);
    // Well under the 30 s the gets would wait (the margin is for a loaded machine).
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcomes).toEqual(Array(7).fill('ERR_BROKER_UNAVAILABLE'));
    expect(driver.health()).toMatchObject({ ready: false, lastError: { code: 'ERR_BROKER_UNAVAILABLE' } });
    await stopping;

    await broker.start();
    await waitUntil('the driver reconnects', () => driver.health().ready, 180_000);
    expect(events.filter((e) => e.kind === 'reconnectScheduled').length).toBeGreaterThan(0);
    // The held message is back in front; the persistent ones are all there in order; the non-persistent one is gone.
    expect(await drainBodies(driver, q)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
  }, 420_000);

  it('loses no confirmed put when the broker is killed mid-traffic, and answers with 503-class codes meanwhile', async () => {
    const q = uniqueQueue('crash');
    const driver = await makeDriver([{ name: q, maxDepth: 100_000 }], { operationTimeoutMs: 3_000 });
    const events: DriverEvent[] = [];
    driver.onEvent((e) => events.push(e));
    // RabbitMQ 3.10 can forget a durable queue declared moments before it is killed (seen in
    // about one kill in ten here: the declaration was in Mnesia's log yet not recovered), and
    // every message in it with it. The driver reports that (ERR_BROKER_QUEUE_LOST, tested
    // below); what this test checks is the driver's confirms, so the declaration is made
    // durable first.
    await broker.persistDefinitions();
    const confirmed: string[] = [];
    const failures = new Map<string, number>();
    let running = true;
    const producers = Array.from({ length: 4 }, async (_, p) => {
      for (let i = 0; running; i++) {
        try {
          const { messageId } = await driver.put(q, { body: Buffer.from(`${p}-${i}`), persistence: 'persistent' });
          confirmed.push(messageId);
        } catch (err) {
          const code = (err as { code?: string }).code ?? 'none';
          failures.set(code, (failures.get(code) ?? 0) + 1);
          await sleep(20);
        }
      }
    });
    try {
      await waitUntil('some puts are confirmed', () => confirmed.length >= 200, 60_000);
      await broker.kill();
      await waitUntil('puts fail', () => (failures.get('ERR_BROKER_UNAVAILABLE') ?? 0) > 10, 60_000);
      // The node accepts connections well before start() returns on a loaded machine: watch the
      // driver come back meanwhile, and stop the traffic soon after, so that the amount of work
      // left to check does not grow with the machine's load.
      const starting = broker.start();
      await waitUntil('the driver reconnects', () => driver.health().ready, 180_000);
      const confirmedBeforeRecovery = confirmed.length;
      await waitUntil('puts succeed again', () => confirmed.length > confirmedBeforeRecovery + 50, 60_000);
      running = false;
      await Promise.all([starting, ...producers]);
    } finally {
      running = false;
    }

    for (const code of failures.keys()) {
      expect(['ERR_BROKER_UNAVAILABLE', 'ERR_BROKER_CONNECTION_BROKEN', 'ERR_BROKER_TIMEOUT'] as string[]).toContain(code);
    }
    expect(events.filter((e) => e.kind === 'queueError')).toEqual([]);
    const stored = new Set<string>();
    let empty = false;
    // Several getters at once: the check takes seconds, not minutes, on a loaded machine.
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (!empty) {
        const d = await driver.get(q);
        if (!d) {
          empty = true;
          break;
        }
        stored.add(d.message.messageId);
        await d.ack();
      }
    }));
    const lost = confirmed.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
  }, 420_000);
});

describe('amqp driver: connections dropped under it', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await TcpProxy.start('127.0.0.1', broker.env.amqpPort || Number(new URL(broker.url).port));
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('gets the message back on the queue when the consumer connection drops before the ack', async () => {
    const q = uniqueQueue('drop');
    const direct = await makeDriver([{ name: q }]);
    const url = new URL(broker.url);
    url.port = String(proxy.port);
    const consumer = await makeDriver([{ name: q }], { url: url.toString() });
    const events: DriverEvent[] = [];
    consumer.onEvent((e) => events.push(e));
    await direct.put(q, { body: Buffer.from('first'), persistence: 'persistent' });
    await direct.put(q, { body: Buffer.from('second'), persistence: 'persistent' });
    const held = (await consumer.get(q)) as Delivery;
    expect(held.message.body.toString()).toBe('first');
    const subscription = await consumer.subscribe('qs-test/drop');
    const subscriptionEnd = codeOf(subscription[Symbol.asyncIterator]().next());

    proxy.refuse(true);
    proxy.cut();
    await waitUntil('the consumer notices', () => held.state === 'lost', 60_000);
    expect(await codeOf(held.ack())).toBe('ERR_BROKER_DELIVERY_LOST');
    expect(await subscriptionEnd).toBe('ERR_BROKER_CONNECTION_BROKEN');
    expect(events).toContainEqual(expect.objectContaining({ kind: 'deliveryLost', messageId: held.message.messageId }));
    expect(await codeOf(consumer.get(q))).toBe('ERR_BROKER_UNAVAILABLE');
    // The broker put it back at the front.
    await waitUntil('the broker requeues', async () => (await direct.browse(q))?.body.toString() === 'first', 60_000);

    proxy.refuse(false);
    await waitUntil('the consumer reconnects', () => consumer.health().ready, 60_000);
    expect(await drainBodies(consumer, q)).toEqual(['first', 'second']);
  });

  it('reports a configured queue that vanished from the broker while it was disconnected, and declares it again', async () => {
    const q = uniqueQueue('vanish');
    const kept = uniqueQueue('kept');
    const url = new URL(broker.url);
    url.port = String(proxy.port);
    const driver = await makeDriver([{ name: q }, { name: kept }], { url: url.toString() });
    const events: DriverEvent[] = [];
    driver.onEvent((e) => events.push(e));
    await driver.put(q, { body: Buffer.from('gone with the queue'), persistence: 'persistent' });
    await driver.put(kept, { body: Buffer.from('still here'), persistence: 'persistent' });

    proxy.refuse(true);
    proxy.cut();
    await waitUntil('the driver notices', () => !driver.health().ready, 60_000);
    await broker.deleteQueues([q]);
    proxy.refuse(false);
    await waitUntil('the driver reconnects', () => driver.health().ready, 60_000);

    const lost = events.filter((e) => e.kind === 'queueError');
    expect(lost).toEqual([expect.objectContaining({ kind: 'queueError', queue: q, error: expect.objectContaining({ code: 'ERR_BROKER_QUEUE_LOST' }) })]);
    // Declared again, empty, and usable; the other queue kept its message.
    expect(await driver.get(q)).toBeNull();
    await driver.put(q, { body: Buffer.from('new') });
    expect(await drainBodies(driver, q)).toEqual(['new']);
    expect(await drainBodies(driver, kept)).toEqual(['still here']);
  });

  it('bounds the deliveries held unsettled at once', async () => {
    const q = uniqueQueue('held');
    const driver = await makeDriver([{ name: q }], { maxHeldDeliveries: 2 });
    for (const body of ['a', 'b', 'c']) await driver.put(q, { body: Buffer.from(body) });
    const a = (await driver.get(q)) as Delivery;
    const b = (await driver.get(q, { correlationId: undefined })) as Delivery;
    expect(await codeOf(driver.get(q))).toBe('ERR_BROKER_TOO_MANY_HELD');
    expect(await codeOf(driver.get(q, { correlationId: hex() }))).toBe('ERR_BROKER_TOO_MANY_HELD');
    await a.ack();
    await b.release();
    expect(await drainBodies(driver, q)).toEqual(['b', 'c']);
  });

  it('redelivers a released delivery, in its original position', async () => {
    const q = uniqueQueue('redeliver');
    const driver = await makeDriver([{ name: q }]);
    for (const body of ['a', 'b', 'c']) await driver.put(q, { body: Buffer.from(body) });
    const first = (await driver.get(q)) as Delivery;
    const second = (await driver.get(q)) as Delivery;
    await second.release();
    await first.release();
    const again = (await driver.get(q)) as Delivery;
    expect(again.message.messageId).toBe(first.message.messageId);
    expect(again.message.body.toString()).toBe('a');
    await again.ack();
    expect(await drainBodies(driver, q)).toEqual(['b', 'c']);
  });
});

describe('amqp driver: selection, bodies, topics', () => {
  it('selects by correlation id among many messages of mixed priorities, keeping the rest in order', async () => {
    const q = uniqueQueue('select');
    const driver = await makeDriver([{ name: q }]);
    const targets = [hex(), hex(), hex()];
    const expected: { body: string; priority: number; seq: number }[] = [];
    const puts: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      const priority = i % 7 === 0 ? 5 : i % 11 === 0 ? 9 : 0;
      const target = i === 20 ? targets[0] : i === 111 ? targets[1] : i === 199 ? targets[2] : undefined;
      if (target === undefined) expected.push({ body: `m${i}`, priority, seq: i });
      // Sequential puts: the order of arrival is the order of the plan.
      await driver.put(q, { body: Buffer.from(target ? `t${i}` : `m${i}`), priority, correlationId: target ?? hex() });
    }
    await Promise.all(puts);
    expect((await driver.get(q, { correlationId: targets[1] }))?.message.body.toString()).toBe('t111');
    expect((await driver.get(q, { correlationId: targets[2] }))?.message.body.toString()).toBe('t199');
    expect((await driver.browse(q, { correlationId: targets[0] }))?.body.toString()).toBe('t20');
    expect((await driver.get(q, { correlationId: targets[0] }))?.message.body.toString()).toBe('t20');
    expected.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    expect(await drainBodies(driver, q)).toEqual(expected.map((e) => e.body));
  });

  it('keeps concurrent 64 KiB binary bodies intact', async () => {
    const q = uniqueQueue('bodies');
    const driver = await makeDriver([{ name: q }]);
    const bodies = Array.from({ length: 40 }, () => randomBytes(64 * 1024));
    const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const ids = await Promise.all(bodies.map((body) => driver.put(q, { body, persistence: 'persistent' })));
    const byId = new Map(ids.map((r, i) => [r.messageId, digest(bodies[i] as Buffer)]));
    const got = await Promise.all(Array.from({ length: 40 }, () => driver.get(q)));
    for (const d of got) {
      expect(d).not.toBeNull();
      expect(d?.message.body.length).toBe(64 * 1024);
      expect(digest(d?.message.body as Buffer)).toBe(byId.get(d?.message.messageId as string));
    }
    await Promise.all(got.map((d) => d?.ack()));
    expect(new Set(got.map((d) => d?.message.messageId)).size).toBe(40);
  });

  it('puts the documented routing keys on the wire', async () => {
    const driver = await makeDriver([]);
    const conn = await broker.connect();
    try {
      const ch = await conn.createChannel();
      const { queue } = await ch.assertQueue('', { exclusive: true });
      const root = `qs-test/${hex().slice(0, 8)}`;
      const topics = [`${root}/a.b/c`, `${root}/x*y/#z`, `${root}/100%/ü`, `${root}//e`];
      for (const t of topics) await ch.bindQueue(queue, 'qshield.topics', topicToRoutingKey(t));
      await ch.bindQueue(queue, 'qshield.topics', topicFilterToBindingKey(`${root}/+/deep/#`));
      for (const t of [...topics, `${root}/any/deep/er/still`, `${root}/any/shallow`]) await driver.publish(t, { body: Buffer.from(t) });
      const seen: string[] = [];
      await waitUntil('the raw consumer got the publications', async () => {
        const m = await ch.get(queue, { noAck: true });
        if (m) seen.push(`${m.fields.routingKey} ${m.content.toString()}`);
        return seen.length >= 5;
      }, 10_000);
      expect(seen).toEqual([
        `${topicToRoutingKey(topics[0] as string)} ${topics[0]}`,
        `${topicToRoutingKey(topics[1] as string)} ${topics[1]}`,
        `${topicToRoutingKey(topics[2] as string)} ${topics[2]}`,
        `${topicToRoutingKey(topics[3] as string)} ${topics[3]}`,
        `${topicToRoutingKey(`${root}/any/deep/er/still`)} ${root}/any/deep/er/still`,
      ]);
      expect(await ch.get(queue, { noAck: true })).toBe(false);
    } finally {
      await conn.close();
    }
  });
});

describe('amqp driver: reading ahead', () => {
  const READ_AHEAD = { prefetch: 4, hotGetsPerSecond: 5, idleMs: 300 };
  /** A channel of the test's own to look at queues with; opened again after a broker restart. */
  let inspector: { conn: ChannelModel; channel: Channel } | undefined;
  async function inspectChannel(): Promise<Channel> {
    if (inspector) return inspector.channel;
    const conn = await broker.connect();
    const channel = await conn.createChannel();
    const opened = { conn, channel };
    const forget = (): void => {
      if (inspector === opened) inspector = undefined;
    };
    conn.on('error', forget);
    conn.on('close', forget);
    channel.on('error', forget);
    channel.on('close', forget);
    inspector = opened;
    return channel;
  }
  afterAll(async () => {
    await inspector?.conn.close().catch(() => undefined);
  });

  /** Consumers the broker counts on `queue`: 1 while the driver reads ahead on it. */
  async function consumers(queue: string): Promise<number> {
    return (await (await inspectChannel()).checkQueue(queue)).consumerCount;
  }

  /** Messages ready on `queue` (not pushed to a consumer, not held). */
  async function ready(queue: string): Promise<number> {
    return (await (await inspectChannel()).checkQueue(queue)).messageCount;
  }

  /**
   * Plain gets (acked) in bursts of `hotGetsPerSecond` until the broker counts the driver's
   * consumer: however slow the machine, a burst is hot. Their bodies, in order.
   */
  async function getUntilReadingAhead(driver: AmqpDriver, queue: string, burst = READ_AHEAD.hotGetsPerSecond): Promise<string[]> {
    const out: string[] = [];
    while ((await consumers(queue)) === 0) {
      for (let i = 0; i < burst; i++) {
        const d = await driver.get(queue);
        if (!d) throw new Error('the queue ran dry before the driver read ahead');
        out.push(d.message.body.toString());
        await d.ack();
      }
      // The consumer starts in the background: give it a moment before looking again.
      await waitUntil('the consumer shows', async () => (await consumers(queue)) === 1, 2_000).catch(() => undefined);
    }
    return out;
  }

  /** Takes `count` plain gets (acked) quickly: the queue gets hot. */
  async function getBodies(driver: AmqpDriver, queue: string, count: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const d = (await driver.get(queue)) as Delivery;
      out.push(d.message.body.toString());
      await d.ack();
    }
    return out;
  }

  it('reads ahead on a hot queue only, and gives the buffer back to the queue, in order, when gets stop', async () => {
    const q = uniqueQueue('ahead');
    const driver = await makeDriver([{ name: q }], { readAhead: READ_AHEAD });
    for (let i = 0; i < 20; i++) await driver.put(q, { body: Buffer.from(`m${i}`) });
    expect(await getBodies(driver, q, 2)).toEqual(['m0', 'm1']);
    await sleep(200);
    expect(await consumers(q)).toBe(0); // two gets are not hot
    const got = await getUntilReadingAhead(driver, q);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `m${i + 2}`));
    // Gets stop: after idleMs the consumer goes and what it had buffered is back on the queue,
    // where another client finds it all, in order.
    await waitUntil('reading ahead stops', async () => (await consumers(q)) === 0);
    const rest: string[] = [];
    const ch = await inspectChannel();
    for (let m = await ch.get(q, { noAck: true }); m; m = await ch.get(q, { noAck: true })) rest.push(m.content.toString());
    expect(rest).toEqual(Array.from({ length: 18 - got.length }, (_, i) => `m${i + 2 + got.length}`));
  });

  it('returns what it read ahead to the queue when the driver closes (a gateway shutting down)', async () => {
    const q = uniqueQueue('aheadclose');
    const driver = await makeDriver([{ name: q }], { readAhead: READ_AHEAD });
    for (let i = 0; i < 30; i++) await driver.put(q, { body: Buffer.from(`m${i}`), persistence: 'persistent' });
    const got = await getUntilReadingAhead(driver, q);
    const held = (await driver.get(q)) as Delivery;
    expect(held.message.body.toString()).toBe(`m${got.length}`);
    await driver.close();
    expect(held.state).not.toBe('held');
    const other = await makeDriver([{ name: q }]);
    expect(await drainBodies(other, q)).toEqual(Array.from({ length: 30 - got.length }, (_, i) => `m${i + got.length}`));
  });

  it('lets browses and selective gets see what it buffered, and keeps the order', async () => {
    const q = uniqueQueue('aheadsel');
    const driver = await makeDriver([{ name: q }], { readAhead: READ_AHEAD });
    const corr = hex();
    for (let i = 0; i < 40; i++) await driver.put(q, { body: Buffer.from(`m${i}`), ...(i === 31 ? { correlationId: corr } : {}) });
    const got = await getUntilReadingAhead(driver, q);
    expect(got.length).toBeLessThan(25);
    // What follows sits in the buffer now (the window is 4); a browse and a selection must see it
    // where it is.
    await waitUntil('the window is full', async () => (await ready(q)) === 40 - got.length - READ_AHEAD.prefetch, 10_000);
    const next = got.length;
    expect((await driver.browseList(q)).length).toBe(40 - next);
    expect((await driver.browse(q))?.body.toString()).toBe(`m${next}`);
    const selected = (await driver.get(q, { correlationId: corr })) as Delivery;
    expect(selected.message.body.toString()).toBe('m31');
    await selected.ack();
    const rest = Array.from({ length: 40 - next }, (_, i) => `m${i + next}`).filter((b) => b !== 'm31');
    expect(await drainBodies(driver, q)).toEqual(rest);
  });

  it('hands out a higher priority first when the window has room, and at most `prefetch` lower ones before it otherwise', async () => {
    const q = uniqueQueue('aheadprio');
    const driver = await makeDriver([{ name: q }], { readAhead: { ...READ_AHEAD, prefetch: 16 } });
    for (let i = 0; i < 30; i++) await driver.put(q, { body: Buffer.from(`low${i}`), priority: 1 });
    const got = await getUntilReadingAhead(driver, q);
    // Down to 15 left, so that with the urgent one the window (16) takes everything.
    got.push(...(await getBodies(driver, q, Math.max(0, 30 - got.length - 15))));
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => `low${i}`));
    await driver.put(q, { body: Buffer.from('urgent'), priority: 9 });
    // The broker pushed them all (none is ready on the queue), the urgent one last; the buffer
    // sorts it first.
    await waitUntil('everything is pushed', async () => (await ready(q)) === 0, 10_000);
    expect(await getBodies(driver, q, 2)).toEqual(['urgent', `low${got.length}`]);

    const tight = uniqueQueue('aheadtight');
    const small = await makeDriver([{ name: tight }], { readAhead: { ...READ_AHEAD, prefetch: 2 } });
    for (let i = 0; i < 30; i++) await small.put(tight, { body: Buffer.from(`low${i}`), priority: 1 });
    const before = await getUntilReadingAhead(small, tight);
    // Hold two deliveries: the window (2) is full, so the next message waits on the broker.
    const held = [(await small.get(tight)) as Delivery, (await small.get(tight)) as Delivery];
    await small.put(tight, { body: Buffer.from('urgent'), priority: 9 });
    const order = [...held.map((d) => d.message.body.toString()), ...(await drainBodies(small, tight))];
    await Promise.all(held.map((d) => d.ack()));
    expect(order.indexOf('urgent')).toBeLessThanOrEqual(2);
    expect(order.filter((b) => b !== 'urgent')).toEqual(Array.from({ length: 30 - before.length }, (_, i) => `low${i + before.length}`));
  });

  it('finds a message for every get while any remain, with its window full and acks settling behind', async () => {
    const q = uniqueQueue('aheaddry');
    const driver = await makeDriver([{ name: q, maxDepth: 100_000 }], { readAhead: { prefetch: 32, hotGetsPerSecond: 5, idleMs: 1_000 } });
    const total = 4000;
    const conn = await broker.connect();
    try {
      const ch = await conn.createConfirmChannel();
      for (let i = 0; i < total; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    expect(await getAllConcurrently(driver, q, total)).toEqual([]);
  });

  it('gets back what it read ahead when its connection drops', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', broker.env.amqpPort || Number(new URL(broker.url).port));
    try {
      const q = uniqueQueue('aheaddrop');
      const direct = await makeDriver([{ name: q }]);
      const url = new URL(broker.url);
      url.port = String(proxy.port);
      const consumer = await makeDriver([{ name: q }], { url: url.toString(), readAhead: READ_AHEAD });
      for (let i = 0; i < 30; i++) await direct.put(q, { body: Buffer.from(`m${i}`), persistence: 'persistent' });
      const got = await getUntilReadingAhead(consumer, q);
      const held = (await consumer.get(q)) as Delivery;
      expect(held.message.body.toString()).toBe(`m${got.length}`);
      proxy.refuse(true);
      proxy.cut();
      await waitUntil('the consumer notices', () => held.state === 'lost', 60_000);
      await waitUntil('the broker takes everything back', async () => (await consumers(q)) === 0);
      expect(await drainBodies(direct, q)).toEqual(Array.from({ length: 30 - got.length }, (_, i) => `m${i + got.length}`));
    } finally {
      await proxy.close();
    }
  });

  it('loses no confirmed put and settles no message twice when the broker is killed mid-traffic', async () => {
    const q = uniqueQueue('aheadcrash');
    const driver = await makeDriver([{ name: q, maxDepth: 100_000 }], { operationTimeoutMs: 3_000, readAhead: { prefetch: 16, hotGetsPerSecond: 5, idleMs: 1_000 } });
    await broker.persistDefinitions(); // see the crash test above
    const confirmed = new Set<string>();
    // Acked messages by broker run: RabbitMQ does not write acks to disk at once, so after a kill
    // it may deliver again what was acked just before (at least once); within a run, never.
    const acked: string[][] = [[], []];
    // Handed to a getter whose ack then failed: in doubt, as the broker may have processed the ack
    // before the connection went (then the message does not come again) or not (then it does).
    const inDoubt = new Set<string>();
    let run = 0;
    let running = true;
    const producers = Array.from({ length: 3 }, async (_, p) => {
      for (let i = 0; running; i++) {
        try {
          confirmed.add((await driver.put(q, { body: Buffer.from(`${p}-${i}`), persistence: 'persistent' })).messageId);
        } catch {
          await sleep(20);
        }
      }
    });
    const getters = Array.from({ length: 3 }, async () => {
      while (running) {
        try {
          const d = await driver.get(q, { waitMs: 200 });
          if (!d) continue;
          try {
            await d.ack();
            acked[run]?.push(d.message.messageId);
          } catch {
            inDoubt.add(d.message.messageId);
          }
        } catch {
          await sleep(20);
        }
      }
    });
    try {
      await waitUntil('traffic flows', async () => (acked[0]?.length ?? 0) >= 200 && (await consumers(q)) === 1, 60_000);
      await broker.kill();
      await waitUntil('the driver notices', () => !driver.health().ready, 60_000);
      run = 1;
      const starting = broker.start();
      await waitUntil('the driver reconnects', () => driver.health().ready, 180_000);
      await waitUntil('gets succeed again', () => (acked[1]?.length ?? 0) > 50, 60_000);
      running = false;
      await Promise.all([starting, ...producers, ...getters]);
    } finally {
      running = false;
    }
    const rest: string[] = [];
    for (let d = await driver.get(q); d; d = await driver.get(q)) {
      rest.push(d.message.messageId);
      await d.ack();
    }
    for (const ids of acked) expect(new Set(ids).size).toBe(ids.length);
    expect(new Set([...(acked[1] ?? []), ...rest]).size).toBe((acked[1]?.length ?? 0) + rest.length);
    const got = new Set([...acked.flat(), ...inDoubt, ...rest]);
    expect([...confirmed].filter((id) => !got.has(id))).toEqual([]);
  }, 420_000);
});

describe('amqp driver: the broker behind its back', () => {
  it('reads messages put by another AMQP client, and wakes a waiting getter for them', async () => {
    const q = uniqueQueue('foreign');
    const driver = await makeDriver([{ name: q }]);
    const waiting = driver.get(q, { waitMs: 10_000 });
    await sleep(100);
    const conn = await broker.connect();
    try {
      const ch = await conn.createConfirmChannel();
      ch.sendToQueue(q, Buffer.from('tampered'), { messageId: 'not-an-mq-id', priority: 3, headers: { note: 'raw', 'x-evil': 'y' } });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    const d = (await waiting) as Delivery;
    expect(d.message.body.toString()).toBe('tampered');
    expect(d.message.messageId).toMatch(/^[0-9a-f]{48}$/);
    expect(d.message.priority).toBe(3);
    expect(d.message.properties).toEqual({ note: 'raw' });
    expect(d.message.putTime).toBeUndefined();
    await d.ack();
  });

  it('never creates an unknown queue on the broker', async () => {
    const driver = await makeDriver([]);
    const unknown = uniqueQueue('nocreate');
    expect(await codeOf(driver.put(unknown, { body: Buffer.from('x') }))).toBe('ERR_BROKER_UNKNOWN_QUEUE');
    const conn = await broker.connect();
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      expect(await codeOf(ch.checkQueue(unknown))).toBe(404 as unknown as string);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });

  it('refuses a queue the broker holds with other attributes, and serves the others', async () => {
    const clash = uniqueQueue('clash');
    const fine = uniqueQueue('fine');
    queues.add(clash);
    const conn = await broker.connect();
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(clash, { durable: true, arguments: { 'x-max-length': 10 } });
    } finally {
      await conn.close();
    }
    const events: DriverEvent[] = [];
    const driver = new AmqpDriver({ url: broker.url, queues: [{ name: fine }] });
    queues.add(fine);
    drivers.push(driver);
    driver.onEvent((e) => events.push(e));
    await driver.start();
    const error = await driver.configureQueues([{ name: clash }, { name: fine }]).catch((e: unknown) => e);
    expect(hasCode(error, 'ERR_BROKER_QUEUE_MISMATCH')).toBe(true);
    expect((error as { details: { queues: string[] } }).details.queues).toEqual([clash]);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'queueError', queue: clash }));
    expect(await codeOf(driver.put(clash, { body: Buffer.from('x') }))).toBe('ERR_BROKER_QUEUE_MISMATCH');
    await driver.put(fine, { body: Buffer.from('ok') });
    expect(await drainBodies(driver, fine)).toEqual(['ok']);
  });

  it('reports a queue deleted behind its back as unknown, and keeps serving the others', async () => {
    const gone = uniqueQueue('gone');
    const kept = uniqueQueue('kept');
    const driver = await makeDriver([{ name: gone }, { name: kept }]);
    await broker.deleteQueues([gone]);
    const putError = await driver.put(gone, { body: Buffer.from('x') }).catch((e: unknown) => e);
    expect(hasCode(putError, 'ERR_BROKER_UNKNOWN_QUEUE')).toBe(true);
    expect((putError as { details: { reason?: string } }).details.reason).toBe('missingOnBroker');
    expect(await codeOf(driver.get(gone))).toBe('ERR_BROKER_UNKNOWN_QUEUE' satisfies ErrorCode);
    expect(await codeOf(driver.browse(gone))).toBe('ERR_BROKER_UNKNOWN_QUEUE');
    await driver.put(kept, { body: Buffer.from('fine') });
    expect(await drainBodies(driver, kept)).toEqual(['fine']);
  });
});
