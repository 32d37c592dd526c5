// Operation timeouts without a timer per operation: deadlines sit in a set that one coarse
// interval sweeps. Broker round trips take far less than their timeout, so most entries are
// removed long before the sweep and cost a set insertion and deletion, not a timer.
export interface Deadline {
  readonly at: number;
  readonly expire: () => void;
}

export class Deadlines {
  readonly #entries = new Set<Deadline>();
  readonly #sweepMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(sweepMs: number, now: () => number) {
    this.#sweepMs = sweepMs;
    this.#now = now;
  }

  add(inMs: number, expire: () => void): Deadline {
    const entry = { at: this.#now() + inMs, expire };
    this.#entries.add(entry);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#sweepMs);
      this.#timer.unref();
    }
    return entry;
  }

  remove(entry: Deadline): void {
    this.#entries.delete(entry);
  }

  #sweep(): void {
    const now = this.#now();
    for (const entry of this.#entries) {
      if (entry.at > now) continue;
      this.#entries.delete(entry);
      entry.expire();
    }
    if (this.#entries.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
