import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap without jitter', () => {
    const options = { ...DEFAULT_BACKOFF, jitter: 0 };
    expect([0, 1, 2, 3, 6, 7, 50, 5000].map((a) => backoffDelay(a, options, () => 0.9))).toEqual([100, 200, 400, 800, 6400, 10_000, 10_000, 10_000]);
  });

  it('stays between (1 - jitter) × base and base', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const base = Math.min(10_000, 100 * 2 ** attempt);
        const delay = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base / 2));
        expect(delay).toBeLessThanOrEqual(base);
      }),
    );
  });
});
