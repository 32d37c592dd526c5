import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { MemoryDriver } from '../drivers/memory/memory-driver.ts';
import { LeaseTable } from './leases.ts';

const A = 'spiffe://example.org/ns/app/sa/a';
const B = 'spiffe://example.org/ns/app/sa/b';
let driver: MemoryDriver;
let table: LeaseTable;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

async function take(body: string) {
  await driver.put('Q', { body: Buffer.from(body) });
  const d = await driver.get('Q');
  if (d === null) throw new Error('no message');
  return d;
}

beforeEach(async () => {
  vi.useFakeTimers();
  driver = new MemoryDriver();
  await driver.start();
  await driver.configureQueues([{ name: 'Q' }]);
  table = new LeaseTable({ maxPerOwner: 2, log: createLogger({ component: 'test', destination: captureLogs() }) });
});

afterEach(async () => {
  vi.useRealTimers();
  await driver.close();
});

describe('leases', () => {
  it('hold a message until acked: it is gone for good', async () => {
    const lease = table.hold(A, 'Q', await take('one'), 30_000);
    expect(table.countFor(A)).toBe(1);
    expect(await driver.browse('Q')).toBeNull();
    await table.ack(A, lease.id);
    expect(table.size).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await driver.browse('Q')).toBeNull();
  });

  it('return the message to the queue when released', async () => {
    const lease = table.hold(A, 'Q', await take('two'), 30_000);
    await table.release(A, lease.id);
    expect((await driver.browse('Q'))?.body.toString()).toBe('two');
  });

  it('return the message when the visibility timeout passes; a late ack is told it expired', async () => {
    const lease = table.hold(A, 'Q', await take('three'), 1000);
    await vi.advanceTimersByTimeAsync(999);
    expect(await driver.browse('Q')).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect((await driver.browse('Q'))?.body.toString()).toBe('three');
    expect(await codeOf(table.ack(A, lease.id))).toBe('ERR_LEASE_EXPIRED');
    expect(table.countFor(A)).toBe(0);
  });

  it('belong to the peer that took them: to anyone else they do not exist', async () => {
    const lease = table.hold(A, 'Q', await take('four'), 30_000);
    expect(await codeOf(table.ack(B, lease.id))).toBe('ERR_LEASE_NOT_FOUND');
    expect(await codeOf(table.release(B, lease.id))).toBe('ERR_LEASE_NOT_FOUND');
    expect(await codeOf(table.ack(A, 'no-such-lease'))).toBe('ERR_LEASE_NOT_FOUND');
    await table.ack(A, lease.id);
    expect(await codeOf(table.ack(A, lease.id))).toBe('ERR_LEASE_NOT_FOUND');
  });

  it('are limited per peer; a delivery refused for the limit goes back at once', async () => {
    table.hold(A, 'Q', await take('x1'), 30_000);
    table.hold(A, 'Q', await take('x2'), 30_000);
    const third = await take('x3');
    expect(() => table.hold(A, 'Q', third, 30_000)).toThrow(expect.objectContaining({ code: 'ERR_LEASE_LIMIT' }));
    await vi.advanceTimersByTimeAsync(0);
    expect((await driver.browse('Q'))?.body.toString()).toBe('x3');
    expect(() => table.checkRoom(B)).not.toThrow();
  });

  it('all go back when the gateway closes, and no new one is taken', async () => {
    table.hold(A, 'Q', await take('y1'), 30_000);
    table.hold(B, 'Q', await take('y2'), 30_000);
    await table.releaseAll();
    expect(table.size).toBe(0);
    expect((await driver.browseList('Q')).map((s) => s.size)).toHaveLength(2);
    const late = await take('y3');
    expect(() => table.hold(A, 'Q', late, 30_000)).toThrow(expect.objectContaining({ code: 'ERR_GATEWAY_DRAINING' }));
  });

  it('have unguessable ids', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2; i++) ids.add(table.hold(i === 0 ? A : B, 'Q', await take(`z${i}`), 30_000).id);
    expect(ids.size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
  });
});
