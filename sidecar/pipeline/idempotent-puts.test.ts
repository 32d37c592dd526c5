import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import type { PutResult } from '../drivers/driver.ts';
import { IdempotentPuts } from './idempotent-puts.ts';

const id = 'ab'.repeat(24);
const result = (messageId = id): PutResult => ({ messageId, putTime: new Date(0) });

describe('IdempotentPuts', () => {
  it('stores a repeated put once and answers the repeat like the first', async () => {
    const puts = new IdempotentPuts({ windowMs: 1000, maxEntries: 10 });
    let stored = 0;
    const store = async () => {
      stored++;
      return result();
    };
    expect(await puts.put('q', id, Buffer.from('x'), store)).toEqual({ result: result(), duplicate: false });
    expect(await puts.put('q', id, Buffer.from('x'), store)).toEqual({ result: result(), duplicate: true });
    expect(stored).toBe(1);
  });

  it('makes a retry that arrives during the first put wait for it', async () => {
    const puts = new IdempotentPuts({ windowMs: 1000, maxEntries: 10 });
    let release!: () => void;
    let stored = 0;
    const slow = () => new Promise<PutResult>((resolve) => {
      stored++;
      release = () => resolve(result());
    });
    const first = puts.put('q', id, Buffer.from('x'), slow);
    const second = puts.put('q', id, Buffer.from('x'), slow);
    await Promise.resolve();
    release();
    expect((await first).duplicate).toBe(false);
    expect((await second).duplicate).toBe(true);
    expect(stored).toBe(1);
  });

  it('lets a retry store for real when the first put failed', async () => {
    const puts = new IdempotentPuts({ windowMs: 1000, maxEntries: 10 });
    await expect(puts.put('q', id, Buffer.from('x'), () => Promise.reject(new AppError('ERR_BROKER_UNAVAILABLE', 'down')))).rejects.toMatchObject({ code: 'ERR_BROKER_UNAVAILABLE' });
    expect(await puts.put('q', id, Buffer.from('x'), async () => result())).toEqual({ result: result(), duplicate: false });
  });

  it('refuses the same id with another body (409), and keeps destinations apart', async () => {
    const puts = new IdempotentPuts({ windowMs: 1000, maxEntries: 10 });
    await puts.put('q', id, Buffer.from('x'), async () => result());
    await expect(puts.put('q', id, Buffer.from('y'), async () => result())).rejects.toMatchObject({ code: 'ERR_GATEWAY_DUPLICATE_MESSAGE_ID' });
    expect((await puts.put('other', id, Buffer.from('y'), async () => result())).duplicate).toBe(false);
  });

  it('forgets ids after the window and beyond the entry limit', async () => {
    let t = 0;
    const puts = new IdempotentPuts({ windowMs: 1000, maxEntries: 2, now: () => t });
    let stored = 0;
    const store = async () => {
      stored++;
      return result();
    };
    await puts.put('q', id, Buffer.from('x'), store);
    t = 1000;
    await puts.put('q', id, Buffer.from('x'), store);
    expect(stored).toBe(2);
    await puts.put('q', 'cd'.repeat(24), Buffer.from('x'), store);
    await puts.put('q', 'ef'.repeat(24), Buffer.from('x'), store);
    expect(puts.size).toBe(2);
  });

  it('simply stores puts without a caller-chosen id', async () => {
    const puts = new IdempotentPuts({ windowMs: 1000, maxEntries: 10 });
    let stored = 0;
    for (let i = 0; i < 3; i++) await puts.put('q', undefined, Buffer.from('x'), async () => (stored++, result()));
    expect(stored).toBe(3);
    expect(puts.size).toBe(0);
  });
});
