import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../../lib/errors/index.ts';
import { describeDriverContract, type ContractHarness } from '../../../test/contract/driver-contract.ts';
import type { BrokerDriver, DriverEvent } from '../driver.ts';
import { MemoryDriver } from './memory-driver.ts';

describeDriverContract('memory', (): ContractHarness => {
  const drivers: BrokerDriver[] = [];
  return {
    async createDriver(queues) {
      const driver = new MemoryDriver();
      drivers.push(driver);
      await driver.start();
      await driver.configureQueues(queues);
      return driver;
    },
    async cleanup() {
      await Promise.all(drivers.splice(0).map((d) => d.close()));
    },
  };
});

describe('memory driver outage simulation', () => {
  it('fails operations promptly while unavailable, puts held deliveries back, and recovers', async () => {
    const driver = new MemoryDriver();
    const events: DriverEvent[] = [];
    driver.onEvent((e) => events.push(e));
    await driver.start();
    await driver.configureQueues([{ name: 'Q' }]);
    await driver.put('Q', { body: Buffer.from('held') });
    const held = await driver.get('Q');
    const waiting = driver.get('Q', { waitMs: 10_000 });
    const sub = await driver.subscribe('t');
    const iteration = sub[Symbol.asyncIterator]().next();

    driver.setAvailable(false);
    expect(driver.health()).toMatchObject({ state: 'disconnected', ready: false, lastError: { code: 'ERR_BROKER_UNAVAILABLE' } });
    await expect(waiting).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_CONNECTION_BROKEN'));
    await expect(iteration).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_CONNECTION_BROKEN'));
    expect(held?.state).toBe('lost');
    await expect(held?.ack()).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_DELIVERY_LOST'));
    await held?.release();
    for (const op of [driver.put('Q', { body: Buffer.from('x') }), driver.get('Q', { waitMs: 5000 }), driver.browse('Q'), driver.publish('t', { body: Buffer.from('x') })]) {
      await expect(op).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_UNAVAILABLE'));
    }

    driver.setAvailable(true);
    expect(driver.health().ready).toBe(true);
    const again = await driver.get('Q');
    expect(again?.message.body.toString()).toBe('held');
    expect(events.filter((e) => e.kind === 'state').map((e) => (e as { state: string }).state)).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('refuses operations before start', async () => {
    const driver = new MemoryDriver();
    await driver.configureQueues([{ name: 'Q' }]);
    await expect(driver.put('Q', { body: Buffer.from('x') })).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_UNAVAILABLE'));
    expect(driver.health().state).toBe('connecting');
  });

  it('uses the injected clock for expiry', async () => {
    let now = 1_000_000;
    const driver = new MemoryDriver({ now: () => now });
    await driver.start();
    await driver.configureQueues([{ name: 'Q', maxDepth: 1 }]);
    await driver.put('Q', { body: Buffer.from('x'), expiryMs: 1000 });
    now += 400;
    expect((await driver.browse('Q'))?.expiryMs).toBe(600);
    now += 600;
    expect(await driver.browse('Q')).toBeNull();
    // The expired message no longer counts towards the depth limit.
    await driver.put('Q', { body: Buffer.from('y') });
    await sleep(1);
    expect((await driver.get('Q'))?.message.body.toString()).toBe('y');
  });

  it('bounds the deliveries held unsettled at once', async () => {
    const driver = new MemoryDriver({ maxHeldDeliveries: 2 });
    await driver.start();
    await driver.configureQueues([{ name: 'Q' }]);
    for (const body of ['a', 'b', 'c']) await driver.put('Q', { body: Buffer.from(body) });
    const a = await driver.get('Q');
    const b = await driver.get('Q');
    await expect(driver.get('Q')).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_TOO_MANY_HELD'));
    await a?.ack();
    await b?.release();
    expect((await driver.get('Q'))?.message.body.toString()).toBe('b');
  });

  it('bounds a subscription buffer and reports the miss to the publisher', async () => {
    const driver = new MemoryDriver({ subscriptionMaxDepth: 2 });
    await driver.start();
    const sub = await driver.subscribe('a/b', { prefetch: 1 });
    await driver.publish('a/b', { body: Buffer.from('1') });
    await driver.publish('a/b', { body: Buffer.from('2') });
    await driver.publish('a/b', { body: Buffer.from('3') });
    await expect(driver.publish('a/b', { body: Buffer.from('4') })).rejects.toSatisfy((e) => hasCode(e, 'ERR_BROKER_QUEUE_FULL'));
    const bodies: string[] = [];
    for await (const d of sub) {
      bodies.push(d.message.body.toString());
      await d.ack();
      if (bodies.length === 3) break;
    }
    expect(bodies).toEqual(['1', '2', '3']);
  });
});
