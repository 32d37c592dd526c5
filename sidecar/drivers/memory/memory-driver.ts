// The in-process broker driver, for the local demo and unit tests: the same semantics as the
// amqp driver (depth limits, expiry, priority then FIFO order, waiting getters served in
// arrival order, release to the original position) and a switch to simulate a broker outage.
import { AppError } from '../../../lib/errors/index.ts';
import type {
  BrokerDriver,
  BrowseListOptions,
  Delivery,
  DriverEventListener,
  DriverHealth,
  GetOptions,
  Message,
  MessageSummary,
  OutgoingMessage,
  PutResult,
  QueueSpec,
  Selector,
  SubscribeOptions,
  Subscription,
} from '../driver.ts';
import { DEFAULT_MAX_MESSAGE_LENGTH } from '../driver.ts';
import { DeliveryStream } from '../delivery-stream.ts';
import { DriverStatus } from '../driver-status.ts';
import {
  checkNonNegativeInteger,
  normalizeSelector,
  prepareMessage,
  summarize,
  toMessage,
  type NormalizedSelector,
} from '../message.ts';
import { resolveQueueSpecs, type ResolvedQueueSpec } from '../queue-spec.ts';
import { topicFilterToBindingKey, topicMatches, topicToRoutingKey } from '../topic-string.ts';
import { MemoryDelivery } from './memory-delivery.ts';
import { OrderedStore, type StoreEntry } from './ordered-store.ts';

export interface MemoryDriverOptions {
  /** Clock in milliseconds (tests inject one for expiry). */
  readonly now?: () => number;
  /** Depth limit of each subscription's buffer; default 10000. */
  readonly subscriptionMaxDepth?: number;
  /** Longest publication body; default 4 MiB. */
  readonly topicMaxMessageLength?: number;
  /** Queue deliveries held unsettled at once, at most (MQ's MAXUMSGS); default 10000. */
  readonly maxHeldDeliveries?: number;
}

interface Waiter {
  readonly selector: NormalizedSelector;
  resolve(delivery: Delivery | null): void;
  reject(error: unknown): void;
}

interface MemoryQueue {
  spec: ResolvedQueueSpec;
  readonly store: OrderedStore;
  readonly waiters: Waiter[];
  readonly held: Set<MemoryDelivery>;
}

const DEFAULT_BROWSE_LIMIT = 100;
const DEFAULT_PREFETCH = 32;

export class MemoryDriver implements BrokerDriver {
  readonly kind = 'memory';
  readonly #now: () => number;
  readonly #status: DriverStatus;
  readonly #subscriptionMaxDepth: number;
  readonly #topicMaxMessageLength: number;
  readonly #maxHeld: number;
  #held = 0;
  /** Configured queues by name. */
  #queues = new Map<string, MemoryQueue>();
  /** Queues dropped from the configuration keep their messages, as a broker would. */
  readonly #retired = new Map<string, MemoryQueue>();
  readonly #subscriptions = new Set<MemorySubscription>();
  #started = false;
  #available = true;

  constructor(options: MemoryDriverOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#status = new DriverStatus('connecting', this.#now);
    this.#subscriptionMaxDepth = options.subscriptionMaxDepth ?? 10_000;
    this.#topicMaxMessageLength = options.topicMaxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.#maxHeld = Math.max(1, options.maxHeldDeliveries ?? 10_000);
  }

  start(): Promise<void> {
    if (this.#status.state === 'closed') return Promise.reject(closedError());
    this.#started = true;
    if (this.#available) this.#status.set('connected');
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#status.state === 'closed') return Promise.resolve();
    this.#breakAll(closedError());
    this.#status.set('closed');
    return Promise.resolve();
  }

  /**
   * Simulates the broker going away (false) and coming back (true): while away every
   * operation fails with ERR_BROKER_UNAVAILABLE, waiting gets and subscriptions end with
   * ERR_BROKER_CONNECTION_BROKEN and held deliveries go back to their queues, marked lost.
   */
  setAvailable(available: boolean): void {
    if (this.#status.state === 'closed' || available === this.#available) return;
    this.#available = available;
    if (available) {
      if (this.#started) this.#status.set('connected');
      return;
    }
    this.#breakAll(new AppError('ERR_BROKER_CONNECTION_BROKEN', 'the broker connection was lost'));
    this.#status.set('disconnected', unavailableError());
  }

  configureQueues(queues: readonly QueueSpec[]): Promise<void> {
    try {
      const specs = resolveQueueSpecs(queues);
      const next = new Map<string, MemoryQueue>();
      for (const spec of specs.values()) {
        const queue = this.#queues.get(spec.name) ?? this.#retired.get(spec.name) ?? newQueue(spec);
        queue.spec = spec;
        this.#retired.delete(spec.name);
        next.set(spec.name, queue);
      }
      for (const [name, queue] of this.#queues) {
        if (next.has(name)) continue;
        this.#retired.set(name, queue);
        for (const waiter of queue.waiters.splice(0)) waiter.reject(unknownQueue(name));
      }
      this.#queues = next;
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  health(): DriverHealth {
    return this.#status.health();
  }

  onEvent(listener: DriverEventListener): () => void {
    return this.#status.on(listener);
  }

  async put(queueName: string, message: OutgoingMessage): Promise<PutResult> {
    const queue = this.#queue(queueName);
    const nowMs = this.#now();
    const stored = prepareMessage(message, queue.spec.maxMessageLength, new Date(nowMs));
    this.#checkAvailable();
    queue.store.purgeExpired(nowMs);
    if (queue.store.size >= queue.spec.maxDepth) throw queueFull(queueName, queue.spec.maxDepth);
    queue.store.add(stored);
    this.#serveWaiters(queue);
    return { messageId: stored.messageId, putTime: stored.putTime as Date };
  }

  async get(queueName: string, options: GetOptions = {}): Promise<Delivery | null> {
    const queue = this.#queue(queueName);
    const selector = normalizeSelector(options);
    const waitMs = checkNonNegativeInteger(options.waitMs, 'waitMs', 0);
    const signal = options.signal;
    signal?.throwIfAborted();
    this.#checkAvailable();
    if (this.#held >= this.#maxHeld) {
      throw new AppError('ERR_BROKER_TOO_MANY_HELD', `the driver holds ${this.#held} unsettled deliveries, its maximum`, {
        details: { maxHeldDeliveries: this.#maxHeld },
      });
    }
    const entry = queue.store.first(selector, this.#now(), true);
    if (entry) return this.#deliver(queue, entry);
    if (waitMs === 0) return null;
    return new Promise<Delivery | null>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = queue.waiters.indexOf(waiter);
        if (at >= 0) queue.waiters.splice(at, 1);
      };
      const waiter: Waiter = {
        selector,
        resolve: (delivery) => {
          done();
          resolve(delivery);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(signal?.reason);
      const timer = setTimeout(() => waiter.resolve(null), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.waiters.push(waiter);
    });
  }

  async browse(queueName: string, selector?: Selector): Promise<Message | null> {
    const queue = this.#queue(queueName);
    const normalized = normalizeSelector(selector);
    this.#checkAvailable();
    const nowMs = this.#now();
    const entry = queue.store.first(normalized, nowMs, false);
    return entry ? toMessage(entry.stored, nowMs) : null;
  }

  async browseList(queueName: string, options: BrowseListOptions = {}): Promise<MessageSummary[]> {
    const queue = this.#queue(queueName);
    const selector = normalizeSelector(options);
    const limit = checkNonNegativeInteger(options.limit, 'limit', DEFAULT_BROWSE_LIMIT);
    this.#checkAvailable();
    const nowMs = this.#now();
    return queue.store.list(selector, nowMs, limit).map((entry) => summarize(toMessage(entry.stored, nowMs)));
  }

  async publish(topic: string, message: OutgoingMessage): Promise<PutResult> {
    this.#checkOpen();
    // The same limits as the amqp driver, whose routing keys hold at most 255 bytes.
    topicToRoutingKey(topic);
    const nowMs = this.#now();
    const stored = prepareMessage(message, this.#topicMaxMessageLength, new Date(nowMs));
    this.#checkAvailable();
    let full = false;
    for (const subscription of this.#subscriptions) {
      if (!topicMatches(subscription.topic, topic)) continue;
      if (!subscription.offer(stored, topic, nowMs)) full = true;
    }
    // As with RabbitMQ's reject-publish: the other subscribers got it, the publisher learns of the miss.
    if (full) throw queueFull(topic, this.#subscriptionMaxDepth);
    return { messageId: stored.messageId, putTime: stored.putTime as Date };
  }

  async subscribe(topic: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#checkOpen();
    topicFilterToBindingKey(topic);
    const prefetch = checkNonNegativeInteger(options.prefetch, 'prefetch', DEFAULT_PREFETCH);
    if (prefetch < 1) throw new AppError('ERR_INVALID_ARGUMENT', 'prefetch must be at least 1', { details: { field: 'prefetch' } });
    this.#checkAvailable();
    const subscription = new MemorySubscription(topic, prefetch, this.#subscriptionMaxDepth, this.#now, () =>
      this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  #deliver(queue: MemoryQueue, entry: StoreEntry): MemoryDelivery {
    const delivery = new MemoryDelivery(toMessage(entry.stored, this.#now()), { kind: 'queue', name: queue.spec.name }, {
      settled: (d, outcome) => {
        this.#held--;
        queue.held.delete(d);
        if (outcome === 'acked') return;
        queue.store.restore(entry);
        if (outcome === 'released') this.#serveWaiters(queue);
      },
    });
    queue.held.add(delivery);
    this.#held++;
    return delivery;
  }

  /** Hands ready messages to waiting getters, oldest getter first. */
  #serveWaiters(queue: MemoryQueue): void {
    if (!this.#available) return;
    for (const waiter of [...queue.waiters]) {
      if (this.#held >= this.#maxHeld) break;
      const entry = queue.store.first(waiter.selector, this.#now(), true);
      if (entry) waiter.resolve(this.#deliver(queue, entry));
      if (queue.store.size === 0) break;
    }
  }

  #breakAll(error: AppError): void {
    for (const queue of [...this.#queues.values(), ...this.#retired.values()]) {
      for (const waiter of [...queue.waiters]) waiter.reject(error);
      for (const delivery of [...queue.held]) delivery.lose();
    }
    for (const subscription of [...this.#subscriptions]) subscription.fail(error);
  }

  #queue(name: string): MemoryQueue {
    this.#checkOpen();
    const queue = this.#queues.get(name);
    if (!queue) throw unknownQueue(name);
    return queue;
  }

  #checkOpen(): void {
    if (this.#status.state === 'closed') throw closedError();
  }

  #checkAvailable(): void {
    if (!this.#started || !this.#available) throw unavailableError();
  }
}

class MemorySubscription implements Subscription {
  readonly topic: string;
  readonly #store = new OrderedStore();
  readonly #stream = new DeliveryStream();
  readonly #held = new Set<MemoryDelivery>();
  readonly #prefetch: number;
  readonly #maxDepth: number;
  readonly #now: () => number;
  readonly #onClose: () => void;
  #closed = false;

  constructor(topic: string, prefetch: number, maxDepth: number, now: () => number, onClose: () => void) {
    this.topic = topic;
    this.#prefetch = prefetch;
    this.#maxDepth = maxDepth;
    this.#now = now;
    this.#onClose = onClose;
  }

  /** Queues a publication for this subscriber; false when its buffer is full. */
  offer(stored: Parameters<OrderedStore['add']>[0], topic: string, nowMs: number): boolean {
    if (this.#closed) return true;
    this.#store.purgeExpired(nowMs);
    if (this.#store.size >= this.#maxDepth) return false;
    this.#store.add(stored, topic);
    this.#pump();
    return true;
  }

  fail(error: AppError): void {
    this.#end(error);
  }

  close(): Promise<void> {
    this.#end(undefined);
    return Promise.resolve();
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

  /** Moves messages to the stream while fewer than `prefetch` deliveries are unsettled. */
  #pump(): void {
    while (!this.#closed && this.#held.size < this.#prefetch) {
      const nowMs = this.#now();
      const entry = this.#store.first({ messageId: undefined, correlationId: undefined }, nowMs, true);
      if (!entry) return;
      const delivery: MemoryDelivery = new MemoryDelivery(toMessage(entry.stored, nowMs), { kind: 'topic', topic: entry.topic ?? this.topic }, {
        settled: (d, outcome) => {
          this.#held.delete(d);
          if (outcome === 'released' && !this.#closed) this.#store.restore(entry);
          this.#pump();
        },
      });
      this.#held.add(delivery);
      this.#stream.push(delivery);
    }
  }

  #end(error: AppError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    // Non-durable: what the subscriber did not settle goes with the subscription.
    for (const delivery of [...this.#held]) delivery.lose();
    this.#stream.drain();
    this.#stream.end(error);
  }
}

function newQueue(spec: ResolvedQueueSpec): MemoryQueue {
  return { spec, store: new OrderedStore(), waiters: [], held: new Set() };
}

function unknownQueue(name: string): AppError {
  return new AppError('ERR_BROKER_UNKNOWN_QUEUE', `queue ${name} is not configured`, { details: { queue: name } });
}

function queueFull(name: string, maxDepth: number): AppError {
  return new AppError('ERR_BROKER_QUEUE_FULL', `${name} is full`, { details: { queue: name, maxDepth } });
}

function unavailableError(): AppError {
  return new AppError('ERR_BROKER_UNAVAILABLE', 'the broker is not connected');
}

function closedError(): AppError {
  return new AppError('ERR_BROKER_CLOSED', 'the broker driver is closed');
}
