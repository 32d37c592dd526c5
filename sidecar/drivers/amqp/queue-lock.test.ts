import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { QueueLock } from './queue-lock.ts';

describe('QueueLock', () => {
  it('lets shared holders overlap and keeps an exclusive holder alone', async () => {
    const lock = new QueueLock();
    const log: string[] = [];
    const hold = (name: string, exclusive: boolean, ms: number) =>
      (exclusive ? lock.exclusive.bind(lock) : lock.shared.bind(lock))(async () => {
        log.push(`${name}+`);
        await sleep(ms);
        log.push(`${name}-`);
      });
    await Promise.all([hold('r1', false, 30), hold('r2', false, 30), hold('w', true, 10), hold('r3', false, 5)]);
    expect(log).toEqual(['r1+', 'r2+', 'r1-', 'r2-', 'w+', 'w-', 'r3+', 'r3-']);
  });

  it('releases the lock when the holder throws', async () => {
    const lock = new QueueLock();
    await expect(lock.exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.shared(async () => 'ok')).toBe('ok');
  });
});
