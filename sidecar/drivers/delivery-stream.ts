// An async queue of deliveries behind a Subscription's iterator: the driver pushes, the
// consumer pulls with for-await; it ends on close() and throws the error that ended it.
import type { Delivery } from './driver.ts';

export class DeliveryStream implements AsyncIterator<Delivery> {
  readonly #buffer: Delivery[] = [];
  readonly #pulls: { resolve: (r: IteratorResult<Delivery>) => void; reject: (e: unknown) => void }[] = [];
  #ended = false;
  #error: unknown = undefined;

  get ended(): boolean {
    return this.#ended;
  }

  /** Number of deliveries waiting to be pulled. */
  get buffered(): number {
    return this.#buffer.length;
  }

  push(delivery: Delivery): void {
    const pull = this.#pulls.shift();
    if (pull) pull.resolve({ value: delivery, done: false });
    else this.#buffer.push(delivery);
  }

  /** Ends the stream: buffered deliveries are still handed out, then `error` (if any) is thrown. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    for (const pull of this.#pulls.splice(0)) {
      if (error === undefined) pull.resolve({ value: undefined, done: true });
      else pull.reject(error);
    }
  }

  /** Removes and returns the deliveries nobody pulled yet. */
  drain(): Delivery[] {
    return this.#buffer.splice(0);
  }

  next(): Promise<IteratorResult<Delivery>> {
    const delivery = this.#buffer.shift();
    if (delivery) return Promise.resolve({ value: delivery, done: false });
    if (this.#ended) return this.#error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#pulls.push({ resolve, reject }));
  }
}
