import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the time until the next token', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const limit = { messagesPerSecond: 10, burst: 3 };
    expect([1, 2, 3].map(() => limiter.take('p', limit).allowed)).toEqual([true, true, true]);
    expect(limiter.take('p', limit)).toEqual({ allowed: false, retryAfterMs: 100 });
    c.advance(100);
    expect(limiter.take('p', limit).allowed).toBe(true);
    expect(limiter.take('p', limit).allowed).toBe(false);
  });

  it('sustains the configured rate and no more', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now });
    const limit = { messagesPerSecond: 50 };
    let allowed = 0;
    for (let ms = 0; ms < 10_000; ms += 5) {
      c.advance(5);
      if (limiter.take('p', limit).allowed) allowed++;
    }
    expect(allowed).toBeGreaterThanOrEqual(500);
    expect(allowed).toBeLessThanOrEqual(550); // the initial burst of 50 at most
  });

  it('keeps peers apart and lets everything through without a limit', () => {
    const limiter = new RateLimiter({ now: () => 0 });
    const limit = { messagesPerSecond: 1 };
    expect(limiter.take('a', limit).allowed).toBe(true);
    expect(limiter.take('b', limit).allowed).toBe(true);
    expect(limiter.take('a', limit).allowed).toBe(false);
    for (let i = 0; i < 1000; i++) expect(limiter.take('a', undefined).allowed).toBe(true);
  });

  it('starts a full bucket when the limit changes (policy reload)', () => {
    const limiter = new RateLimiter({ now: () => 0 });
    expect(limiter.take('a', { messagesPerSecond: 1 }).allowed).toBe(true);
    expect(limiter.take('a', { messagesPerSecond: 1 }).allowed).toBe(false);
    expect(limiter.take('a', { messagesPerSecond: 2 }).allowed).toBe(true);
  });

  it('bounds its memory: full buckets are dropped first, then the oldest', () => {
    const c = clock();
    const limiter = new RateLimiter({ now: c.now, maxBuckets: 100 });
    for (let i = 0; i < 1000; i++) limiter.take(`peer-${i}`, { messagesPerSecond: 1000 });
    expect(limiter.size).toBeLessThanOrEqual(100);
  });
});
