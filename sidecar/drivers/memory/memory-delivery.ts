// A delivery held by the memory driver: ack forgets the message, release puts it back at its
// original position, and a simulated outage marks it lost (the message is back already).
import { lostError, settledError } from '../delivery-errors.ts';
import type { Delivery, DeliveryState, Message } from '../driver.ts';

export interface MemoryDeliveryHooks {
  /** Called once when the delivery stops being held (ack, release or loss). */
  settled(delivery: MemoryDelivery, outcome: 'acked' | 'released' | 'lost'): void;
}

export class MemoryDelivery implements Delivery {
  readonly message: Message;
  readonly source: Delivery['source'];
  #state: DeliveryState = 'held';
  readonly #hooks: MemoryDeliveryHooks;

  constructor(message: Message, source: Delivery['source'], hooks: MemoryDeliveryHooks) {
    this.message = message;
    this.source = source;
    this.#hooks = hooks;
  }

  get state(): DeliveryState {
    return this.#state;
  }

  ack(): Promise<void> {
    switch (this.#state) {
      case 'acked':
        return Promise.resolve();
      case 'lost':
        return Promise.reject(lostError(this));
      case 'released':
        return Promise.reject(settledError(this, 'released'));
      default:
        this.#state = 'acked';
        this.#hooks.settled(this, 'acked');
        return Promise.resolve();
    }
  }

  release(): Promise<void> {
    switch (this.#state) {
      case 'acked':
        return Promise.reject(settledError(this, 'acked'));
      case 'held':
        this.#state = 'released';
        this.#hooks.settled(this, 'released');
        return Promise.resolve();
      default:
        return Promise.resolve();
    }
  }

  /** The "connection" went away: the message went back to its queue. */
  lose(): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    this.#hooks.settled(this, 'lost');
  }
}
