// Read-ahead for plain gets on a hot queue (what IBM MQ calls read ahead): a basic.consume with a
// small prefetch on a channel of its own, whose deliveries wait in a local buffer for the next
// plain gets, which then need no broker round trip. The buffer keeps the broker's order: highest
// priority first, then arrival; a message handed out and released while reading ahead goes back
// to its own place in the buffer. Stopping cancels the consumer and returns the buffer to the
// queue (nack with requeue: each message back at its original position). Everything buffered is
// unacked on the channel, so a lost channel or connection returns it to the queue too.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { StoredMessage } from '../message.ts';
import { fromAmqp } from './amqp-message.ts';
import { ChannelSlot } from './channel-slot.ts';

export interface Prefetched {
  readonly raw: ConsumeMessage;
  readonly stored: StoredMessage;
  /** Arrival order; a message taken back keeps its own. */
  readonly seq: number;
}

/** Bounds a broker round trip (the driver's operation timeout). */
export type Timed = <T>(promise: Promise<T>, what: string) => Promise<T>;

export class ReadAhead {
  readonly queue: string;
  readonly slot: ChannelSlot;
  readonly #timed: Timed;
  readonly #prefetch: number;
  readonly #onArrival: () => void;
  /** Highest priority first, then by arrival. */
  readonly #buffer: Prefetched[] = [];
  #seq = 0;
  #consumerTag: string | undefined;
  /** starting: deliveries are buffered, but gets do not take from the buffer until the first sync. */
  #state: 'stopped' | 'starting' | 'consuming' = 'stopped';

  /**
   * @param channel a fresh channel, already set to the prefetch (basic.qos) it is opened with.
   * @param onArrival called when a message enters the buffer (waiting getters may want it).
   * @param onClosed called once when the channel closes: the broker took everything back.
   */
  constructor(queue: string, channel: Channel, prefetch: number, timed: Timed, onArrival: () => void, onClosed: () => void) {
    this.queue = queue;
    this.#timed = timed;
    this.#prefetch = prefetch;
    this.#onArrival = onArrival;
    this.slot = new ChannelSlot(channel, prefetch, () => {
      this.#state = 'stopped';
      this.#buffer.length = 0;
      onClosed();
    });
  }

  /** True while the consumer runs: the buffer fills and plain gets take from it. */
  get consuming(): boolean {
    return this.#state === 'consuming' && this.slot.open;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Starts (or restarts) the consumer; resolves once what the broker pushed at once is buffered. */
  async start(): Promise<void> {
    if (this.#state !== 'stopped') return;
    this.#state = 'starting';
    try {
      const { consumerTag } = await this.#timed(
        this.slot.rpc(() => this.slot.channel.consume(this.queue, (raw) => this.#accept(raw), { noAck: false })),
        `read ahead on ${this.queue}`,
      );
      this.#consumerTag = consumerTag;
      await this.sync();
    } catch (err) {
      this.#state = 'stopped';
      throw err;
    }
    if (this.#state === 'starting') this.#state = 'consuming';
  }

  /**
   * Resolves once every message the broker pushed to this consumer before now is in the buffer.
   * The queue pushes a message to the consumer's channel when it enqueues it; the channel handles
   * that before a later method on it, so the reply to a basic.qos sent now comes after them.
   */
  async sync(): Promise<void> {
    await this.#timed(this.slot.rpc(() => this.slot.channel.prefetch(this.#prefetch)), `read ahead on ${this.queue}`);
  }

  /**
   * Cancels the consumer and returns every buffered message to the queue, resolving once the
   * broker has them back (gets on other channels must find them there). Messages handed out stay
   * held by their deliveries.
   */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    const tag = this.#consumerTag;
    this.#consumerTag = undefined;
    if (!this.slot.open) return;
    try {
      // After cancel-ok the broker sends no more; what arrives before it is returned by #accept.
      if (tag !== undefined) await this.#timed(this.slot.rpc(() => this.slot.channel.cancel(tag)), `stop reading ahead on ${this.queue}`);
    } finally {
      for (const entry of this.#buffer.splice(0)) this.slot.requeue(entry.raw);
      await this.slot.confirmed().catch(() => undefined);
    }
  }

  /** The next buffered message in the broker's order, if any. */
  take(): Prefetched | undefined {
    return this.#buffer.shift();
  }

  /**
   * Puts a message handed out from this buffer back in its place (a release while reading ahead):
   * it stays unacked on the channel. False when not reading ahead any more: the caller returns it
   * to the queue instead.
   */
  takeBack(entry: Prefetched): boolean {
    if (!this.consuming) return false;
    this.#insert(entry);
    this.#onArrival();
    return true;
  }

  #accept(raw: ConsumeMessage | null): void {
    if (raw === null) {
      // The broker cancelled the consumer (the queue was deleted): nothing buffered can go back.
      this.#state = 'stopped';
      this.#consumerTag = undefined;
      this.#buffer.length = 0;
      return;
    }
    if (this.#state === 'stopped') {
      this.slot.requeue(raw); // sent before the broker saw our cancel
      return;
    }
    this.#insert({ raw, stored: fromAmqp(raw), seq: this.#seq++ });
    this.#onArrival();
  }

  #insert(entry: Prefetched): void {
    const buffer = this.#buffer;
    const priority = entry.stored.priority;
    let at = buffer.length;
    // Usually the new message goes last (same priority, latest arrival): look from the end.
    while (at > 0) {
      const before = buffer[at - 1] as Prefetched;
      if (before.stored.priority > priority || (before.stored.priority === priority && before.seq < entry.seq)) break;
      at--;
    }
    buffer.splice(at, 0, entry);
  }
}
