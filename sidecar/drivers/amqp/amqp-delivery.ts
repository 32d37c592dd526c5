// A message taken from RabbitMQ and held unacked on its channel until the gateway settles it.
// If the channel is lost first, the broker has put the message back: the delivery says so
// (state 'lost', ack fails with ERR_BROKER_DELIVERY_LOST) instead of pretending to ack.
import type { Message as AmqpMessage } from 'amqplib';
import type { Delivery, DeliveryState, Message } from '../driver.ts';
import { lostError, settledError } from '../delivery-errors.ts';
import type { ChannelSlot } from './channel-slot.ts';

export interface AmqpDeliveryHooks {
  /** After a release: waiting getters may want the message. */
  released?(): void;
  /** The channel went away while the delivery was held. */
  lost?(delivery: AmqpDelivery): void;
  /** Called once when the delivery stops being held (acked, released or lost). */
  settled?(): void;
  /**
   * Returns the message on release, instead of the plain requeue on its channel (which it may
   * call): read-ahead keeps the queue's order this way.
   */
  giveBack?(requeue: () => Promise<void>): Promise<void>;
}

export class AmqpDelivery implements Delivery {
  readonly message: Message;
  readonly source: Delivery['source'];
  readonly #slot: ChannelSlot;
  readonly #raw: AmqpMessage;
  readonly #hooks: AmqpDeliveryHooks;
  #state: DeliveryState = 'held';
  #acking: Promise<void> | undefined;

  constructor(message: Message, source: Delivery['source'], slot: ChannelSlot, raw: AmqpMessage, hooks: AmqpDeliveryHooks) {
    this.message = message;
    this.source = source;
    this.#slot = slot;
    this.#raw = raw;
    this.#hooks = hooks;
    slot.held.add(this);
  }

  get state(): DeliveryState {
    return this.#state;
  }

  ack(): Promise<void> {
    if (this.#acking) return this.#acking;
    switch (this.#state) {
      case 'lost':
        return Promise.reject(lostError(this));
      case 'released':
        return Promise.reject(settledError(this, 'released'));
      default:
        break;
    }
    this.#acking = this.#slot.ack(this.#raw).then(
      () => {
        if (this.#state === 'held') {
          this.#state = 'acked';
          this.#hooks.settled?.();
        }
        this.#slot.held.delete(this);
      },
      () => {
        // Sent or not, the ack was not confirmed before the channel closed: the broker
        // requeues what it did not process, so the message may come again.
        this.markLost();
        throw lostError(this);
      },
    );
    return this.#acking;
  }

  release(): Promise<void> {
    if (this.#acking || this.#state === 'acked') return Promise.reject(settledError(this, 'acked'));
    if (this.#state !== 'held') return Promise.resolve();
    this.#state = 'released';
    this.#slot.held.delete(this);
    this.#hooks.settled?.();
    // Resolve (and wake waiting getters, who may read on other channels) once it is back.
    const requeue = (): Promise<void> => this.#slot.release(this.#raw);
    const back = this.#hooks.giveBack ? this.#hooks.giveBack(requeue) : requeue();
    return back.then(() => this.#hooks.released?.());
  }

  /** Called by the slot when its channel closed. */
  markLost(): void {
    this.#slot.held.delete(this);
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    this.#hooks.settled?.();
    this.#hooks.lost?.(this);
  }
}
