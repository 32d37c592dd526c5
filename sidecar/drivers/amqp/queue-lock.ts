// A per-queue readers-writer lock. Plain gets share it; a scan (selection, browse) holds it
// alone, because the messages it holds unacked are invisible to other gets, which would
// otherwise take later messages first. Grants go in arrival order, so scans are not starved.
export class QueueLock {
  #readers = 0;
  #writer = false;
  readonly #waiting: { exclusive: boolean; grant: () => void }[] = [];

  /** Runs `fn` alongside other shared holders. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#waiting.length > 0) await new Promise<void>((grant) => this.#waiting.push({ exclusive: false, grant }));
    else this.#readers++;
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#next();
    }
  }

  /** Runs `fn` alone. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#writer || this.#readers > 0 || this.#waiting.length > 0) await new Promise<void>((grant) => this.#waiting.push({ exclusive: true, grant }));
    else this.#writer = true;
    try {
      return await fn();
    } finally {
      this.#writer = false;
      this.#next();
    }
  }

  #next(): void {
    if (this.#writer) return;
    while (this.#waiting.length > 0) {
      const head = this.#waiting[0] as { exclusive: boolean; grant: () => void };
      if (head.exclusive) {
        if (this.#readers > 0) return;
        this.#waiting.shift();
        this.#writer = true;
        head.grant();
        return;
      }
      this.#waiting.shift();
      this.#readers++;
      head.grant();
    }
  }
}
