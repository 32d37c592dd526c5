// Counts the gets each peer has waiting (wait > 0) and refuses one beyond the limit, so that one
// peer cannot hold every socket and broker consumer the gateway has.

export class LongPollLimiter {
  readonly #max: number;
  readonly #inFlight = new Map<string, number>();

  constructor(maxPerPeer: number) {
    this.#max = maxPerPeer;
  }

  get max(): number {
    return this.#max;
  }

  /** Current waiting gets of `key`. */
  count(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }

  /** Reserves a slot; returns the release function, or undefined when the peer is at its limit. */
  acquire(key: string): (() => void) | undefined {
    const current = this.#inFlight.get(key) ?? 0;
    if (current >= this.#max) return undefined;
    this.#inFlight.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#inFlight.get(key) ?? 1) - 1;
      if (n <= 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, n);
    };
  }
}
