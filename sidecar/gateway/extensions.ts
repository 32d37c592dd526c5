// The gateway's qshield extensions for workload sidecars and apps (docs/gateway-extensions.md):
// leases (get now, ack by lease id later, or the message returns), subscriptions as a stream of
// publications, and quarantine (a sidecar moves a message that failed to open to
// SYSTEM.PROTECTION.ERROR.QUEUE). The request handler routes to them and lends its checks.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { AppError, hasCode } from '../../lib/errors/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import type { AuthorityRequest, CompiledChannel, CompiledPolicy, ProtectionPolicy } from '../../lib/policy/index.ts';
import type { BrokerDriver, Delivery, Message, Subscription } from '../drivers/driver.ts';
import { decodeErrorQueueMessage, ERROR_MESSAGE_CONTENT_TYPE, ERROR_QUEUE, MAX_ERROR_HEADER_BYTES, ERROR_MESSAGE_PREFIX_BYTES } from '../error-queue/error-queue-message.ts';
import type { TargetInfo } from '../events/index.ts';
import type { IdempotentPuts } from '../pipeline/idempotent-puts.ts';
import { messageHeaders, MD_RESPONSE } from '../rest/md-headers.ts';
import { formatId } from '../rest/message-ids.ts';
import { parseMessageQuery, type MessageQuery } from '../rest/query.ts';
import { isLeaseId, type Route } from '../rest/route.ts';
import { BodyTooLarge, readBody } from '../server/read-body.ts';
import type { LeaseTable } from './leases.ts';
import type { PeerConnection } from './peer-connection.ts';

/** What the request handler knows of one request (its Scope). */
export interface ExtensionScope {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly conn: PeerConnection;
  readonly policy: CompiledPolicy;
  readonly channel: CompiledChannel;
  readonly principal: string;
}

/** The request handler's checks, lent to the extensions so that every route applies the same rules. */
export interface GatewayChecks {
  qmgr(scope: ExtensionScope, qmgr: string): void;
  csrf(scope: ExtensionScope): void;
  /** Throws ERR_GATEWAY_NOT_AUTHORIZED (with an event) unless allowed. */
  authorize(scope: ExtensionScope, request: AuthorityRequest): void;
  queue(scope: ExtensionScope, queue: string): { maxMessageLength: number };
  strength(scope: ExtensionScope, protection: ProtectionPolicy | undefined, operation: string, target: TargetInfo): void;
  rate(scope: ExtensionScope, operation: string, target: TargetInfo): void;
  longPoll(scope: ExtensionScope, waitMs: number, operation: string, target: TargetInfo): () => void;
  /** Aborts when the client goes away (reason not an AppError) or the gateway drains (ERR_GATEWAY_DRAINING). */
  waiter(scope: ExtensionScope): { signal: AbortSignal; dispose(): void };
}

export interface GatewayExtensionsOptions {
  readonly log: Logger;
  readonly driver: BrokerDriver;
  readonly leases: LeaseTable;
  readonly idempotency: IdempotentPuts;
  readonly checks: GatewayChecks;
  readonly limits: { readonly maxWaitMs: number; readonly maxMessageListLength: number; readonly defaultVisibilityMs: number; readonly maxVisibilityMs: number };
}

/** Response headers of a leased message. */
export const LEASE_HEADERS = { id: 'qshield-lease-id', expires: 'qshield-lease-expires' } as const;

/**
 * Acks carried on a lease request (docs/qshield-extensions.md): the request names leases it
 * settles, the answer — whatever its status — counts those acked and names those that were not.
 * No `acked` header in the answer means none was processed.
 */
export const PIGGYBACK_ACK_HEADERS = { request: 'qshield-ack-leases', acked: 'qshield-leases-acked', failed: 'qshield-lease-acks-failed' } as const;
/** Most lease ids one request may ack. */
export const MAX_PIGGYBACK_ACKS = 64;

/**
 * The lease ids a request acks (the header's comma-separated list, no duplicates).
 * @throws AppError ERR_GATEWAY_BAD_HEADER for a malformed or too long list.
 */
export function parsePiggybackAcks(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const ids = (Array.isArray(value) ? value.join(',') : value).split(',').map((id) => id.trim());
  const bad = (message: string) => new AppError('ERR_GATEWAY_BAD_HEADER', `header ${PIGGYBACK_ACK_HEADERS.request} ${message}`, { details: { header: PIGGYBACK_ACK_HEADERS.request } });
  if (ids.length > MAX_PIGGYBACK_ACKS) throw bad(`names more than ${MAX_PIGGYBACK_ACKS} leases`);
  if (!ids.every(isLeaseId)) throw bad('must be a comma-separated list of lease ids (1–64 characters from A-Z a-z 0-9 _ -)');
  return [...new Set(ids)];
}
const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;
export const NDJSON = 'application/x-ndjson';

/** One publication on a subscription stream, one JSON object per line. */
export interface PublicationLine {
  readonly topic: string;
  readonly messageId: string;
  readonly correlationId?: string;
  readonly persistence: string;
  readonly expiry: number | 'unlimited';
  readonly priority: number;
  readonly replyTo?: string;
  readonly contentType?: string;
  readonly putDateTime?: string;
  /** The body, base64. */
  readonly body: string;
}

export function publicationLine(topic: string, m: Message): PublicationLine {
  return {
    topic,
    messageId: formatId(m.messageId, 'v3'),
    ...(m.correlationId === undefined ? {} : { correlationId: formatId(m.correlationId, 'v3') }),
    persistence: m.persistence,
    expiry: m.expiryMs ?? 'unlimited',
    priority: m.priority,
    ...(m.replyTo === undefined ? {} : { replyTo: m.replyTo }),
    ...(m.contentType === undefined ? {} : { contentType: m.contentType }),
    ...(m.putTime === undefined ? {} : { putDateTime: m.putTime.toISOString() }),
    body: m.body.toString('base64'),
  };
}

function isClientGone(signal: AbortSignal): boolean {
  return signal.aborted && !(signal.reason instanceof AppError);
}

export class GatewayExtensions {
  readonly #o: GatewayExtensionsOptions;
  readonly #log: Logger;

  constructor(options: GatewayExtensionsOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'extensions' });
  }

  dispatch(scope: ExtensionScope, route: Extract<Route, { kind: 'lease' | 'lease-settle' | 'subscription' | 'quarantine' }>): Promise<void> {
    switch (route.kind) {
      case 'lease': return this.#lease(scope, route.qmgr, route.queue, route.query);
      case 'lease-settle': return this.#settle(scope, route.qmgr, route.leaseId, route.action, route.query);
      case 'subscription': return this.#subscribe(scope, route.qmgr, route.topic, route.query);
      case 'quarantine': return this.#quarantine(scope, route.qmgr, route.query);
    }
  }

  #query(operation: 'lease' | 'settle' | 'subscription' | 'quarantine', query: string): MessageQuery {
    const l = this.#o.limits;
    return parseMessageQuery(operation, query, 'v3', { maxWaitMs: l.maxWaitMs, maxListLimit: l.maxMessageListLength, maxVisibilityMs: l.maxVisibilityMs });
  }

  // === leases ===

  async #lease(scope: ExtensionScope, qmgr: string, queue: string, query: string): Promise<void> {
    const c = this.#o.checks;
    c.qmgr(scope, qmgr);
    c.csrf(scope);
    // Earlier leases' acks ride on this request (one exchange per message instead of two); they
    // are settled first, whatever becomes of the new lease, and make room under the peer's limit.
    await this.#piggybackAcks(scope);
    const target = { queue };
    c.authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: queue, permission: 'get' });
    c.queue(scope, queue);
    c.strength(scope, scope.policy.protectionFor({ queue }), 'get', target);
    const q = this.#query('lease', query);
    const owner = scope.conn.spiffeId.toString();
    this.#o.leases.checkRoom(owner);
    c.rate(scope, 'get', target);
    const endLongPoll = c.longPoll(scope, q.waitMs, 'get', target);
    const waiter = c.waiter(scope);
    let delivery: Delivery | null;
    try {
      delivery = await this.#o.driver.get(queue, { waitMs: q.waitMs, messageId: q.messageId, correlationId: q.correlationId, signal: waiter.signal });
    } catch (err) {
      if (isClientGone(waiter.signal)) return; // nobody to answer; nothing was taken
      if (waiter.signal.aborted && hasCode(waiter.signal.reason, 'ERR_GATEWAY_DRAINING')) throw waiter.signal.reason;
      throw err;
    } finally {
      waiter.dispose();
      endLongPoll();
    }
    const { res } = scope;
    if (delivery === null) {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return;
    }
    if (res.destroyed || scope.req.socket.destroyed) {
      await delivery.release().catch(() => undefined);
      return;
    }
    const lease = this.#o.leases.hold(owner, queue, delivery, q.visibilityMs ?? this.#o.limits.defaultVisibilityMs);
    let written = false;
    res.once('finish', () => {
      written = true;
    });
    res.once('close', () => {
      // The holder never heard of the lease: give the message back at once.
      if (!written) this.#o.leases.release(owner, lease.id).catch(() => undefined);
    });
    const m = delivery.message;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      ...messageHeaders(m, 'v3'),
      [LEASE_HEADERS.id]: lease.id,
      [LEASE_HEADERS.expires]: new Date(lease.expiresAt).toISOString(),
      'content-length': String(m.body.length),
    });
    res.end(m.body);
  }

  async #piggybackAcks(scope: ExtensionScope): Promise<void> {
    const ids = parsePiggybackAcks(scope.req.headers[PIGGYBACK_ACK_HEADERS.request]);
    if (ids.length === 0) return;
    const owner = scope.conn.spiffeId.toString();
    const results = await Promise.allSettled(ids.map((id) => this.#o.leases.ack(owner, id)));
    const failed = ids.filter((_, i) => results[i]?.status === 'rejected');
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') this.#log.info({ [F.code]: r.reason instanceof AppError ? r.reason.code : 'ERR_INTERNAL', [F.peerId]: owner, leaseId: ids[i]?.slice(0, 64) }, 'a piggybacked lease ack failed');
    }
    scope.res.setHeader(PIGGYBACK_ACK_HEADERS.acked, String(ids.length - failed.length));
    if (failed.length > 0) scope.res.setHeader(PIGGYBACK_ACK_HEADERS.failed, failed.join(','));
  }

  async #settle(scope: ExtensionScope, qmgr: string, leaseId: string, action: 'ack' | 'release', query: string): Promise<void> {
    const c = this.#o.checks;
    c.qmgr(scope, qmgr);
    c.csrf(scope);
    this.#query('settle', query);
    const owner = scope.conn.spiffeId.toString();
    const lease = action === 'ack' ? await this.#o.leases.ack(owner, leaseId) : await this.#o.leases.release(owner, leaseId);
    scope.res.writeHead(204, { ...SECURITY_HEADERS, [MD_RESPONSE.messageId]: formatId(lease.delivery.message.messageId, 'v3') });
    scope.res.end();
  }

  // === subscriptions ===

  async #subscribe(scope: ExtensionScope, qmgr: string, topic: string, query: string): Promise<void> {
    const c = this.#o.checks;
    c.qmgr(scope, qmgr);
    const target = { topic };
    c.authorize(scope, { principals: [scope.principal], objectType: 'topic', topicString: topic, permission: 'sub' });
    c.strength(scope, scope.policy.protectionFor({ topic }), 'sub', target);
    this.#query('subscription', query);
    c.rate(scope, 'sub', target);
    // A subscription holds a connection like a long-poll, and counts against the same limit.
    const endLongPoll = c.longPoll(scope, 1, 'sub', target);
    const waiter = c.waiter(scope);
    let subscription: Subscription | undefined;
    const { res } = scope;
    try {
      subscription = await this.#o.driver.subscribe(topic);
      const sub = subscription;
      waiter.signal.addEventListener('abort', () => void sub.close().catch(() => undefined), { once: true });
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': `${NDJSON}; charset=utf-8` });
      // Headers out at once: the subscriber knows the subscription exists before anything is published.
      res.flushHeaders();
      for await (const delivery of sub) {
        const source = delivery.source.kind === 'topic' ? delivery.source.topic : topic;
        if (!res.write(`${JSON.stringify(publicationLine(source, delivery.message))}\n`)) {
          await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
        if (res.destroyed) {
          await delivery.release().catch(() => undefined);
          break;
        }
        await delivery.ack().catch((err: unknown) => this.#log.debug({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL' }, 'ack of a publication failed'));
      }
      if (!res.destroyed) res.end();
    } catch (err) {
      if (isClientGone(waiter.signal)) return;
      if (res.headersSent) {
        // The stream is cut: the subscriber sees the end and subscribes again.
        this.#log.info({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', [F.topic]: topic }, 'subscription ended');
        res.destroy();
        return;
      }
      throw err;
    } finally {
      waiter.dispose();
      endLongPoll();
      await subscription?.close().catch(() => undefined);
    }
  }

  // === quarantine ===

  async #quarantine(scope: ExtensionScope, qmgr: string, query: string): Promise<void> {
    const c = this.#o.checks;
    c.qmgr(scope, qmgr);
    c.csrf(scope);
    this.#query('quarantine', query);
    const target = { queue: ERROR_QUEUE };
    c.rate(scope, 'put', target);
    // The error queue's own limit, not the channel's: a message of the largest size the channel
    // admits must still fit with its error header.
    const limit = errorQueueSpec(scope.policy).maxMessageLength;
    let body: Buffer;
    try {
      body = await readBody(scope.req, limit);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      throw new AppError('ERR_GATEWAY_MESSAGE_TOO_BIG', `the error message is longer than the error queue maximum of ${limit} bytes`, { details: { maxMessageLength: limit } });
    }
    const { header } = decodeErrorQueueMessage(body);
    if (header.destination.qmgr !== scope.policy.queueManagerName) {
      throw new AppError('ERR_ERROR_QUEUE_MESSAGE_INVALID', `the error header names queue manager ${header.destination.qmgr}; this is ${scope.policy.queueManagerName}`);
    }
    // Whoever could take or see a message may report it; anyone else needs put on the error queue.
    const d = header.destination;
    const could: AuthorityRequest[] = 'queue' in d
      ? [{ principals: [scope.principal], objectType: 'queue', objectName: d.queue, permission: 'get' }, { principals: [scope.principal], objectType: 'queue', objectName: d.queue, permission: 'browse' }]
      : [{ principals: [scope.principal], objectType: 'topic', topicString: d.topic, permission: 'sub' }];
    if (!could.some((r) => scope.policy.authorize(r).allowed)) {
      c.authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: ERROR_QUEUE, permission: 'put' });
    }
    const raw = scope.req.headers['ibm-mq-md-messageid'];
    const chosen = typeof raw === 'string' && /^ID:[0-9a-fA-F]{48}$/.test(raw) ? raw.slice(3).toLowerCase() : randomBytes(24).toString('hex');
    const original = header.original;
    const correlationId = /^(ID:)?[0-9a-fA-F]{48}$/.test(original.messageId) ? original.messageId.replace(/^ID:/, '').toLowerCase() : undefined;
    const { result } = await this.#o.idempotency.put(`queue\u0000${ERROR_QUEUE}`, chosen, body, () => this.#o.driver.put(ERROR_QUEUE, {
      body,
      messageId: chosen,
      ...(correlationId === undefined ? {} : { correlationId }),
      persistence: original.persistence,
      priority: Math.min(9, Math.max(0, Math.trunc(original.priority))),
      contentType: ERROR_MESSAGE_CONTENT_TYPE,
    }));
    this.#log.info({
      [F.queue]: 'queue' in d ? d.queue : undefined, [F.topic]: 'topic' in d ? d.topic : undefined, [F.msgId]: original.messageId,
      [F.peerId]: scope.conn.spiffeId.toString(), reason: header.reason,
    }, 'message quarantined on the error queue');
    scope.res.writeHead(201, { ...SECURITY_HEADERS, [MD_RESPONSE.messageId]: formatId(result.messageId, 'v3'), 'content-length': '0' });
    scope.res.end();
  }
}

/**
 * The error queue as the gateway declares it: the bundle's own declaration if it has one,
 * otherwise room for the largest message of any queue plus the error header.
 */
export function errorQueueSpec(policy: CompiledPolicy): { name: string; maxDepth: number; maxMessageLength: number } {
  const declared = policy.queue(ERROR_QUEUE);
  if (declared !== undefined) return { name: ERROR_QUEUE, maxDepth: declared.maxDepth, maxMessageLength: declared.maxMessageLength };
  const largest = Math.max(4 * 1024 * 1024, ...policy.bundle.queues.map((q) => q.maxMessageLength));
  return { name: ERROR_QUEUE, maxDepth: 50_000, maxMessageLength: Math.min(104_857_600 + MAX_ERROR_HEADER_BYTES + ERROR_MESSAGE_PREFIX_BYTES, largest + MAX_ERROR_HEADER_BYTES + ERROR_MESSAGE_PREFIX_BYTES) };
}
