// Acks of delivered gets waiting for a ride. The sidecar acks a get's lease once the app has the
// whole response; rather than one exchange with the gateway for the ack, it hands the ack to the
// next lease request to the same queue manager (docs/qshield-extensions.md, "Acks carried on a
// lease request"). An ack that finds no ride within `lingerMs` goes on its own, so a message is
// never held longer than that for want of traffic.

export interface PendingAcksOptions {
  /** How long an ack waits for a lease request to carry it. */
  readonly lingerMs: number;
  /** Sends one ack on its own (the lease's own ack request); must not throw. */
  readonly sendAlone: (qmgr: string, leaseId: string) => Promise<void>;
}

export class PendingAcks {
  readonly #o: PendingAcksOptions;
  /** qmgr → lease ids in the order their messages were delivered. */
  readonly #waiting = new Map<string, string[]>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: PendingAcksOptions) {
    this.#o = options;
  }

  /** An ack to send with the next lease request, or alone after the linger. */
  add(qmgr: string, leaseId: string): void {
    const list = this.#waiting.get(qmgr);
    if (list === undefined) this.#waiting.set(qmgr, [leaseId]);
    else list.push(leaseId);
    if (!this.#timers.has(qmgr)) this.#timers.set(qmgr, setTimeout(() => this.#sendAlone(qmgr), this.#o.lingerMs));
  }

  /** Takes up to `max` waiting acks for a request to carry (oldest first). */
  take(qmgr: string, max: number): string[] {
    const list = this.#waiting.get(qmgr);
    if (list === undefined) return [];
    const taken = list.splice(0, max);
    if (list.length === 0) this.#forget(qmgr);
    return taken;
  }

  /** Acks a request took but could not deliver (it failed on the way): they wait again. */
  putBack(qmgr: string, leaseIds: readonly string[]): void {
    for (const id of leaseIds) this.add(qmgr, id);
  }

  /**
   * Sends acks alone now: those a request carried to a gateway that did not process them (it
   * refused the request first, or does not know the extension). Putting them back instead would
   * let the next request carry them to the same end, again and again, while the app keeps getting.
   */
  sendNow(qmgr: string, leaseIds: readonly string[]): Promise<void> {
    return Promise.all(leaseIds.map((id) => this.#o.sendAlone(qmgr, id))).then(() => undefined);
  }

  /** How many acks wait. */
  get size(): number {
    let n = 0;
    for (const list of this.#waiting.values()) n += list.length;
    return n;
  }

  /** Sends every waiting ack now, each alone (a drain must not wait for rides). */
  async flush(): Promise<void> {
    await Promise.all([...this.#waiting.keys()].map((qmgr) => this.#sendAlone(qmgr)));
  }

  #sendAlone(qmgr: string): Promise<void> {
    const ids = this.#waiting.get(qmgr) ?? [];
    this.#forget(qmgr);
    return this.sendNow(qmgr, ids);
  }

  #forget(qmgr: string): void {
    this.#waiting.delete(qmgr);
    clearTimeout(this.#timers.get(qmgr));
    this.#timers.delete(qmgr);
  }
}
