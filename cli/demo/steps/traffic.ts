// Traffic during a rotation: the producer keeps putting and the consumer keeps getting, one
// request after another, while something changes underneath; every request that does not
// succeed, and every message lost, duplicated or out of order, is counted.
import { setTimeout as sleep } from 'node:timers/promises';
import { getMessage, putMessage, replySummary } from '../app-client.ts';

/** A pause between puts, so the traffic is steady rather than a flood on a shared machine. */
const PUT_PAUSE_MS = 15;
/** How long the consumer may take to catch up once the producer stopped. */
const DRAIN_DEADLINE_MS = 15_000;

export interface TrafficReport {
  readonly put: number;
  readonly got: number;
  /** Requests that failed, with the first few reasons. */
  readonly failures: number;
  readonly firstFailures: readonly string[];
  /** Messages put but never got, or got out of order or twice. */
  readonly mismatched: number;
}

export function trafficSummary(r: TrafficReport): string {
  return `${r.put} put, ${r.got} got, ${r.failures} failed${r.mismatched > 0 ? `, ${r.mismatched} lost or out of order` : ''}`;
}

export function trafficOk(r: TrafficReport): boolean {
  return r.put > 0 && r.failures === 0 && r.mismatched === 0 && r.got === r.put;
}

/** Runs producer and consumer traffic on `queue` while `during` runs, then lets the consumer catch up. */
export async function withTraffic<T>(endpoints: { producer: string; consumer: string }, queue: string, label: string, signal: AbortSignal, during: () => Promise<T>): Promise<{ result: T; report: TrafficReport }> {
  const sent: string[] = [];
  const received: string[] = [];
  const failures: string[] = [];
  let failureCount = 0;
  let producing = true;
  const fail = (why: string) => {
    failureCount++;
    if (failures.length < 3) failures.push(why);
  };

  const producer = (async () => {
    for (let n = 1; producing && !signal.aborted; n++) {
      const text = `${label} #${n}`;
      try {
        const reply = await putMessage(endpoints.producer, queue, text);
        if (reply.status === 201) sent.push(text);
        else fail(`put answered ${replySummary(reply)}`);
      } catch (err) {
        fail(`put: ${err instanceof Error ? err.message : String(err)}`);
      }
      await sleep(PUT_PAUSE_MS);
    }
  })();
  let drainBy = Infinity;
  const consumer = (async () => {
    while (!signal.aborted && (producing || (received.length < sent.length && Date.now() < drainBy))) {
      try {
        const reply = await getMessage(endpoints.consumer, queue, 500);
        if (reply.status === 200) received.push(reply.text);
        else if (reply.status !== 204) fail(`get answered ${replySummary(reply)}`);
      } catch (err) {
        fail(`get: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })();

  let result: T;
  try {
    result = await during();
  } finally {
    producing = false;
    await producer;
    drainBy = Date.now() + DRAIN_DEADLINE_MS;
    await consumer;
  }
  let mismatched = Math.abs(sent.length - received.length);
  for (let i = 0; i < Math.min(sent.length, received.length); i++) if (sent[i] !== received[i]) mismatched++;
  return { result, report: { put: sent.length, got: received.length, failures: failureCount, firstFailures: failures, mismatched } };
}
