import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineQueue } from './line-queue.ts';

describe('LineQueue', () => {
  it('is first in, first out, across the wrap of its ring', () => {
    const q = new LineQueue(3);
    expect(q.push('a', 1)).toBe(true);
    expect(q.push('b', 2)).toBe(true);
    expect(q.shift()).toBe('a');
    expect(q.push('c', 3)).toBe(true);
    expect(q.push('d', 4)).toBe(true);
    expect(q.size).toBe(3);
    expect(q.bytes).toBe(9);
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual(['b', 'c', 'd', undefined]);
    expect(q.bytes).toBe(0);
  });

  it('refuses a push when full and changes nothing', () => {
    const q = new LineQueue(2);
    q.push('a', 5);
    q.push('b', 5);
    expect(q.push('c', 5)).toBe(false);
    expect(q.size).toBe(2);
    expect(q.bytes).toBe(10);
    expect(q.peekBytes()).toBe(5);
  });

  it('clears and reports how many lines it held', () => {
    const q = new LineQueue(4);
    q.push('a', 1);
    q.push('b', 1);
    expect(q.clear()).toBe(2);
    expect(q.size).toBe(0);
    expect(q.peekBytes()).toBeUndefined();
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new LineQueue(0)).toThrow(RangeError);
    expect(() => new LineQueue(1.5)).toThrow(RangeError);
  });

  it('behaves like a bounded array for any sequence of operations', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.oneof(fc.record({ push: fc.nat(1000) }), fc.constant({ shift: true })), { maxLength: 200 }),
      (capacity, ops) => {
        const q = new LineQueue(capacity);
        const model: [string, number][] = [];
        let n = 0;
        for (const op of ops) {
          if ('push' in op) {
            const line = `l${n++}`;
            const accepted = q.push(line, op.push);
            expect(accepted).toBe(model.length < capacity);
            if (accepted) model.push([line, op.push]);
          } else {
            expect(q.shift()).toBe(model.shift()?.[0]);
          }
          expect(q.size).toBe(model.length);
          expect(q.bytes).toBe(model.reduce((a, [, b]) => a + b, 0));
          expect(q.peekBytes()).toBe(model[0]?.[1]);
        }
      },
    ));
  });
});
