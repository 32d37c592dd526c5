// The behaviour every broker driver shares, as one suite: the memory driver runs it in the unit
// project, the amqp driver in test/integration against a real RabbitMQ.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCode, type ErrorCode } from '../../lib/errors/index.ts';
import type { BrokerDriver, Delivery, DriverEvent, QueueSpec, Subscription } from '../../sidecar/drivers/driver.ts';

export interface ContractHarness {
  /** A started driver with `queues` configured; the harness closes it (and deletes the queues) afterwards. */
  createDriver(queues: readonly QueueSpec[]): Promise<BrokerDriver>;
  /** Removes what createDriver made; called after each test. */
  cleanup(): Promise<void>;
}

const hex = (n = 24): string => randomBytes(n).toString('hex');

/** A queue name unique to this run, so that durable broker state from other runs never interferes. */
/**
 * Gets `total` messages as the gateway does — answer, then ack while the next gets run — with
 * `concurrency` gets at once; returns the numbers of the gets that found the queue dry.
 */
export async function getAllConcurrently(driver: BrokerDriver, q: string, total: number, concurrency = 32): Promise<number[]> {
  let started = 0;
  const dry: number[] = [];
  const acks: Promise<void>[] = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < total) {
      const n = started++;
      const d = await driver.get(q);
      if (d) acks.push(d.ack());
      else dry.push(n);
    }
  }));
  await Promise.all(acks);
  return dry;
}

export function uniqueQueue(label: string): string {
  return `QS.T.${label}.${randomBytes(4).toString('hex')}`.slice(0, 48);
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  expect(outcome.ok, `expected ${code}`).toBe(false);
  if (!outcome.ok) {
    expect(hasCode(outcome.error, code), `expected ${code}, got ${String((outcome.error as { code?: string }).code ?? outcome.error)}`).toBe(true);
  }
}

async function getBody(driver: BrokerDriver, queue: string, options: Parameters<BrokerDriver['get']>[1] = {}): Promise<string | null> {
  const delivery = await driver.get(queue, options);
  if (!delivery) return null;
  await delivery.ack();
  return delivery.message.body.toString();
}

async function drain(driver: BrokerDriver, queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const body = await getBody(driver, queue);
    if (body === null) return out;
    out.push(body);
  }
}

async function nextDelivery(subscription: Subscription, timeoutMs = 5_000): Promise<Delivery | 'timeout' | 'ended'> {
  const iterator = subscription[Symbol.asyncIterator]();
  const timer = sleep(timeoutMs).then(() => 'timeout' as const);
  const next = iterator.next().then((r) => (r.done ? ('ended' as const) : r.value));
  return Promise.race([next, timer]);
}

export function describeDriverContract(name: string, harness: () => ContractHarness): void {
  describe(`broker driver contract: ${name}`, () => {
    let h: ContractHarness;
    const setup = async (queues: QueueSpec[]): Promise<BrokerDriver> => {
      h ??= harness();
      return h.createDriver(queues);
    };
    afterEach(async () => {
      await h?.cleanup();
    });

    describe('put and get', () => {
      it('round-trips every descriptor field and a binary body', async () => {
        const q = uniqueQueue('rt');
        const driver = await setup([{ name: q }]);
        const body = randomBytes(4096);
        const messageId = hex();
        const correlationId = hex();
        const before = Date.now();
        const put = await driver.put(q, {
          body,
          messageId: messageId.toUpperCase(),
          correlationId,
          persistence: 'persistent',
          expiryMs: 60_000,
          priority: 7,
          replyTo: 'PAY.REPLY@PAYMENTS',
          contentType: 'application/octet-stream',
          properties: { orderId: 'A-17', 'region.name': 'eu west' },
        });
        expect(put.messageId).toBe(messageId);
        expect(put.putTime.getTime()).toBeGreaterThanOrEqual(before - 1);

        const delivery = await driver.get(q);
        expect(delivery).not.toBeNull();
        const m = (delivery as Delivery).message;
        expect(m.body.equals(body)).toBe(true);
        expect(m.messageId).toBe(messageId);
        expect(m.correlationId).toBe(correlationId);
        expect(m.persistence).toBe('persistent');
        expect(m.expiryMs).toBeGreaterThan(0);
        expect(m.expiryMs).toBeLessThanOrEqual(60_000);
        expect(m.priority).toBe(7);
        expect(m.replyTo).toBe('PAY.REPLY@PAYMENTS');
        expect(m.contentType).toBe('application/octet-stream');
        expect(m.properties).toEqual({ orderId: 'A-17', 'region.name': 'eu west' });
        expect(m.putTime?.getTime()).toBe(put.putTime.getTime());
        expect((delivery as Delivery).source).toEqual({ kind: 'queue', name: q });
        await (delivery as Delivery).ack();
        expect((delivery as Delivery).state).toBe('acked');
        expect(await driver.get(q)).toBeNull();
      });

      it('applies the MQ defaults and generates unique 24-byte ids', async () => {
        const q = uniqueQueue('defaults');
        const driver = await setup([{ name: q }]);
        const ids = new Set<string>();
        for (let i = 0; i < 20; i++) ids.add((await driver.put(q, { body: Buffer.from([i]), messageId: i === 0 ? '0'.repeat(48) : undefined })).messageId);
        expect(ids.size).toBe(20);
        for (const id of ids) expect(id).toMatch(/^[0-9a-f]{48}$/);
        const m = (await driver.get(q))?.message;
        expect(m?.persistence).toBe('nonPersistent');
        expect(m?.priority).toBe(0);
        expect(m?.expiryMs).toBeUndefined();
        expect(m?.correlationId).toBeUndefined();
        expect(m?.replyTo).toBeUndefined();
        expect(m?.properties).toEqual({});
      });

      it('keeps an empty body and a 64 KiB body intact', async () => {
        const q = uniqueQueue('bodies');
        const driver = await setup([{ name: q }]);
        const big = randomBytes(64 * 1024);
        await driver.put(q, { body: Buffer.alloc(0) });
        await driver.put(q, { body: big });
        expect((await driver.get(q))?.message.body.length).toBe(0);
        expect((await driver.get(q))?.message.body.equals(big)).toBe(true);
      });

      it('refuses unknown queues on every operation and never creates them', async () => {
        const known = uniqueQueue('known');
        const driver = await setup([{ name: known }]);
        const unknown = uniqueQueue('unknown');
        await expectCode(driver.put(unknown, { body: Buffer.from('x') }), 'ERR_BROKER_UNKNOWN_QUEUE');
        await expectCode(driver.get(unknown), 'ERR_BROKER_UNKNOWN_QUEUE');
        await expectCode(driver.get(unknown, { waitMs: 1000 }), 'ERR_BROKER_UNKNOWN_QUEUE');
        await expectCode(driver.browse(unknown), 'ERR_BROKER_UNKNOWN_QUEUE');
        await expectCode(driver.browseList(unknown), 'ERR_BROKER_UNKNOWN_QUEUE');
        await expectCode(driver.put(unknown, { body: Buffer.from('x') }), 'ERR_BROKER_UNKNOWN_QUEUE');
      });

      it('refuses a message longer than the queue maximum and stores nothing', async () => {
        const q = uniqueQueue('big');
        const driver = await setup([{ name: q, maxMessageLength: 1024 }]);
        await driver.put(q, { body: Buffer.alloc(1024) });
        await expectCode(driver.put(q, { body: Buffer.alloc(1025) }), 'ERR_BROKER_MESSAGE_TOO_BIG');
        expect(await driver.browseList(q)).toHaveLength(1);
      });

      it.each([
        [{ priority: 10 }, 'ERR_BROKER_BAD_PRIORITY'],
        [{ priority: 1.5 }, 'ERR_BROKER_BAD_PRIORITY'],
        [{ expiryMs: 0 }, 'ERR_BROKER_BAD_EXPIRY'],
        [{ expiryMs: -5 }, 'ERR_BROKER_BAD_EXPIRY'],
        [{ persistence: 'durable' }, 'ERR_BROKER_BAD_PERSISTENCE'],
        [{ messageId: 'abc' }, 'ERR_BROKER_BAD_MESSAGE_ID'],
        [{ messageId: 'g'.repeat(48) }, 'ERR_BROKER_BAD_MESSAGE_ID'],
        [{ correlationId: '00' }, 'ERR_BROKER_BAD_CORREL_ID'],
        [{ properties: { 'bad-name': 'x' } }, 'ERR_BROKER_BAD_PROPERTY'],
        [{ properties: { n: 7 } }, 'ERR_BROKER_BAD_PROPERTY'],
        [{ replyTo: 'a queue with spaces' }, 'ERR_BROKER_BAD_MESSAGE'],
        [{ contentType: 'text/plain\r\nx: y' }, 'ERR_BROKER_BAD_MESSAGE'],
      ] as const)('refuses a bad descriptor %o with %s', async (fields, code) => {
        const q = uniqueQueue('bad');
        const driver = await setup([{ name: q }]);
        await expectCode(driver.put(q, { body: Buffer.from('x'), ...(fields as object) }), code);
        expect(await driver.browse(q)).toBeNull();
      });

      it('gets in priority order, FIFO within a priority', async () => {
        const q = uniqueQueue('prio');
        const driver = await setup([{ name: q }]);
        const plan: [string, number][] = [['a0', 0], ['b5', 5], ['c0', 0], ['d9', 9], ['e5', 5], ['f0', 0]];
        for (const [body, priority] of plan) await driver.put(q, { body: Buffer.from(body), priority });
        expect(await drain(driver, q)).toEqual(['d9', 'b5', 'e5', 'a0', 'c0', 'f0']);
      });

      it('refuses puts beyond the maximum depth', async () => {
        const q = uniqueQueue('depth');
        const driver = await setup([{ name: q, maxDepth: 3 }]);
        for (let i = 0; i < 3; i++) await driver.put(q, { body: Buffer.from(String(i)) });
        await expectCode(driver.put(q, { body: Buffer.from('3') }), 'ERR_BROKER_QUEUE_FULL');
        expect(await drain(driver, q)).toEqual(['0', '1', '2']);
        await driver.put(q, { body: Buffer.from('4') });
        expect(await drain(driver, q)).toEqual(['4']);
      });

      it('drops expired messages and reports the remaining expiry', async () => {
        const q = uniqueQueue('expiry');
        const driver = await setup([{ name: q }]);
        await driver.put(q, { body: Buffer.from('short'), expiryMs: 150 });
        await driver.put(q, { body: Buffer.from('long'), expiryMs: 60_000 });
        await sleep(400);
        const delivery = await driver.get(q);
        expect(delivery?.message.body.toString()).toBe('long');
        expect(delivery?.message.expiryMs).toBeLessThanOrEqual(60_000 - 350);
        expect(await driver.get(q)).toBeNull();
      });
    });

    describe('waiting gets', () => {
      it('returns null after the wait when nothing comes', async () => {
        const q = uniqueQueue('wait0');
        const driver = await setup([{ name: q }]);
        const start = Date.now();
        expect(await driver.get(q, { waitMs: 300 })).toBeNull();
        expect(Date.now() - start).toBeGreaterThanOrEqual(280);
      });

      it('wakes a waiting getter when a message is put', async () => {
        const q = uniqueQueue('wait1');
        const driver = await setup([{ name: q }]);
        const pending = driver.get(q, { waitMs: 10_000 });
        await sleep(100);
        const start = Date.now();
        await driver.put(q, { body: Buffer.from('hello') });
        const delivery = await pending;
        expect(delivery?.message.body.toString()).toBe('hello');
        expect(Date.now() - start).toBeLessThan(2_000);
        await delivery?.ack();
      });

      it('serves waiting getters in the order they arrived', async () => {
        const q = uniqueQueue('waitfifo');
        const driver = await setup([{ name: q }]);
        const first = driver.get(q, { waitMs: 10_000 });
        await sleep(50);
        const second = driver.get(q, { waitMs: 10_000 });
        await sleep(50);
        const third = driver.get(q, { waitMs: 10_000 });
        await sleep(100);
        for (const body of ['m1', 'm2', 'm3']) await driver.put(q, { body: Buffer.from(body) });
        const got = await Promise.all([first, second, third]);
        expect(got.map((d) => d?.message.body.toString())).toEqual(['m1', 'm2', 'm3']);
        await Promise.all(got.map((d) => d?.ack()));
      });

      it('stops waiting when the signal aborts, and loses no message', async () => {
        const q = uniqueQueue('abort');
        const driver = await setup([{ name: q }]);
        const controller = new AbortController();
        const pending = driver.get(q, { waitMs: 10_000, signal: controller.signal });
        await sleep(100);
        const reason = new Error('client went away');
        controller.abort(reason);
        await expect(pending).rejects.toBe(reason);
        await driver.put(q, { body: Buffer.from('kept') });
        expect(await getBody(driver, q)).toBe('kept');
        await expect(driver.get(q, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      });

      it('waits for a message matching the selector, leaving others', async () => {
        const q = uniqueQueue('selwait');
        const driver = await setup([{ name: q }]);
        const wanted = hex();
        const pending = driver.get(q, { waitMs: 10_000, correlationId: wanted });
        await sleep(100);
        await driver.put(q, { body: Buffer.from('other'), correlationId: hex() });
        await driver.put(q, { body: Buffer.from('reply'), correlationId: wanted });
        const delivery = await pending;
        expect(delivery?.message.body.toString()).toBe('reply');
        await delivery?.ack();
        expect(await drain(driver, q)).toEqual(['other']);
      });
    });

    describe('selection', () => {
      it('gets by correlation id, keeping the other messages in order', async () => {
        const q = uniqueQueue('corr');
        const driver = await setup([{ name: q }]);
        const target = hex();
        for (const body of ['a', 'b', 'c']) await driver.put(q, { body: Buffer.from(body), correlationId: hex() });
        await driver.put(q, { body: Buffer.from('match1'), correlationId: target });
        await driver.put(q, { body: Buffer.from('d') });
        await driver.put(q, { body: Buffer.from('match2'), correlationId: target });
        expect(await getBody(driver, q, { correlationId: target.toUpperCase() })).toBe('match1');
        expect(await getBody(driver, q, { correlationId: target })).toBe('match2');
        expect(await getBody(driver, q, { correlationId: target })).toBeNull();
        expect(await drain(driver, q)).toEqual(['a', 'b', 'c', 'd']);
      });

      it('gets by message id, and by both ids together', async () => {
        const q = uniqueQueue('msgid');
        const driver = await setup([{ name: q }]);
        const corr = hex();
        const ids: string[] = [];
        for (const body of ['x', 'y', 'z']) ids.push((await driver.put(q, { body: Buffer.from(body), correlationId: corr })).messageId);
        expect(await getBody(driver, q, { messageId: ids[1] })).toBe('y');
        expect(await getBody(driver, q, { messageId: ids[2], correlationId: hex() })).toBeNull();
        expect(await getBody(driver, q, { messageId: ids[2], correlationId: corr })).toBe('z');
        expect(await drain(driver, q)).toEqual(['x']);
      });

      it('refuses malformed selectors', async () => {
        const q = uniqueQueue('selbad');
        const driver = await setup([{ name: q }]);
        await expectCode(driver.get(q, { correlationId: 'xyz' }), 'ERR_BROKER_BAD_CORREL_ID');
        await expectCode(driver.browse(q, { messageId: '12' }), 'ERR_BROKER_BAD_MESSAGE_ID');
        await expectCode(driver.get(q, { waitMs: -1 }), 'ERR_INVALID_ARGUMENT');
      });
    });

    describe('browse', () => {
      it('shows the first (matching) message without removing it', async () => {
        const q = uniqueQueue('browse');
        const driver = await setup([{ name: q }]);
        expect(await driver.browse(q)).toBeNull();
        const corr = hex();
        await driver.put(q, { body: Buffer.from('one') });
        await driver.put(q, { body: Buffer.from('two'), correlationId: corr });
        expect((await driver.browse(q))?.body.toString()).toBe('one');
        expect((await driver.browse(q, { correlationId: corr }))?.body.toString()).toBe('two');
        expect((await driver.browse(q, { correlationId: hex() }))).toBeNull();
        expect(await drain(driver, q)).toEqual(['one', 'two']);
      });

      it('lists summaries without payloads, in get order, up to a limit', async () => {
        const q = uniqueQueue('list');
        const driver = await setup([{ name: q }]);
        const corr = hex();
        await driver.put(q, { body: Buffer.from('aa'), priority: 1 });
        await driver.put(q, { body: Buffer.from('bbb'), priority: 4, correlationId: corr });
        await driver.put(q, { body: Buffer.from('c'), priority: 1, properties: { k: 'v' } });
        const list = await driver.browseList(q);
        expect(list.map((s) => s.size)).toEqual([3, 2, 1]);
        expect(list.every((s) => !('body' in s))).toBe(true);
        expect(list[0]?.correlationId).toBe(corr);
        expect(list[2]?.properties).toEqual({ k: 'v' });
        expect((await driver.browseList(q, { limit: 2 })).map((s) => s.size)).toEqual([3, 2]);
        expect((await driver.browseList(q, { correlationId: corr })).map((s) => s.size)).toEqual([3]);
        expect(await drain(driver, q)).toEqual(['bbb', 'aa', 'c']);
      });
    });

    describe('deliveries', () => {
      it('puts a released message back at its original position', async () => {
        const q = uniqueQueue('release');
        const driver = await setup([{ name: q }]);
        for (const body of ['first', 'second']) await driver.put(q, { body: Buffer.from(body) });
        const delivery = await driver.get(q);
        expect(delivery?.message.body.toString()).toBe('first');
        await delivery?.release();
        expect(delivery?.state).toBe('released');
        expect(await drain(driver, q)).toEqual(['first', 'second']);
      });

      it('wakes a waiting getter with a released message', async () => {
        const q = uniqueQueue('relwake');
        const driver = await setup([{ name: q }]);
        await driver.put(q, { body: Buffer.from('only') });
        const held = await driver.get(q);
        const pending = driver.get(q, { waitMs: 10_000 });
        await sleep(100);
        await held?.release();
        expect((await pending)?.message.body.toString()).toBe('only');
      });

      it('refuses contradicting settlements', async () => {
        const q = uniqueQueue('settle');
        const driver = await setup([{ name: q }]);
        for (const body of ['a', 'b']) await driver.put(q, { body: Buffer.from(body) });
        const a = await driver.get(q);
        await a?.ack();
        await a?.ack();
        await expectCode(a?.release() as Promise<void>, 'ERR_BROKER_DELIVERY_SETTLED');
        const b = await driver.get(q);
        await b?.release();
        await b?.release();
        await expectCode(b?.ack() as Promise<void>, 'ERR_BROKER_DELIVERY_SETTLED');
        expect(await drain(driver, q)).toEqual(['b']);
      });
    });

    describe('many getters at once', () => {
      it('hands each message to one getter only, loses none, and takes released ones back', async () => {
        const q = uniqueQueue('many');
        const driver = await setup([{ name: q, maxDepth: 10_000 }]);
        const total = 300;
        const put = new Set<string>();
        for (let i = 0; i < total; i++) put.add((await driver.put(q, { body: Buffer.from(`m${i}`) })).messageId);
        const acked: string[] = [];
        let releases = 0;
        let empty = 0;
        // Twelve getters; one get in seven is released (a client gone mid-response), to come again.
        await Promise.all(Array.from({ length: 12 }, async (_, g) => {
          for (let n = 0; empty < 12; n++) {
            const d = await driver.get(q);
            if (!d) {
              empty++;
              break;
            }
            if ((n + g) % 7 === 3) {
              releases++;
              await d.release();
            } else {
              acked.push(d.message.messageId);
              await d.ack();
            }
          }
        }));
        expect(releases).toBeGreaterThan(0);
        expect(acked.length).toBe(total);
        expect(new Set(acked)).toEqual(put);
        expect(await driver.get(q)).toBeNull();
      });

      it('finds a message for every get while any remain, with acks settling in the background', async () => {
        const q = uniqueQueue('nodry');
        const driver = await setup([{ name: q, maxDepth: 10_000 }]);
        const total = 400;
        for (let i = 0; i < total; i++) await driver.put(q, { body: Buffer.from(`m${i}`) });
        expect(await getAllConcurrently(driver, q, total)).toEqual([]);
        expect(await driver.get(q)).toBeNull();
      });

      it('keeps FIFO order for one getter that releases some messages and takes them again', async () => {
        const q = uniqueQueue('relorder');
        const driver = await setup([{ name: q }]);
        for (let i = 0; i < 40; i++) await driver.put(q, { body: Buffer.from(`m${i}`) });
        const seen: string[] = [];
        for (let n = 0; ; n++) {
          const d = await driver.get(q);
          if (!d) break;
          // Every fifth get is released once: the next get must return the same message.
          const body = d.message.body.toString();
          if (n % 5 === 2 && seen.at(-1) !== `released ${body}`) {
            seen.push(`released ${body}`);
            await d.release();
          } else {
            seen.push(body);
            await d.ack();
          }
        }
        expect(seen.filter((b) => !b.startsWith('released'))).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
        for (const [i, b] of seen.entries()) if (b.startsWith('released')) expect(seen[i + 1]).toBe(b.slice('released '.length));
      });

      it('serves selective and plain getters at once, each message once, the rest in order', async () => {
        const q = uniqueQueue('mixed');
        const driver = await setup([{ name: q, maxDepth: 10_000 }]);
        const corr = Array.from({ length: 20 }, () => hex());
        const plainBodies: string[] = [];
        for (let i = 0; i < 120; i++) {
          const selected = i % 6 === 5;
          const body = selected ? `s${i}` : `p${i}`;
          if (!selected) plainBodies.push(body);
          await driver.put(q, { body: Buffer.from(body), correlationId: selected ? corr[(i - 5) / 6] : hex() });
        }
        const plainGot: string[] = [];
        const plain = (async () => {
          for (;;) {
            const d = await driver.get(q);
            if (!d) return;
            plainGot.push(d.message.body.toString());
            await d.ack();
          }
        })();
        const selectiveGot = await Promise.all(corr.map(async (c) => {
          const d = await driver.get(q, { correlationId: c, waitMs: 10_000 });
          await d?.ack();
          return d?.message.body.toString() ?? null;
        }));
        await plain;
        const rest = await drain(driver, q);
        // Selective gets get theirs unless a plain get took it first; nothing twice, nothing lost.
        const all = [...plainGot, ...rest, ...selectiveGot.filter((b): b is string => b !== null)];
        expect(all.length).toBe(120);
        expect(new Set(all).size).toBe(120);
        for (const [i, b] of selectiveGot.entries()) if (b !== null) expect(b).toBe(`s${i * 6 + 5}`);
        // One sequential plain getter sees the plain messages in order.
        expect([...plainGot, ...rest].filter((b) => b.startsWith('p'))).toEqual(plainBodies);
      });
    });

    describe('topics', () => {
      it('delivers a publication to matching subscriptions only, wildcards included', async () => {
        const driver = await setup([]);
        const root = `qs-test/${hex(4)}`;
        const exact = await driver.subscribe(`${root}/prices/eur`);
        const plus = await driver.subscribe(`${root}/+/eur`);
        const hash = await driver.subscribe(`${root}/#`);
        const other = await driver.subscribe(`${root}/prices/usd`);
        const put = await driver.publish(`${root}/prices/eur`, { body: Buffer.from('1.08'), correlationId: hex() });
        for (const sub of [exact, plus, hash]) {
          const d = await nextDelivery(sub);
          expect(d).not.toBe('timeout');
          const delivery = d as Delivery;
          expect(delivery.message.body.toString()).toBe('1.08');
          expect(delivery.message.messageId).toBe(put.messageId);
          expect(delivery.source).toEqual({ kind: 'topic', topic: `${root}/prices/eur` });
          await delivery.ack();
        }
        expect(await nextDelivery(other, 300)).toBe('timeout');
        for (const sub of [exact, plus, hash, other]) await sub.close();
      });

      it('routes exact topic strings holding odd characters', async () => {
        const driver = await setup([]);
        const root = `qs-test/${hex(4)}`;
        const odd = [`${root}/a.b/c`, `${root}/a/b.c`, `${root}/x*y/#z`, `${root}/100%/ü ñ`, `${root}//empty`, `${root}/a%2Eb/c`];
        const subs = await Promise.all(odd.map((t) => driver.subscribe(t)));
        for (const [i, topic] of odd.entries()) await driver.publish(topic, { body: Buffer.from(String(i)) });
        for (const [i, sub] of subs.entries()) {
          const d = await nextDelivery(sub);
          expect((d as Delivery).message?.body.toString(), odd[i]).toBe(String(i));
          expect((d as Delivery).source).toEqual({ kind: 'topic', topic: odd[i] });
          await (d as Delivery).ack();
          expect(await nextDelivery(sub, 200), odd[i]).toBe('timeout');
          await sub.close();
        }
      });

      it('publishes with no subscriber, and refuses wildcard or empty publication topics', async () => {
        const driver = await setup([]);
        const put = await driver.publish(`qs-test/${hex(4)}/nobody`, { body: Buffer.from('x') });
        expect(put.messageId).toMatch(/^[0-9a-f]{48}$/);
        await expectCode(driver.publish('a/#', { body: Buffer.from('x') }), 'ERR_BROKER_BAD_TOPIC');
        await expectCode(driver.publish('a/+/b', { body: Buffer.from('x') }), 'ERR_BROKER_BAD_TOPIC');
        await expectCode(driver.publish('', { body: Buffer.from('x') }), 'ERR_BROKER_BAD_TOPIC');
        await expectCode(driver.subscribe(''), 'ERR_BROKER_BAD_TOPIC');
        await expectCode(driver.publish(`a/${'x'.repeat(300)}`, { body: Buffer.from('x') }), 'ERR_BROKER_BAD_TOPIC');
      });

      it('redelivers a released publication to the same subscriber, and ends iteration on close', async () => {
        const driver = await setup([]);
        const topic = `qs-test/${hex(4)}/rel`;
        const sub = await driver.subscribe(topic);
        await driver.publish(topic, { body: Buffer.from('again') });
        const first = (await nextDelivery(sub)) as Delivery;
        await first.release();
        const second = (await nextDelivery(sub)) as Delivery;
        expect(second.message.body.toString()).toBe('again');
        await second.ack();
        const ended = nextDelivery(sub);
        await sub.close();
        expect(await ended).toBe('ended');
      });
    });

    describe('lifecycle', () => {
      it('reports health and state events', async () => {
        const q = uniqueQueue('health');
        const driver = await setup([{ name: q }]);
        expect(driver.health()).toMatchObject({ state: 'connected', ready: true, lastError: undefined });
        const events: DriverEvent[] = [];
        driver.onEvent((e) => events.push(e));
        driver.onEvent(() => {
          throw new Error('a faulty listener');
        });
        await driver.close();
        expect(driver.health()).toMatchObject({ state: 'closed', ready: false });
        expect(events).toContainEqual(expect.objectContaining({ kind: 'state', state: 'closed' }));
        await expectCode(driver.put(q, { body: Buffer.from('x') }), 'ERR_BROKER_CLOSED');
        await expectCode(driver.get(q), 'ERR_BROKER_CLOSED');
      });

      it('ends waiting gets when closed', async () => {
        const q = uniqueQueue('closewait');
        const driver = await setup([{ name: q }]);
        const outcome = expectCode(driver.get(q, { waitMs: 10_000 }), 'ERR_BROKER_CLOSED');
        await sleep(100);
        await driver.close();
        await outcome;
      });

      it('forgets queues left out of a new configuration and finds their messages when they return', async () => {
        const a = uniqueQueue('cfga');
        const b = uniqueQueue('cfgb');
        const driver = await setup([{ name: a }, { name: b }]);
        await driver.put(b, { body: Buffer.from('kept'), persistence: 'persistent' });
        await driver.configureQueues([{ name: a }]);
        await expectCode(driver.put(b, { body: Buffer.from('x') }), 'ERR_BROKER_UNKNOWN_QUEUE');
        await driver.configureQueues([{ name: a }, { name: b }]);
        expect(await getBody(driver, b)).toBe('kept');
        await expectCode(driver.configureQueues([{ name: 'bad name' }]), 'ERR_BROKER_BAD_QUEUE_NAME');
        await expectCode(driver.configureQueues([{ name: a }, { name: a }]), 'ERR_BROKER_BAD_QUEUE_NAME');
        await driver.put(a, { body: Buffer.from('still configured') });
      });
    });
  });
}
