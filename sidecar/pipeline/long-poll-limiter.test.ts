import { describe, expect, it } from 'vitest';
import { LongPollLimiter } from './long-poll-limiter.ts';

describe('LongPollLimiter', () => {
  it('allows up to the limit per peer and frees a slot on release, once', () => {
    const limiter = new LongPollLimiter(2);
    const a = limiter.acquire('p');
    const b = limiter.acquire('p');
    expect(a).toBeTypeOf('function');
    expect(b).toBeTypeOf('function');
    expect(limiter.acquire('p')).toBeUndefined();
    expect(limiter.acquire('q')).toBeTypeOf('function');
    a?.();
    a?.(); // a second release changes nothing
    expect(limiter.count('p')).toBe(1);
    expect(limiter.acquire('p')).toBeTypeOf('function');
    expect(limiter.acquire('p')).toBeUndefined();
  });
});
