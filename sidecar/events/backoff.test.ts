import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles its ceiling per attempt up to the maximum', () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 100, 1000, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('draws over the whole range below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, 100, 1000, () => 0)).toBe(0);
    expect(backoffDelay(3, 100, 1000, () => 0.5)).toBe(200);
  });

  it('stays within [0, max) for any attempt, even absurd ones', () => {
    fc.assert(fc.property(fc.integer({ min: -5, max: 10_000 }), fc.double({ min: 0, max: 0.9999999, noNaN: true }), (attempt, r) => {
      const d = backoffDelay(attempt, 250, 30_000, () => r);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(30_000);
    }));
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Mon, 23 Nov 2026 10:00:30 GMT', 30_000],
    ['Mon, 23 Nov 2026 09:00:00 GMT', 0],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([undefined, '', '-1', '1.5', 'soon', '12345678901', 'Mon, 99 Foo 2026 10:00:30 GMT', '2026-11-23T10:00:30Z'])(
    'ignores %j',
    (value) => {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    },
  );

  it('never throws and answers undefined or a finite non-negative number for any header value', () => {
    fc.assert(fc.property(fc.string({ maxLength: 64 }), (value) => {
      const ms = parseRetryAfter(value, now);
      if (ms !== undefined) {
        expect(Number.isFinite(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
      }
    }));
  });
});
