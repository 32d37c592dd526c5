// Connection state, health and event fan-out shared by the drivers. A listener that throws is
// isolated: it cannot break the driver or starve the other listeners.
import type { AppError } from '../../lib/errors/index.ts';
import type { DriverEvent, DriverEventListener, DriverHealth, DriverState } from './driver.ts';

export class DriverStatus {
  #state: DriverState;
  #since: Date;
  #lastError: AppError | undefined;
  readonly #listeners = new Set<DriverEventListener>();
  readonly #now: () => number;

  constructor(initial: DriverState, now: () => number) {
    this.#now = now;
    this.#state = initial;
    this.#since = new Date(now());
  }

  get state(): DriverState {
    return this.#state;
  }

  set(state: DriverState, error?: AppError): void {
    if (error) this.#lastError = error;
    if (state === 'connected') this.#lastError = undefined;
    if (state === this.#state) return;
    this.#state = state;
    this.#since = new Date(this.#now());
    this.emit({ kind: 'state', state, error });
  }

  health(): DriverHealth {
    const error = this.#state === 'connected' ? undefined : this.#lastError;
    return {
      state: this.#state,
      ready: this.#state === 'connected',
      since: this.#since,
      lastError: error ? { code: error.code, message: error.message } : undefined,
    };
  }

  on(listener: DriverEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: DriverEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener (metrics, logging) must not break message handling.
      }
    }
  }
}
