// A topic subscription on RabbitMQ: an exclusive, auto-deleted queue bound to the topic
// exchange, consumed on its own channel with a bounded prefetch. It lives and dies with the
// connection (non-durable, as an MQ non-durable subscription).
import type { ConsumeMessage } from 'amqplib';
import type { AppError } from '../../../lib/errors/index.ts';
import { DeliveryStream } from '../delivery-stream.ts';
import type { Delivery, Subscription } from '../driver.ts';
import { remainingExpiry, toMessage } from '../message.ts';
import { routingKeyToTopic } from '../topic-string.ts';
import { AmqpDelivery, type AmqpDeliveryHooks } from './amqp-delivery.ts';
import { fromAmqp } from './amqp-message.ts';
import type { ChannelSlot } from './channel-slot.ts';

export class AmqpSubscription implements Subscription {
  readonly topic: string;
  readonly #slot: ChannelSlot;
  readonly #stream = new DeliveryStream();
  readonly #now: () => number;
  readonly #hooks: AmqpDeliveryHooks;
  readonly #onClose: (subscription: AmqpSubscription) => void;
  #closed = false;

  constructor(topic: string, slot: ChannelSlot, now: () => number, hooks: AmqpDeliveryHooks, onClose: (subscription: AmqpSubscription) => void) {
    this.topic = topic;
    this.#slot = slot;
    this.#now = now;
    this.#hooks = hooks;
    this.#onClose = onClose;
  }

  /** Consumer callback: one publication arrived. */
  accept(raw: ConsumeMessage): void {
    if (this.#closed) return;
    const stored = fromAmqp(raw);
    const nowMs = this.#now();
    const remaining = remainingExpiry(stored, nowMs);
    if (remaining !== undefined && remaining <= 0) {
      this.#slot.discard(raw);
      return;
    }
    const source = { kind: 'topic' as const, topic: routingKeyToTopic(raw.fields.routingKey) };
    this.#stream.push(new AmqpDelivery(toMessage(stored, nowMs), source, this.#slot, raw, this.#hooks));
  }

  /** The connection or channel went away: the iteration throws `error`. */
  fail(error: AppError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    this.#stream.drain();
    this.#stream.end(error);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose(this);
    this.#stream.drain();
    this.#stream.end();
    // Closing the channel cancels the consumer, and the auto-delete queue goes with it.
    try {
      await this.#slot.channel.close();
    } catch {
      // Already closed with its connection: the broker removed the exclusive queue.
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Delivery> {
    return {
      next: () => this.#stream.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }
}
