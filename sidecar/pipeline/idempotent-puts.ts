// Makes puts with a caller-chosen message id idempotent: a retry of a put that was stored (the
// same id and body to the same queue, within the window) is answered as the first was without
// storing again, and a retry that arrives while the first is still in flight waits for it. The
// workload sidecar chooses ids before signing, so pipelined retries after a lost response do not
// duplicate messages. Scope: one gateway process (the window is in memory).
import { hash } from 'node:crypto';
import { AppError } from '../../lib/errors/index.ts';
import type { PutResult } from '../drivers/driver.ts';

export interface IdempotentPutsOptions {
  /** How long a stored id is remembered. */
  readonly windowMs: number;
  /** Most ids remembered; the oldest are forgotten first. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

interface Entry {
  readonly digest: string;
  /** Settled result, or the put in flight. */
  result: PutResult | Promise<PutResult>;
  readonly atMs: number;
}

export class IdempotentPuts {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order = age order: the first entries are the oldest. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: IdempotentPutsOptions) {
    this.#windowMs = options.windowMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Runs `store` once per (destination, message id, body): a repeat within the window gets the
   * first result. Without a caller-chosen id, `store` simply runs.
   * @throws AppError ERR_GATEWAY_DUPLICATE_MESSAGE_ID when the id was stored with another body;
   *   whatever `store` throws (the entry is dropped then, so a retry stores afresh).
   */
  async put(destination: string, messageId: string | undefined, body: Buffer, store: () => Promise<PutResult>): Promise<{ result: PutResult; duplicate: boolean }> {
    if (messageId === undefined || this.#maxEntries === 0) return { result: await store(), duplicate: false };
    const now = this.#now();
    this.#expire(now);
    const key = `${destination}\u0000${messageId}`;
    const digest = hash('sha256', body, 'base64');
    // A waiter whose first attempt failed looks again: another retry may be in flight by now.
    for (let attempt = 0; attempt < 3; attempt++) {
      const seen = this.#entries.get(key);
      if (seen === undefined) break;
      if (seen.digest !== digest) {
        throw new AppError('ERR_GATEWAY_DUPLICATE_MESSAGE_ID', `message id ${messageId} was stored on ${destination} with a different body`, {
          details: { messageId },
        });
      }
      try {
        return { result: await seen.result, duplicate: true };
      } catch {
        // That attempt failed and dropped its entry (its owner runs first): store afresh.
      }
    }
    const pending = store();
    const entry: Entry = { digest, result: pending, atMs: now };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    try {
      const result = await pending;
      entry.result = result;
      return { result, duplicate: false };
    } catch (err) {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw err;
    }
  }

  #expire(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.atMs < this.#windowMs) break;
      if (entry.result instanceof Promise) continue; // still in flight
      this.#entries.delete(key);
    }
  }
}
