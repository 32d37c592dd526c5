// The RabbitMQ driver (AMQP 0-9-1 through amqplib): durable priority queues declared from the
// configuration, persistent messages with publisher confirms, manual acks, long-poll gets,
// selection by id through an ordered scan, topics through a topic exchange, and reconnection
// with backoff during which every operation fails at once. Design notes: docs/drivers.md.
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type GetMessage, type Message as AmqpMessage } from 'amqplib';
import { AppError } from '../../../lib/errors/index.ts';
import type { Logger } from '../../../lib/log/index.ts';
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
import { DriverStatus } from '../driver-status.ts';
import {
  checkNonNegativeInteger,
  isSelective,
  matchesSelector,
  normalizeSelector,
  prepareMessage,
  remainingExpiry,
  summarize,
  toMessage,
  type NormalizedSelector,
  type StoredMessage,
} from '../message.ts';
import { resolveQueueSpecs, type ResolvedQueueSpec } from '../queue-spec.ts';
import { topicFilterToBindingKey, topicToRoutingKey } from '../topic-string.ts';
import { AmqpDelivery } from './amqp-delivery.ts';
import { fromAmqp, toPublishOptions } from './amqp-message.ts';
import { AmqpSubscription } from './amqp-subscription.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { ChannelSlot } from './channel-slot.ts';
import { Deadlines } from './deadlines.ts';
import { QueueLock } from './queue-lock.ts';

export interface AmqpDriverOptions {
  /** amqp://user:password@host:port/vhost; a `heartbeat` query parameter overrides heartbeatSeconds. */
  readonly url: string;
  /** Queues to declare at the first connection (configureQueues replaces them). */
  readonly queues?: readonly QueueSpec[];
  /** The durable topic exchange publications go through; default `qshield.topics`. */
  readonly topicExchange?: string;
  /** Shown by the broker for this connection; default `qshield-gateway`. */
  readonly connectionName?: string;
  /** AMQP heartbeat, so that a dead peer is noticed; default 5 s. */
  readonly heartbeatSeconds?: number;
  /** TCP connect plus AMQP handshake; default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Any single broker round trip (confirm, get, declare); default 10000 ms. */
  readonly operationTimeoutMs?: number;
  readonly reconnect?: Partial<BackoffOptions>;
  /** Channels gets run on in parallel; default 4. */
  readonly getChannels?: number;
  /** How often waiting gets look for messages that did not come through this driver; default 250 ms. */
  readonly pollIntervalMs?: number;
  /** The same for gets waiting with a selector (each look is a scan); default 2000 ms. */
  readonly selectivePollIntervalMs?: number;
  /** At most this many messages are looked at by one selection or browse scan; default 5000. */
  readonly scanLimit?: number;
  /** Queue deliveries held unsettled at once, at most (MQ's MAXUMSGS); default 10000. */
  readonly maxHeldDeliveries?: number;
  /** Depth limit of each subscription's queue; default 10000. */
  readonly subscriptionMaxDepth?: number;
  /** Longest publication body; default 4 MiB. */
  readonly topicMaxMessageLength?: number;
  readonly log?: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
}

interface Waiter {
  /** Undefined for a plain get. */
  readonly selector: NormalizedSelector | undefined;
  settled: boolean;
  resolve(delivery: Delivery | null): void;
  reject(error: unknown): void;
}

interface QueueState {
  readonly name: string;
  readonly lock: QueueLock;
  readonly plain: Waiter[];
  readonly selective: Waiter[];
  pumping: boolean;
  pumpAgain: boolean;
  scanning: boolean;
  /** Selective waiters to look for at the next scan round; `all` after a release, poll or reconnect. */
  scanFor: Set<Waiter> | 'all' | undefined;
  timer: NodeJS.Timeout | undefined;
  ticks: number;
}

interface Session {
  readonly id: number;
  readonly conn: ChannelModel;
  alive: boolean;
  blocked: boolean;
  publisher: ChannelSlot | undefined;
  admin: Channel | undefined;
  readonly getSlots: (ChannelSlot | undefined)[];
  next: number;
  /** Declared queues and the depth limit they were declared with. */
  readonly declared: Map<string, number>;
  /** Queues the broker holds with other attributes. */
  readonly mismatched: Map<string, AppError>;
  /** Mandatory publishes awaiting their confirm, by message id, to spot basic.return. */
  readonly returns: Map<string, { returned: boolean }[]>;
  readonly subscriptions: Set<AmqpSubscription>;
  readonly closed: Promise<unknown>;
}

const DEFAULT_BROWSE_LIMIT = 100;
const DEFAULT_PREFETCH = 32;
const SLOT_PREFETCH = 0;

export class AmqpDriver implements BrokerDriver {
  readonly kind = 'amqp';
  readonly #url: string;
  readonly #exchange: string;
  readonly #connectionName: string;
  readonly #connectTimeoutMs: number;
  readonly #opTimeoutMs: number;
  readonly #backoff: BackoffOptions;
  readonly #getChannels: number;
  readonly #pollMs: number;
  readonly #selectivePollTicks: number;
  readonly #scanLimit: number;
  readonly #subscriptionMaxDepth: number;
  readonly #maxHeld: number;
  #held = 0;
  readonly #topicMaxMessageLength: number;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #status: DriverStatus;
  readonly #deadlines: Deadlines;

  #specs = new Map<string, ResolvedQueueSpec>();
  /** Queues declared in an earlier session: one missing after a reconnect was lost by the broker (or deleted) meanwhile. */
  readonly #declaredBefore = new Set<string>();
  readonly #queueStates = new Map<string, QueueState>();
  #session: Session | undefined;
  #sessionCount = 0;
  #closed = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #firstOutcome: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  constructor(options: AmqpDriverOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new AppError('ERR_INVALID_ARGUMENT', 'the broker URL must be amqp:// or amqps://');
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 5));
    this.#url = url.toString();
    this.#exchange = options.topicExchange ?? 'qshield.topics';
    this.#connectionName = options.connectionName ?? 'qshield-gateway';
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    this.#opTimeoutMs = options.operationTimeoutMs ?? 10_000;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.reconnect };
    this.#getChannels = Math.max(1, options.getChannels ?? 4);
    this.#pollMs = Math.max(10, options.pollIntervalMs ?? 250);
    this.#selectivePollTicks = Math.max(1, Math.round((options.selectivePollIntervalMs ?? 2_000) / this.#pollMs));
    this.#scanLimit = Math.max(1, options.scanLimit ?? 5_000);
    this.#subscriptionMaxDepth = options.subscriptionMaxDepth ?? 10_000;
    this.#maxHeld = Math.max(1, options.maxHeldDeliveries ?? 10_000);
    this.#topicMaxMessageLength = options.topicMaxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    this.#log = options.log?.child({ module: 'amqp-driver' });
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#status = new DriverStatus('connecting', this.#now);
    this.#deadlines = new Deadlines(Math.min(250, Math.max(10, Math.floor(this.#opTimeoutMs / 4))), this.#now);
    if (options.queues) this.#specs = resolveQueueSpecs(options.queues);
  }

  // === lifecycle ===

  start(options: { waitForConnection?: boolean } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#loop) return Promise.resolve();
    const first = new Promise<void>((resolve, reject) => {
      this.#firstOutcome = { resolve, reject };
    });
    this.#loop = this.#connectLoop();
    if (options.waitForConnection === false) {
      first.catch(() => undefined);
      return Promise.resolve();
    }
    return first;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    const session = this.#session;
    this.#session = undefined;
    this.#failWaiters(closedError());
    if (session) {
      for (const subscription of [...session.subscriptions]) subscription.fail(closedError());
      session.alive = false;
      try {
        await session.conn.close();
      } catch {
        // Already gone.
      }
    }
    this.#status.set('closed');
    this.#firstOutcome?.reject(closedError());
    await this.#loop;
  }

  async configureQueues(queues: readonly QueueSpec[]): Promise<void> {
    this.#checkOpen();
    const specs = resolveQueueSpecs(queues);
    this.#specs = specs;
    for (const [name, state] of this.#queueStates) {
      if (specs.has(name)) continue;
      for (const waiter of [...state.plain, ...state.selective]) waiter.reject(unknownQueue(name));
    }
    const session = this.#session;
    if (!session) return; // declared when the connection comes up
    const mismatched: string[] = [];
    for (const spec of specs.values()) {
      if (session.declared.get(spec.name) === spec.maxDepth) continue;
      const error = await this.#declareQueue(session, spec);
      if (error) mismatched.push(spec.name);
    }
    if (mismatched.length > 0) {
      throw new AppError('ERR_BROKER_QUEUE_MISMATCH', `the broker holds ${mismatched.join(', ')} with other attributes`, {
        details: { queues: mismatched },
      });
    }
  }

  health(): DriverHealth {
    return this.#status.health();
  }

  onEvent(listener: DriverEventListener): () => void {
    return this.#status.on(listener);
  }

  async #connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.#closed) {
      this.#status.set('connecting');
      let session: Session | undefined;
      try {
        session = await this.#openSession();
      } catch (err) {
        const error = new AppError('ERR_BROKER_UNAVAILABLE', 'cannot connect to the broker', { cause: err });
        this.#status.set('disconnected', error);
        this.#log?.warn({ err: describe(err), attempt }, 'broker connection attempt failed');
        this.#firstOutcome?.reject(error);
        this.#firstOutcome = undefined;
      }
      if (session && !this.#closed) {
        this.#session = session;
        this.#status.set('connected');
        this.#log?.info({ session: session.id }, 'broker connected');
        this.#firstOutcome?.resolve();
        this.#firstOutcome = undefined;
        for (const state of this.#queueStates.values()) this.#kickAll(state);
        const cause = await session.closed;
        this.#lose(session, cause);
        if (this.#closed) break;
        attempt = 0;
      } else if (session) {
        await session.conn.close().catch(() => undefined);
      }
      if (this.#closed) break;
      const delayMs = backoffDelay(attempt++, this.#backoff, this.#random);
      this.#status.emit({ kind: 'reconnectScheduled', attempt, delayMs });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #openSession(): Promise<Session> {
    const conn = await amqp.connect(this.#url, {
      noDelay: true,
      timeout: this.#connectTimeoutMs,
      clientProperties: { connection_name: this.#connectionName },
    });
    let onClosed: (cause: unknown) => void = () => undefined;
    const closed = new Promise<unknown>((resolve) => {
      onClosed = resolve;
    });
    conn.on('error', () => undefined); // 'close' follows and carries the loss
    conn.on('close', (err?: Error) => onClosed(err ?? new Error('connection closed')));
    const session: Session = {
      id: ++this.#sessionCount,
      conn,
      alive: true,
      blocked: false,
      publisher: undefined,
      admin: undefined,
      getSlots: new Array<ChannelSlot | undefined>(this.#getChannels).fill(undefined),
      next: 0,
      declared: new Map(),
      mismatched: new Map(),
      returns: new Map(),
      subscriptions: new Set(),
      closed,
    };
    conn.on('blocked', () => {
      session.blocked = true;
      this.#log?.warn('broker blocks publishers (resource alarm)');
    });
    conn.on('unblocked', () => {
      session.blocked = false;
    });
    try {
      await this.#publisher(session);
      const admin = await this.#admin(session);
      await this.#timed(admin.assertExchange(this.#exchange, 'topic', { durable: true }), 'declare the topic exchange');
      await this.#reportLostQueues(session);
      for (const spec of this.#specs.values()) await this.#declareQueue(session, spec);
      return session;
    } catch (err) {
      session.alive = false;
      await conn.close().catch(() => undefined);
      throw err;
    }
  }

  /** The connection is gone: everything that depended on it fails now, nothing waits. */
  #lose(session: Session, cause: unknown): void {
    if (!session.alive) return;
    session.alive = false;
    if (this.#session === session) this.#session = undefined;
    if (this.#closed) return;
    const error = new AppError('ERR_BROKER_UNAVAILABLE', 'the broker connection was lost', { cause });
    this.#status.set('disconnected', error);
    this.#log?.warn({ err: describe(cause), session: session.id }, 'broker connection lost');
    for (const slot of [session.publisher, ...session.getSlots]) slot?.markClosed();
    const broken = new AppError('ERR_BROKER_CONNECTION_BROKEN', 'the broker connection was lost', { cause });
    this.#failWaiters(broken);
    for (const subscription of [...session.subscriptions]) subscription.fail(broken);
  }

  #failWaiters(error: AppError): void {
    for (const state of this.#queueStates.values()) {
      for (const waiter of [...state.plain, ...state.selective]) waiter.reject(error);
      this.#updateTimer(state);
    }
  }

  // === channels ===

  async #publisher(session: Session): Promise<ConfirmChannel> {
    if (session.publisher?.open) return session.publisher.channel as ConfirmChannel;
    const channel = await this.#timed(session.conn.createConfirmChannel(), 'open a channel');
    channel.on('return', (message: AmqpMessage) => {
      const id = message.properties.messageId as string | undefined;
      const pending = id === undefined ? undefined : session.returns.get(id)?.find((p) => !p.returned);
      if (pending) pending.returned = true;
    });
    session.publisher = new ChannelSlot(channel, SLOT_PREFETCH, () => undefined);
    return channel;
  }

  async #admin(session: Session): Promise<Channel> {
    if (session.admin) return session.admin;
    const channel = await this.#timed(session.conn.createChannel(), 'open a channel');
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (session.admin === channel) session.admin = undefined;
    });
    session.admin = channel;
    return channel;
  }

  /**
   * The get channel with the most acks waiting for confirmation (the get confirms them and
   * spares that channel a barrier round trip), else the least busy; a closed one is reopened.
   * Synchronous when the channel is open, so that the caller issues its get before any other
   * caller chooses: the choice stays right.
   */
  #getSlot(session: Session): ChannelSlot | Promise<ChannelSlot> {
    let index = session.next++ % session.getSlots.length;
    let best = session.getSlots[index];
    for (let i = 0; i < session.getSlots.length && best?.open; i++) {
      const slot = session.getSlots[i];
      if (!slot?.open) {
        index = i;
        best = slot;
        break;
      }
      if (slot.unconfirmedAcks > best.unconfirmedAcks || (slot.unconfirmedAcks === best.unconfirmedAcks && slot.inFlight < best.inFlight)) {
        index = i;
        best = slot;
      }
    }
    if (best?.open) return best;
    return this.#openSlot(session, index).catch((err: unknown) => {
      throw this.#mapError(err, session, undefined);
    });
  }

  async #openSlot(session: Session, index: number): Promise<ChannelSlot> {
    const channel = await this.#timed(session.conn.createChannel(), 'open a channel');
    const fresh = new ChannelSlot(channel, SLOT_PREFETCH, () => {
      if (session.getSlots[index] === fresh) session.getSlots[index] = undefined;
    });
    session.getSlots[index] = fresh;
    return fresh;
  }

  /**
   * Before a reconnect declares the queues again (which would silently create an empty one),
   * looks for configured queues that existed before and are gone: the broker lost them (RabbitMQ
   * can forget a durable queue declared moments before it crashed) or someone deleted them while
   * the driver was away. Either way the messages they held are gone, which must not pass silently.
   */
  async #reportLostQueues(session: Session): Promise<void> {
    let channel: Channel | undefined;
    for (const spec of this.#specs.values()) {
      if (!this.#declaredBefore.has(spec.name)) continue;
      if (!channel) {
        channel = await this.#timed(session.conn.createChannel(), 'open a channel');
        channel.on('error', () => undefined);
      }
      try {
        await this.#timed(channel.checkQueue(spec.name), `check ${spec.name}`);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 404) throw err;
        channel = undefined; // the broker closed it with the 404
        const error = new AppError('ERR_BROKER_QUEUE_LOST', `queue ${spec.name} was missing on the broker after a reconnect; it is declared again, empty`, {
          details: { queue: spec.name },
        });
        this.#log?.error({ queue: spec.name, code: error.code }, 'a configured queue vanished from the broker while disconnected; the messages it held are gone');
        this.#status.emit({ kind: 'queueError', queue: spec.name, error });
      }
    }
    await channel?.close().catch(() => undefined);
  }

  /** Declares a durable priority queue with its depth limit; returns the mismatch error, if any. */
  async #declareQueue(session: Session, spec: ResolvedQueueSpec): Promise<AppError | undefined> {
    const admin = await this.#admin(session);
    try {
      await this.#timed(
        admin.assertQueue(spec.name, {
          durable: true,
          arguments: { 'x-max-priority': 9, 'x-max-length': spec.maxDepth, 'x-overflow': 'reject-publish' },
        }),
        `declare ${spec.name}`,
      );
      session.declared.set(spec.name, spec.maxDepth);
      session.mismatched.delete(spec.name);
      this.#declaredBefore.add(spec.name);
      return undefined;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 406) throw err;
      const error = new AppError('ERR_BROKER_QUEUE_MISMATCH', `the broker holds ${spec.name} with other attributes (priority levels, depth limit)`, {
        cause: err,
        details: { queue: spec.name },
      });
      session.declared.delete(spec.name);
      session.mismatched.set(spec.name, error);
      this.#log?.error({ queue: spec.name, code: error.code }, 'queue attributes on the broker differ from the configuration');
      this.#status.emit({ kind: 'queueError', queue: spec.name, error });
      return error;
    }
  }

  // === put and publish ===

  async put(queue: string, message: OutgoingMessage): Promise<PutResult> {
    const spec = this.#spec(queue);
    const stored = prepareMessage(message, spec.maxMessageLength, new Date(this.#now()));
    const session = this.#ready(queue, true);
    await this.#publish(session, '', queue, stored, true, queue);
    const state = this.#queueStates.get(queue);
    if (state) this.#kickForPut(state, stored);
    return { messageId: stored.messageId, putTime: stored.putTime as Date };
  }

  async publish(topic: string, message: OutgoingMessage): Promise<PutResult> {
    this.#checkOpen();
    const routingKey = topicToRoutingKey(topic);
    const stored = prepareMessage(message, this.#topicMaxMessageLength, new Date(this.#now()));
    const session = this.#ready(undefined, true);
    await this.#publish(session, this.#exchange, routingKey, stored, false, topic);
    return { messageId: stored.messageId, putTime: stored.putTime as Date };
  }

  async #publish(session: Session, exchange: string, routingKey: string, stored: StoredMessage, mandatory: boolean, target: string): Promise<void> {
    const channel = await this.#publisher(session).catch((err: unknown) => {
      throw this.#mapError(err, session, undefined);
    });
    const slot = session.publisher as ChannelSlot;
    const tracker = { returned: false };
    if (mandatory) {
      const list = session.returns.get(stored.messageId);
      if (list) list.push(tracker);
      else session.returns.set(stored.messageId, [tracker]);
    }
    const untrack = (): void => {
      if (!mandatory) return;
      const list = session.returns.get(stored.messageId);
      if (!list) return;
      list.splice(list.indexOf(tracker), 1);
      if (list.length === 0) session.returns.delete(stored.messageId);
    };
    await new Promise<void>((resolve, reject) => {
      let expired = false;
      const deadline = this.#deadlines.add(this.#opTimeoutMs, () => {
        expired = true;
        untrack();
        reject(timeoutError(`confirm of a put to ${target}`));
      });
      const settle = (err: unknown): void => {
        if (expired) return;
        this.#deadlines.remove(deadline);
        untrack();
        if (err === null || err === undefined) {
          if (tracker.returned) reject(unknownQueue(target, true));
          else resolve();
        } else if (!slot.open || !session.alive) {
          reject(brokenError(err, 'the broker connection broke before the put was confirmed; it may or may not be stored'));
        } else {
          // A nack: our queues overflow with reject-publish, so the broker refused it for depth.
          reject(new AppError('ERR_BROKER_QUEUE_FULL', `the broker refused the message for ${target} (maximum depth reached)`, { details: { target } }));
        }
      };
      // amqplib fails pending confirms from inside the channel's 'close' event, before the slot's
      // own listener has marked it closed; classify once that event has been handled.
      const done = (err: unknown): void => {
        if (err === null || err === undefined) settle(err);
        else queueMicrotask(() => settle(err));
      };
      try {
        channel.publish(exchange, routingKey, stored.body, toPublishOptions(stored, mandatory), done);
      } catch (err) {
        done(err);
      }
    });
  }

  // === get, browse ===

  async get(queue: string, options: GetOptions = {}): Promise<Delivery | null> {
    this.#spec(queue);
    const selector = normalizeSelector(options);
    const waitMs = checkNonNegativeInteger(options.waitMs, 'waitMs', 0);
    const signal = options.signal;
    signal?.throwIfAborted();
    const session = this.#ready(queue, false);
    const state = this.#state(queue);
    const selective = isSelective(selector);

    if (waitMs > 0 && selective) return this.#wait(state, selector, waitMs, signal);
    let delivery: Delivery | null;
    if (selective) {
      delivery = await state.lock.exclusive(() => this.#scanTake(session, queue, selector));
    } else if (state.plain.length === 0) {
      delivery = await state.lock.shared(() => this.#takeOne(session, queue));
    } else {
      // Getters are already waiting: join the line behind them.
      return this.#wait(state, undefined, waitMs, signal);
    }
    if (delivery && signal?.aborted) {
      await delivery.release();
      throw signal.reason;
    }
    if (delivery || waitMs === 0) return delivery;
    return this.#wait(state, undefined, waitMs, signal);
  }

  async browse(queue: string, selector?: Selector): Promise<Message | null> {
    this.#spec(queue);
    const normalized = normalizeSelector(selector);
    const session = this.#ready(queue, false);
    const state = this.#state(queue);
    const [first] = await state.lock.exclusive(() => this.#scan(session, queue, normalized, 1));
    return first ?? null;
  }

  async browseList(queue: string, options: BrowseListOptions = {}): Promise<MessageSummary[]> {
    this.#spec(queue);
    const selector = normalizeSelector(options);
    const limit = checkNonNegativeInteger(options.limit, 'limit', DEFAULT_BROWSE_LIMIT);
    const session = this.#ready(queue, false);
    if (limit === 0) return [];
    const state = this.#state(queue);
    const messages = await state.lock.exclusive(() => this.#scan(session, queue, selector, limit));
    return messages.map(summarize);
  }

  /** basic.get of the head message, skipping (and dropping) expired ones. */
  async #takeOne(session: Session, queue: string): Promise<AmqpDelivery | null> {
    this.#checkHeld();
    const picked = this.#getSlot(session);
    const slot = picked instanceof ChannelSlot ? picked : await picked;
    for (;;) {
      const raw = await this.#basicGet(session, slot, queue);
      if (!raw) return null;
      const stored = fromAmqp(raw);
      if (isExpired(stored, this.#now())) {
        slot.discard(raw);
        continue;
      }
      return this.#delivery(queue, stored, slot, raw);
    }
  }

  /**
   * Looks through the queue in order, holding each message unacked, until `selector` matches;
   * then returns every other message to its original position (nack with requeue keeps the
   * position in a classic queue). Runs under the queue's exclusive lock.
   */
  async #scanTake(session: Session, queue: string, selector: NormalizedSelector): Promise<AmqpDelivery | null> {
    this.#checkHeld();
    const picked = this.#getSlot(session);
    const slot = picked instanceof ChannelSlot ? picked : await picked;
    const held: GetMessage[] = [];
    try {
      for (let looked = 0; looked < this.#scanLimit; looked++) {
        const raw = await this.#basicGet(session, slot, queue);
        if (!raw) return null;
        const stored = fromAmqp(raw);
        if (isExpired(stored, this.#now())) {
          slot.discard(raw);
        } else if (matchesSelector(stored, selector)) {
          return this.#delivery(queue, stored, slot, raw);
        } else {
          held.push(raw);
        }
        if (raw.fields.messageCount === 0) return null;
      }
      return null;
    } finally {
      // Back in place before the lock is released: gets on other channels must find them there.
      for (const raw of held) slot.requeue(raw);
      if (held.length > 0) await slot.confirmed().catch(() => undefined);
    }
  }

  /** Non-destructive: up to `limit` matching messages in order; everything goes back. */
  async #scan(session: Session, queue: string, selector: NormalizedSelector, limit: number): Promise<Message[]> {
    const picked = this.#getSlot(session);
    const slot = picked instanceof ChannelSlot ? picked : await picked;
    const held: GetMessage[] = [];
    const found: Message[] = [];
    try {
      for (let looked = 0; looked < this.#scanLimit && found.length < limit; looked++) {
        const raw = await this.#basicGet(session, slot, queue);
        if (!raw) break;
        const stored = fromAmqp(raw);
        const nowMs = this.#now();
        if (isExpired(stored, nowMs)) {
          slot.discard(raw);
        } else {
          held.push(raw);
          if (matchesSelector(stored, selector)) found.push(toMessage(stored, nowMs));
        }
        if (raw.fields.messageCount === 0) break;
      }
      return found;
    } finally {
      // Back in place before the lock is released: gets on other channels must find them there.
      for (const raw of held) slot.requeue(raw);
      if (held.length > 0) await slot.confirmed().catch(() => undefined);
    }
  }

  async #basicGet(session: Session, slot: ChannelSlot, queue: string): Promise<GetMessage | false> {
    try {
      return await this.#timed(slot.rpc(() => slot.channel.get(queue, { noAck: false })), `get from ${queue}`, (late) => {
        if (late) slot.requeue(late);
      });
    } catch (err) {
      throw this.#mapError(err, session, queue);
    }
  }

  #checkHeld(): void {
    if (this.#held >= this.#maxHeld) {
      throw new AppError('ERR_BROKER_TOO_MANY_HELD', `the driver holds ${this.#held} unsettled deliveries, its maximum`, {
        details: { maxHeldDeliveries: this.#maxHeld },
      });
    }
  }

  #delivery(queue: string, stored: StoredMessage, slot: ChannelSlot, raw: AmqpMessage): AmqpDelivery {
    this.#held++;
    return new AmqpDelivery(toMessage(stored, this.#now()), { kind: 'queue', name: queue }, slot, raw, {
      settled: () => {
        this.#held--;
      },
      released: () => {
        const state = this.#queueStates.get(queue);
        if (state) this.#kickAll(state);
      },
      lost: (delivery) => this.#status.emit({ kind: 'deliveryLost', source: queue, messageId: delivery.message.messageId }),
    });
  }

  // === waiting gets ===

  #wait(state: QueueState, selector: NormalizedSelector | undefined, waitMs: number, signal: AbortSignal | undefined): Promise<Delivery | null> {
    return new Promise<Delivery | null>((resolve, reject) => {
      const list = selector ? state.selective : state.plain;
      const finish = (): void => {
        waiter.settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = list.indexOf(waiter);
        if (at >= 0) list.splice(at, 1);
        this.#updateTimer(state);
      };
      const waiter: Waiter = {
        selector,
        settled: false,
        resolve: (delivery) => {
          if (waiter.settled) {
            void delivery?.release();
            return;
          }
          finish();
          resolve(delivery);
        },
        reject: (error) => {
          if (waiter.settled) return;
          finish();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(signal?.reason);
      const timer = setTimeout(() => waiter.resolve(null), waitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      list.push(waiter);
      this.#updateTimer(state);
      if (selector) this.#kickSelective(state, new Set([waiter]));
      else void this.#pump(state);
    });
  }

  /** Serves waiting plain getters in arrival order, one basic.get each, until the queue is empty. */
  async #pump(state: QueueState): Promise<void> {
    if (state.pumping) {
      state.pumpAgain = true;
      return;
    }
    state.pumping = true;
    try {
      do {
        state.pumpAgain = false;
        while (state.plain.length > 0) {
          const session = this.#session;
          if (!session || !this.#specs.has(state.name)) return;
          let delivery: AmqpDelivery | null;
          try {
            delivery = await state.lock.shared(() => this.#takeOne(session, state.name));
          } catch (err) {
            // A lost connection fails every waiter through #lose; anything else fails the head getter.
            if (session.alive) state.plain[0]?.reject(err);
            continue;
          }
          if (!delivery) break;
          const waiter = state.plain.find((w) => !w.settled);
          if (waiter) waiter.resolve(delivery);
          else await delivery.release();
        }
      } while (state.pumpAgain);
    } finally {
      state.pumping = false;
    }
  }

  #kickForPut(state: QueueState, stored: StoredMessage): void {
    if (state.plain.length > 0) void this.#pump(state);
    const matching = state.selective.filter((w) => w.selector && matchesSelector(stored, w.selector));
    if (matching.length > 0) this.#kickSelective(state, new Set(matching));
  }

  #kickAll(state: QueueState): void {
    if (state.plain.length > 0) void this.#pump(state);
    if (state.selective.length > 0) this.#kickSelective(state, 'all');
  }

  /** Scans for waiting selective getters, oldest first. */
  #kickSelective(state: QueueState, waiters: Set<Waiter> | 'all'): void {
    if (state.scanFor === 'all' || waiters === 'all') state.scanFor = 'all';
    else state.scanFor = new Set([...(state.scanFor ?? []), ...waiters]);
    if (state.scanning) return;
    state.scanning = true;
    void (async () => {
      try {
        while (state.scanFor !== undefined) {
          const targets = state.scanFor;
          state.scanFor = undefined;
          for (const waiter of [...state.selective]) {
            if (waiter.settled || (targets !== 'all' && !targets.has(waiter))) continue;
            const session = this.#session;
            if (!session) return;
            try {
              const delivery = await state.lock.exclusive(() => this.#scanTake(session, state.name, waiter.selector as NormalizedSelector));
              if (delivery) waiter.resolve(delivery);
            } catch (err) {
              if (session.alive) waiter.reject(err);
            }
          }
        }
      } finally {
        state.scanning = false;
      }
    })();
  }

  /** Polls while getters wait, for messages that arrive other than through this driver. */
  #updateTimer(state: QueueState): void {
    const waiting = state.plain.length + state.selective.length > 0;
    if (waiting && !state.timer) {
      state.timer = setInterval(() => {
        state.ticks++;
        if (state.plain.length > 0) void this.#pump(state);
        if (state.selective.length > 0 && state.ticks % this.#selectivePollTicks === 0) this.#kickSelective(state, 'all');
      }, this.#pollMs);
      state.timer.unref();
    } else if (!waiting && state.timer) {
      clearInterval(state.timer);
      state.timer = undefined;
    }
  }

  #state(queue: string): QueueState {
    let state = this.#queueStates.get(queue);
    if (!state) {
      state = { name: queue, lock: new QueueLock(), plain: [], selective: [], pumping: false, pumpAgain: false, scanning: false, scanFor: undefined, timer: undefined, ticks: 0 };
      this.#queueStates.set(queue, state);
    }
    return state;
  }

  // === topics ===

  async subscribe(topic: string, options: SubscribeOptions = {}): Promise<Subscription> {
    this.#checkOpen();
    const bindingKey = topicFilterToBindingKey(topic);
    const prefetch = checkNonNegativeInteger(options.prefetch, 'prefetch', DEFAULT_PREFETCH);
    if (prefetch < 1) throw new AppError('ERR_INVALID_ARGUMENT', 'prefetch must be at least 1', { details: { field: 'prefetch' } });
    const session = this.#ready(undefined, false);
    let channel: Channel | undefined;
    let subscription: AmqpSubscription | undefined;
    try {
      channel = await this.#timed(session.conn.createChannel(), 'open a channel');
      const slot = new ChannelSlot(channel, prefetch, () => subscription?.fail(brokenError(undefined, 'the subscription channel closed')));
      await this.#timed(channel.prefetch(prefetch), 'set the prefetch');
      const { queue } = await this.#timed(
        channel.assertQueue('', {
          exclusive: true,
          autoDelete: true,
          durable: false,
          arguments: { 'x-max-length': this.#subscriptionMaxDepth, 'x-overflow': 'reject-publish' },
        }),
        'declare a subscription queue',
      );
      await this.#timed(channel.bindQueue(queue, this.#exchange, bindingKey), 'bind a subscription queue');
      const live = new AmqpSubscription(
        topic,
        slot,
        this.#now,
        { lost: (delivery) => this.#status.emit({ kind: 'deliveryLost', source: topic, messageId: delivery.message.messageId }) },
        (s) => session.subscriptions.delete(s),
      );
      subscription = live;
      session.subscriptions.add(live);
      await this.#timed(
        channel.consume(queue, (raw) => {
          if (raw) live.accept(raw);
          else live.fail(brokenError(undefined, 'the broker cancelled the subscription'));
        }, { noAck: false, exclusive: true }),
        'start a subscription',
      );
      if (!session.alive) live.fail(brokenError(undefined, 'the broker connection was lost'));
      return live;
    } catch (err) {
      await channel?.close().catch(() => undefined);
      throw this.#mapError(err, session, undefined);
    }
  }

  // === helpers ===

  #spec(queue: string): ResolvedQueueSpec {
    this.#checkOpen();
    const spec = this.#specs.get(queue);
    if (!spec) throw unknownQueue(queue);
    return spec;
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }

  /** The live session, or the reason there is none; checks the queue's declaration too. */
  #ready(queue: string | undefined, publishing: boolean): Session {
    const session = this.#session;
    if (!session || !session.alive) throw new AppError('ERR_BROKER_UNAVAILABLE', 'the broker is not connected');
    if (publishing && session.blocked) {
      throw new AppError('ERR_BROKER_UNAVAILABLE', 'the broker blocks publishers (memory or disk alarm)', { details: { reason: 'blocked' } });
    }
    if (queue !== undefined) {
      const mismatch = session.mismatched.get(queue);
      if (mismatch) throw mismatch;
    }
    return session;
  }

  /** Bounds one broker round trip; a late result is handed to `late` (to release a message). */
  #timed<T>(promise: Promise<T>, what: string, late?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let expired = false;
      const deadline = this.#deadlines.add(this.#opTimeoutMs, () => {
        expired = true;
        reject(timeoutError(what));
      });
      promise.then(
        (value) => {
          this.#deadlines.remove(deadline);
          if (expired) late?.(value);
          else resolve(value);
        },
        (err: unknown) => {
          this.#deadlines.remove(deadline);
          if (!expired) reject(err);
        },
      );
    });
  }

  #mapError(err: unknown, session: Session, queue: string | undefined): AppError {
    if (err instanceof AppError) return err;
    if ((err as { code?: unknown }).code === 404 && queue !== undefined && session.alive) {
      session.declared.delete(queue);
      return unknownQueue(queue, true);
    }
    if (!session.alive || this.#session !== session) return brokenError(err, 'the broker connection was lost');
    // A channel closed under the operation (amqplib reports it as a plain Error).
    return brokenError(err, 'the broker channel closed during the operation');
  }
}

function isExpired(stored: StoredMessage, nowMs: number): boolean {
  const remaining = remainingExpiry(stored, nowMs);
  return remaining !== undefined && remaining <= 0;
}

function describe(err: unknown): { message: string; code?: unknown } {
  return err instanceof Error ? { message: err.message, code: (err as { code?: unknown }).code } : { message: String(err) };
}

function unknownQueue(name: string, missingOnBroker = false): AppError {
  return new AppError('ERR_BROKER_UNKNOWN_QUEUE', missingOnBroker ? `queue ${name} is missing on the broker` : `queue ${name} is not configured`, {
    details: { queue: name, ...(missingOnBroker ? { reason: 'missingOnBroker' } : {}) },
  });
}

function brokenError(cause: unknown, message: string): AppError {
  return new AppError('ERR_BROKER_CONNECTION_BROKEN', message, cause === undefined ? {} : { cause });
}

function timeoutError(what: string): AppError {
  return new AppError('ERR_BROKER_TIMEOUT', `the broker did not answer in time (${what})`);
}

function closedError(): AppError {
  return new AppError('ERR_BROKER_CLOSED', 'the broker driver is closed');
}
