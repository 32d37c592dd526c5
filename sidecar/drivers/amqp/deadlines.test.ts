import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadlines } from './deadlines.ts';

describe('Deadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('expires an entry within one sweep after its deadline, and not a removed one', () => {
    const deadlines = new Deadlines(100, Date.now);
    const expired: string[] = [];
    deadlines.add(250, () => expired.push('a'));
    const b = deadlines.add(250, () => expired.push('b'));
    deadlines.add(1000, () => expired.push('c'));
    deadlines.remove(b);
    vi.advanceTimersByTime(200);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(800);
    expect(expired).toEqual(['a', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
