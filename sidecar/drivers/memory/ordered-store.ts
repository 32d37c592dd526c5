// Messages of one in-memory queue in MQ get order: highest priority first, FIFO within a
// priority. A message taken and then released goes back to its original position (by sequence).
import type { StoredMessage, NormalizedSelector } from '../message.ts';
import { matchesSelector, remainingExpiry } from '../message.ts';

export interface StoreEntry {
  readonly seq: number;
  readonly stored: StoredMessage;
  /** For subscription stores: the topic string the message was published to. */
  readonly topic: string | undefined;
}

export class OrderedStore {
  /** lanes[9] is priority 9; each lane is sorted by seq. */
  readonly #lanes: StoreEntry[][] = Array.from({ length: 10 }, () => []);
  #seq = 0;
  #count = 0;

  /** Ready messages (expired ones included until a read drops them). */
  get size(): number {
    return this.#count;
  }

  add(stored: StoredMessage, topic?: string): StoreEntry {
    const entry = { seq: ++this.#seq, stored, topic };
    this.#lane(stored).push(entry);
    this.#count++;
    return entry;
  }

  /** Puts a taken entry back where it was. */
  restore(entry: StoreEntry): void {
    const lane = this.#lane(entry.stored);
    let lo = 0;
    let hi = lane.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((lane[mid] as StoreEntry).seq < entry.seq) lo = mid + 1;
      else hi = mid;
    }
    lane.splice(lo, 0, entry);
    this.#count++;
  }

  /** Drops every expired message. */
  purgeExpired(nowMs: number): void {
    for (const lane of this.#lanes) {
      for (let i = lane.length - 1; i >= 0; i--) {
        if (isExpired((lane[i] as StoreEntry).stored, nowMs)) {
          lane.splice(i, 1);
          this.#count--;
        }
      }
    }
  }

  /** The first live matching entry in get order, optionally removed; expired ones met on the way are dropped. */
  first(selector: NormalizedSelector, nowMs: number, take: boolean): StoreEntry | undefined {
    for (let p = 9; p >= 0; p--) {
      const lane = this.#lanes[p] as StoreEntry[];
      for (let i = 0; i < lane.length; i++) {
        const entry = lane[i] as StoreEntry;
        if (isExpired(entry.stored, nowMs)) {
          lane.splice(i--, 1);
          this.#count--;
          continue;
        }
        if (!matchesSelector(entry.stored, selector)) continue;
        if (take) {
          lane.splice(i, 1);
          this.#count--;
        }
        return entry;
      }
    }
    return undefined;
  }

  /** Up to `limit` live matching entries in get order, left in place. */
  list(selector: NormalizedSelector, nowMs: number, limit: number): StoreEntry[] {
    this.purgeExpired(nowMs);
    const out: StoreEntry[] = [];
    for (let p = 9; p >= 0 && out.length < limit; p--) {
      for (const entry of this.#lanes[p] as StoreEntry[]) {
        if (out.length >= limit) break;
        if (matchesSelector(entry.stored, selector)) out.push(entry);
      }
    }
    return out;
  }

  #lane(stored: StoredMessage): StoreEntry[] {
    return this.#lanes[stored.priority] as StoreEntry[];
  }
}

function isExpired(stored: StoredMessage, nowMs: number): boolean {
  const remaining = remainingExpiry(stored, nowMs);
  return remaining !== undefined && remaining <= 0;
}
