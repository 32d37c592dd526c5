import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingAcks } from './pending-acks.ts';

describe('acks waiting for a lease request to carry them', () => {
  let sent: string[];
  let acks: PendingAcks;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    acks = new PendingAcks({ lingerMs: 20, sendAlone: async (qmgr, id) => void sent.push(`${qmgr}/${id}`) });
  });
  afterEach(() => vi.useRealTimers());

  it('hands waiting acks to a request, oldest first, per queue manager and at most as many as asked', () => {
    for (const id of ['a', 'b', 'c']) acks.add('QM1', id);
    acks.add('QM2', 'x');
    expect(acks.take('QM1', 2)).toEqual(['a', 'b']);
    expect(acks.take('QM1', 2)).toEqual(['c']);
    expect(acks.take('QM1', 2)).toEqual([]);
    expect(acks.size).toBe(1);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual(['QM2/x']); // QM1's were all taken: nothing goes alone
  });

  it('sends an ack alone when no request took it within the linger', () => {
    acks.add('QM1', 'a');
    vi.advanceTimersByTime(19);
    expect(sent).toEqual([]);
    acks.add('QM1', 'b'); // the linger runs from the oldest waiting ack
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['QM1/a', 'QM1/b']);
    expect(acks.size).toBe(0);
  });

  it('takes back acks a request did not deliver, and sends them alone unless another request takes them', () => {
    acks.add('QM1', 'a');
    const riding = acks.take('QM1', 10);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual([]);
    acks.putBack('QM1', riding);
    expect(acks.take('QM1', 10)).toEqual(['a']);
    acks.putBack('QM1', ['a']);
    vi.advanceTimersByTime(20);
    expect(sent).toEqual(['QM1/a']);
  });

  it('sends acks alone at once when asked, whatever waits', async () => {
    acks.add('QM1', 'a');
    await acks.sendNow('QM1', ['b', 'c']);
    expect(sent).toEqual(['QM1/b', 'QM1/c']);
    expect(acks.size).toBe(1); // 'a' still waits for a ride
  });

  it('flushes every waiting ack at once (a drain does not wait for rides)', async () => {
    acks.add('QM1', 'a');
    acks.add('QM2', 'b');
    await acks.flush();
    expect(sent.sort()).toEqual(['QM1/a', 'QM2/b']);
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(2);
  });
});
