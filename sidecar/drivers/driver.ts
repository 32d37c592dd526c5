// The broker driver interface: what the gateway needs from a broker (put, get with wait,
// browse, publish, subscribe, ack/release) in IBM MQ terms, whatever broker sits below.
// Implementations: memory/ (demo, unit tests) and amqp/ (RabbitMQ). Semantics in docs/drivers.md.
import type { AppError } from '../../lib/errors/index.ts';

/** MQ persistence: persistent messages survive a broker restart. The MQ REST default is nonPersistent. */
export type Persistence = 'persistent' | 'nonPersistent';

/**
 * A message as the caller hands it to put or publish. Ids are 24 bytes written as 48 hex
 * digits (MQ MsgId / CorrelId); upper-case input is accepted and stored lower-case.
 */
export interface OutgoingMessage {
  /** The payload, binary-safe (envelopes are binary). */
  readonly body: Buffer;
  /**
   * The message id. The workload sidecar chooses it before signing (the envelope binds it);
   * when absent, or all zeros (MQMI_NONE), the driver generates a unique one.
   */
  readonly messageId?: string | undefined;
  /** Absent or all zeros (MQCI_NONE) means none. */
  readonly correlationId?: string | undefined;
  /** Default `nonPersistent`, as on the MQ REST API. */
  readonly persistence?: Persistence | undefined;
  /** Time to live in milliseconds, a positive integer; absent means unlimited. */
  readonly expiryMs?: number | undefined;
  /** 0 (lowest) to 9; default 0. */
  readonly priority?: number | undefined;
  /** Reply-to queue, `Q` or `Q@QMGR`. */
  readonly replyTo?: string | undefined;
  /** Media type of the body, e.g. `application/pkcs7-mime`. */
  readonly contentType?: string | undefined;
  /** User properties: names `[A-Za-z_][A-Za-z0-9_.]*` (≤ 128), values ≤ 8 KiB, at most 64 and 32 KiB together. */
  readonly properties?: Readonly<Record<string, string>> | undefined;
}

/** A message as stored and handed back by get and browse. */
export interface Message {
  readonly messageId: string;
  readonly correlationId: string | undefined;
  readonly body: Buffer;
  readonly persistence: Persistence;
  /** Remaining time to live in milliseconds when it was read (MQ semantics); undefined = unlimited. */
  readonly expiryMs: number | undefined;
  readonly priority: number;
  readonly replyTo: string | undefined;
  /** When the driver stored it; undefined only for messages that entered the broker another way. */
  readonly putTime: Date | undefined;
  readonly contentType: string | undefined;
  readonly properties: Readonly<Record<string, string>>;
}

/** One line of a browse list: the descriptor without the payload, plus the payload size. */
export type MessageSummary = Omit<Message, 'body'> & { readonly size: number };

/** Match options (MQMO_MATCH_MSG_ID / MATCH_CORREL_ID): both given means both must match. */
export interface Selector {
  readonly messageId?: string | undefined;
  readonly correlationId?: string | undefined;
}

export interface GetOptions extends Selector {
  /** Long-poll: how long to wait for a message when none is there; 0 (default) = do not wait. */
  readonly waitMs?: number | undefined;
  /** Abort the wait (the HTTP client went away): the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
}

export interface BrowseListOptions extends Selector {
  /** At most this many summaries, in queue order; default 100. */
  readonly limit?: number | undefined;
}

export interface SubscribeOptions {
  /** Deliveries handed out but not yet settled, at most; default 32. */
  readonly prefetch?: number | undefined;
}

export interface PutResult {
  readonly messageId: string;
  readonly putTime: Date;
}

/** held: waiting for ack/release; lost: the broker took it back (channel or connection lost). */
export type DeliveryState = 'held' | 'acked' | 'released' | 'lost';

/**
 * A message taken from a queue (or a subscription) and held by the driver until settled. The
 * gateway acks only after the HTTP response was fully written, and releases it otherwise.
 */
export interface Delivery {
  readonly message: Message;
  /** The queue name, or for subscription deliveries the topic string it was published to. */
  readonly source: { readonly kind: 'queue'; readonly name: string } | { readonly kind: 'topic'; readonly topic: string };
  readonly state: DeliveryState;
  /**
   * Removes the message for good. Resolves once the broker has processed the ack; a second ack
   * resolves again.
   * @throws ERR_BROKER_DELIVERY_LOST when the channel holding it was lost: the message is back on
   *   the queue and will be delivered again.
   * @throws ERR_BROKER_DELIVERY_SETTLED when it was released before.
   */
  ack(): Promise<void>;
  /**
   * Returns the message to its queue, at its original position. Resolves quietly when the
   * delivery was lost (the broker has put it back already) or released before.
   * @throws ERR_BROKER_DELIVERY_SETTLED when it was acked before.
   */
  release(): Promise<void>;
}

/** A live subscription: iterate deliveries; the iteration ends on close() and throws on connection loss. */
export interface Subscription extends AsyncIterable<Delivery> {
  readonly topic: string;
  /** Ends the subscription; unsettled deliveries are dropped with it (non-durable, as in MQ). */
  close(): Promise<void>;
}

/** Attributes of a queue that the driver declares (from the gateway's policy bundle). */
export interface QueueSpec {
  /** MQ object name: 1–48 of `A-Z a-z 0-9 . _ / %`. */
  readonly name: string;
  /** Maximum number of ready messages; default 5000 (MQ's MAXDEPTH default). */
  readonly maxDepth?: number | undefined;
  /** Maximum body length in bytes; default 4 MiB (MQ's MAXMSGL default). */
  readonly maxMessageLength?: number | undefined;
}

export const DEFAULT_MAX_DEPTH = 5000;
export const DEFAULT_MAX_MESSAGE_LENGTH = 4 * 1024 * 1024;

export type DriverState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface DriverHealth {
  readonly state: DriverState;
  /** True when operations can reach the broker (the gateway's /readyz). */
  readonly ready: boolean;
  /** When the state last changed. */
  readonly since: Date;
  /** Why the driver is not connected, if it is not. */
  readonly lastError: { readonly code: string; readonly message: string } | undefined;
}

/** Events for logs, metrics and readiness; listeners must not throw. */
export type DriverEvent =
  | { readonly kind: 'state'; readonly state: DriverState; readonly error?: AppError | undefined }
  | { readonly kind: 'reconnectScheduled'; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'deliveryLost'; readonly source: string; readonly messageId: string }
  | { readonly kind: 'queueError'; readonly queue: string; readonly error: AppError };

export type DriverEventListener = (event: DriverEvent) => void;

/**
 * A broker behind MQ semantics. Every operation fails promptly with ERR_BROKER_UNAVAILABLE while
 * the broker is unreachable; none waits for a reconnect.
 */
export interface BrokerDriver {
  readonly kind: string;

  /**
   * Starts connecting (and keeps reconnecting). Resolves once the first connection is up, or at
   * once when `waitForConnection` is false.
   * @throws ERR_BROKER_UNAVAILABLE when the first connection fails and `waitForConnection` is true.
   */
  start(options?: { waitForConnection?: boolean }): Promise<void>;

  /** Closes the connection; held deliveries go back to their queues, waiting gets reject ERR_BROKER_CLOSED. */
  close(): Promise<void>;

  /**
   * Sets the queues that exist (the policy bundle's list). New ones are declared on the broker;
   * queues left out become unknown to the driver (never deleted from the broker).
   * @throws ERR_BROKER_BAD_QUEUE_NAME for an invalid name (nothing is changed then).
   * @throws ERR_BROKER_QUEUE_MISMATCH when the broker holds a queue with other attributes
   *   (details.queues); the other queues are in place.
   */
  configureQueues(queues: readonly QueueSpec[]): Promise<void>;

  health(): DriverHealth;

  /** Adds an event listener; returns the function that removes it. */
  onEvent(listener: DriverEventListener): () => void;

  /**
   * Stores a message, resolving once the broker has confirmed it (for persistent messages:
   * safely on disk).
   * @throws ERR_BROKER_UNKNOWN_QUEUE, ERR_BROKER_MESSAGE_TOO_BIG, ERR_BROKER_QUEUE_FULL,
   *   ERR_BROKER_BAD_* (descriptor), ERR_BROKER_UNAVAILABLE, ERR_BROKER_CONNECTION_BROKEN, ERR_BROKER_TIMEOUT.
   */
  put(queue: string, message: OutgoingMessage): Promise<PutResult>;

  /**
   * Destructive get: takes the first (matching) message in priority then FIFO order and holds it
   * until the returned delivery is acked or released. Resolves null when none came within `waitMs`.
   * Waiting getters of a queue are served in the order they arrived.
   * @throws the abort reason when `signal` aborts (a message taken meanwhile is released).
   * @throws ERR_BROKER_UNKNOWN_QUEUE, ERR_BROKER_BAD_MESSAGE_ID, ERR_BROKER_BAD_CORREL_ID,
   *   ERR_BROKER_UNAVAILABLE, ERR_BROKER_CONNECTION_BROKEN (the connection broke while waiting).
   */
  get(queue: string, options?: GetOptions): Promise<Delivery | null>;

  /**
   * Non-destructive: the first (matching) message, left on the queue; null when none.
   * @throws as get.
   */
  browse(queue: string, selector?: Selector): Promise<Message | null>;

  /**
   * Summaries (no payloads) of the first `limit` (matching) messages, in queue order.
   * @throws as get.
   */
  browseList(queue: string, options?: BrowseListOptions): Promise<MessageSummary[]>;

  /**
   * Publishes to an MQ topic string (`/`-separated levels); resolves once the broker confirmed.
   * Succeeds with no subscriber (the publication goes nowhere), as in MQ.
   * @throws ERR_BROKER_BAD_TOPIC, ERR_BROKER_QUEUE_FULL (a subscriber's queue is full), and as put.
   */
  publish(topic: string, message: OutgoingMessage): Promise<PutResult>;

  /**
   * Subscribes to a topic string; a level that is exactly `#` (any number of levels) or `+`
   * (one level) is a wildcard, as MQ's topic-based wildcards. Non-durable: publications made
   * while no subscription exists are not kept for it.
   * @throws ERR_BROKER_BAD_TOPIC, ERR_BROKER_UNAVAILABLE.
   */
  subscribe(topic: string, options?: SubscribeOptions): Promise<Subscription>;
}
