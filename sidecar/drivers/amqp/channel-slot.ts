// One AMQP channel and the deliveries it holds. An ack (or a requeue) is confirmed by the reply to any
// synchronous method issued after it on the same channel (the broker handles a channel's methods
// in order): the next basic.get when the channel is busy, else a basic.qos sent as a barrier on
// the next turn of the event loop. When the channel closes, every delivery it held is marked
// lost: the broker requeued them.
import type { Channel, Message as AmqpMessage } from 'amqplib';
import type { AmqpDelivery } from './amqp-delivery.ts';

export class ChannelSlot {
  readonly channel: Channel;
  /** The prefetch this channel runs with; re-sent unchanged as the barrier. */
  readonly #prefetch: number;
  readonly held = new Set<AmqpDelivery>();
  #open = true;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #barrierQueued = false;
  /** Synchronous methods issued and not yet answered (amqplib sends them one at a time). */
  #inFlight = 0;
  readonly #onClosed: (slot: ChannelSlot) => void;

  constructor(channel: Channel, prefetch: number, onClosed: (slot: ChannelSlot) => void) {
    this.channel = channel;
    this.#prefetch = prefetch;
    this.#onClosed = onClosed;
    // Channel errors (404 on a vanished queue, 406) close the channel; 'close' follows and is what we act on.
    channel.on('error', () => undefined);
    channel.on('close', () => this.markClosed());
  }

  get open(): boolean {
    return this.#open;
  }

  /** Methods waiting for a reply on this channel: a busy channel answers later. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Acks that a method issued now would confirm. */
  get unconfirmedAcks(): number {
    return this.#waiters.length;
  }

  markClosed(): void {
    if (!this.#open) return;
    this.#open = false;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('channel closed'));
    for (const delivery of [...this.held]) delivery.markLost();
    this.#onClosed(this);
  }

  /** Acks `message` and resolves once the broker has processed the ack. */
  ack(message: AmqpMessage): Promise<void> {
    if (!this.#open) return Promise.reject(new Error('channel closed'));
    this.channel.ack(message);
    return this.confirmed();
  }

  /**
   * Resolves once the broker has processed everything sent on this channel so far (acks,
   * requeues): the reply to the next synchronous method proves it; a basic.qos barrier is sent
   * on the next event-loop turn if no other method comes.
   */
  confirmed(): Promise<void> {
    if (!this.#open) return Promise.reject(new Error('channel closed'));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (this.#barrierQueued) return;
      this.#barrierQueued = true;
      setImmediate(() => {
        this.#barrierQueued = false;
        if (this.#waiters.length > 0 && this.#open) this.rpc(() => this.channel.prefetch(this.#prefetch)).catch(() => undefined);
      });
    });
  }

  /** Issues a synchronous method; its reply also confirms every ack sent before it. */
  rpc<T>(call: () => Promise<T>): Promise<T> {
    const covered = this.#waiters.splice(0);
    this.#inFlight++;
    const reply = call();
    const settled = (): void => {
      this.#inFlight--;
    };
    reply.then(settled, settled);
    if (covered.length > 0) {
      reply.then(
        () => {
          for (const waiter of covered) waiter.resolve();
        },
        (err: unknown) => {
          for (const waiter of covered) waiter.reject(err);
        },
      );
    }
    return reply;
  }

  /**
   * Returns `message` to its queue (original position), without waiting. Call confirmed()
   * before anything another channel does must see it back (the broker orders methods per
   * channel only). Were the channel lost, the broker would requeue the message itself.
   */
  requeue(message: AmqpMessage): void {
    if (!this.#open) return;
    try {
      this.channel.nack(message, false, true);
    } catch {
      // The channel closed under us: the broker requeues the message itself.
    }
  }

  /** Requeues `message` and resolves once it is back on the queue (or the channel is gone, which requeues it too). */
  release(message: AmqpMessage): Promise<void> {
    this.requeue(message);
    if (!this.#open) return Promise.resolve();
    return this.confirmed().catch(() => undefined);
  }

  /** Discards `message` (an expired one met on the way), without confirmation. */
  discard(message: AmqpMessage): void {
    if (!this.#open) return;
    try {
      this.channel.ack(message);
    } catch {
      // Closed: the broker keeps it and will expire it itself.
    }
  }

}
