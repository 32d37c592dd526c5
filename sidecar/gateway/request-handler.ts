// Serves the MQ REST API to admitted peers: routes each request, applies the CSRF rule, the
// per-peer rate limit, authorities (OAM), the protection policy's minimum channel strength and
// envelope rules, the size limits and the long-poll limits, then calls the broker driver. Gets
// are acked only once the response has been written, and released when it was not.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, hasCode } from '../../lib/errors/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import type { AuthorityRequest, CompiledChannel, CompiledPolicy, ProtectionPolicy } from '../../lib/policy/index.ts';
import type { BrokerDriver, Delivery, Message, OutgoingMessage } from '../drivers/driver.ts';
import { protectionViolationFor, type SecurityEvents, type TargetInfo } from '../events/index.ts';
import type { GatewayMetrics, Operation } from '../metrics/index.ts';
import type { IdempotentPuts } from '../pipeline/idempotent-puts.ts';
import type { LongPollLimiter } from '../pipeline/long-poll-limiter.ts';
import { checkProtection, ProtectionRefusal } from '../pipeline/protection-check.ts';
import type { RateLimiter } from '../pipeline/rate-limiter.ts';
import { sendError } from '../respond.ts';
import { messageHeaders, MD_RESPONSE, parsePutHeaders, type DistinctHeaders } from '../rest/md-headers.ts';
import { formatId } from '../rest/message-ids.ts';
import { parseMessageQuery, type MessageQuery } from '../rest/query.ts';
import { parseRoute, type ApiVersion, type Route } from '../rest/route.ts';
import { BodyTooLarge, readBody } from '../server/read-body.ts';
import type { ServerIdentity } from '../server/server-identity.ts';
import { GatewayExtensions } from './extensions.ts';
import type { LeaseTable } from './leases.ts';
import type { MessageCertificates } from './message-certificates.ts';
import type { PeerConnection } from './peer-connection.ts';

export interface RequestHandlerOptions {
  readonly log: Logger;
  readonly driver: BrokerDriver;
  readonly events: SecurityEvents;
  readonly metrics: GatewayMetrics;
  readonly rateLimiter: RateLimiter;
  readonly longPolls: LongPollLimiter;
  readonly idempotency: IdempotentPuts;
  readonly limits: { readonly maxBodyBytes: number; readonly maxWaitMs: number; readonly maxMessageListLength: number };
  /** Leases (qshield extension); their visibility timeouts. */
  readonly leases: LeaseTable;
  readonly leaseLimits: { readonly defaultVisibilityMs: number; readonly maxVisibilityMs: number };
  /** The recipients' message certificates in force. */
  messageCertificates(): MessageCertificates;
  /** The policy in force now. */
  policy(): CompiledPolicy;
  /** The gateway's identity in force now (its trust bundle verifies Integrity signers). */
  identity(): ServerIdentity;
  /** The connection's admission, re-decided when the policy changed; undefined for unknown sockets. */
  connection(req: IncomingMessage): PeerConnection | undefined;
  draining(): boolean;
}

const CSRF_HEADER = 'ibm-mq-rest-csrf-token';
const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;
/** How often a browse with `wait` looks again (the drivers have no waiting browse). */
const BROWSE_POLL_MS = 50;

/** Why a waiting get or browse was cut short. */
const CLIENT_GONE = Symbol('client-gone');

interface Scope {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly conn: PeerConnection;
  readonly policy: CompiledPolicy;
  readonly channel: CompiledChannel;
  readonly principal: string;
}

function operationOf(route: Route): Operation {
  if (route.kind === 'lease') return 'get';
  if (route.kind === 'subscription') return 'subscribe';
  return route.kind === 'queue' || route.kind === 'topic' ? route.operation : 'other';
}

export class RequestHandler {
  readonly #o: RequestHandlerOptions;
  readonly #log: Logger;
  /** Waiting gets and browses, aborted when the gateway drains. */
  readonly #waiting = new Set<AbortController>();

  readonly #ext: GatewayExtensions;

  constructor(options: RequestHandlerOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'api' });
    this.#ext = new GatewayExtensions({
      log: options.log, driver: options.driver, leases: options.leases, idempotency: options.idempotency,
      limits: { maxWaitMs: options.limits.maxWaitMs, maxMessageListLength: options.limits.maxMessageListLength, ...options.leaseLimits },
      checks: {
        qmgr: (scope, qmgr) => this.#qmgr(scope, qmgr),
        csrf: (scope) => this.#csrf(scope),
        authorize: (scope, request) => this.#authorize(scope, request),
        queue: (scope, queue) => this.#queue(scope, queue),
        strength: (scope, protection, operation, target) => this.#strength(scope, protection, operation, target),
        rate: (scope, operation, target) => this.#rate(scope, operation, target),
        longPoll: (scope, waitMs, operation, target) => this.#longPoll(scope, waitMs, operation, target),
        waiter: (scope) => this.#waiter(scope),
      },
    });
  }

  /** Ends every waiting get and browse with ERR_GATEWAY_DRAINING. */
  abortWaiting(): void {
    for (const controller of this.#waiting) controller.abort(new AppError('ERR_GATEWAY_DRAINING', 'the gateway is shutting down'));
  }

  /** The node:http request listener. Never throws. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    let operation: Operation = 'other';
    // 499 (as nginx counts it): the client went away before any answer was written.
    res.once('close', () => this.#o.metrics.observeRequest(operation, res.headersSent ? res.statusCode : 499, (performance.now() - start) / 1000));
    void (async () => {
      const conn = this.#o.connection(req);
      if (conn === undefined) {
        // Not admitted at the TLS layer (the socket is being destroyed): nothing to answer.
        req.socket.destroy();
        return;
      }
      if (!conn.admission.admitted) throw conn.admission.error;
      if (this.#o.draining()) throw new AppError('ERR_GATEWAY_DRAINING', 'the gateway is shutting down and takes no new work');
      const route = parseRoute(req.method ?? '', req.url ?? '');
      operation = operationOf(route);
      const scope: Scope = { req, res, conn, policy: conn.policy, channel: conn.admission.channel, principal: conn.admission.principal };
      await this.#dispatch(scope, route);
    })().catch((err: unknown) => this.#fail(req, res, err));
  };

  #fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const reply = sendError(res, err, this.#log.child({ [F.connId]: this.#o.connection(req)?.id }));
    // The request body, if any, was not read: the connection cannot carry another request.
    if (reply.closeConnection || !req.complete) res.once('finish', () => req.socket.end());
  }

  async #dispatch(scope: Scope, route: Route): Promise<void> {
    switch (route.kind) {
      case 'queue':
        switch (route.operation) {
          case 'put': return this.#put(scope, route.version, route.qmgr, route.queue, route.query);
          case 'get': return this.#get(scope, route.version, route.qmgr, route.queue, route.query);
          case 'browse': return this.#browse(scope, route.version, route.qmgr, route.queue, route.query);
          case 'messagelist': return this.#messageList(scope, route.version, route.qmgr, route.queue, route.query);
        }
        break;
      case 'topic':
        return this.#publish(scope, route.version, route.qmgr, route.topic, route.query);
      case 'protection':
        return this.#protection(scope, route.qmgr, route.target, route.query);
      case 'connection':
        return this.#connectionInfo(scope, route.query);
      case 'lease':
      case 'lease-settle':
      case 'subscription':
      case 'quarantine':
        return this.#ext.dispatch(scope, route);
    }
  }

  // === checks shared by the operations ===

  #qmgr(scope: Scope, qmgr: string): void {
    if (qmgr !== scope.policy.queueManagerName) {
      throw new AppError('ERR_GATEWAY_UNKNOWN_QMGR', `queue manager ${qmgr} is not served here (this is ${scope.policy.queueManagerName})`, { details: { qmgr } });
    }
  }

  #csrf(scope: Scope): void {
    if (scope.req.headers[CSRF_HEADER] === undefined) {
      throw new AppError('ERR_GATEWAY_CSRF_TOKEN_MISSING', `${scope.req.method ?? ''} requests must carry the ${CSRF_HEADER} header`);
    }
  }

  #authorize(scope: Scope, request: AuthorityRequest): void {
    const decision = scope.policy.authorize(request);
    if (decision.allowed) return;
    this.#o.events.authorizationDecision({ decision, peer: scope.conn.peer, principal: scope.principal, channel: scope.channel.name });
    const object = request.objectType === 'queue' ? `queue ${request.objectName}` : request.objectType === 'topic' ? `topic ${request.topicString}` : 'the queue manager';
    throw new AppError('ERR_GATEWAY_NOT_AUTHORIZED', `principal ${scope.principal} is not authorized to ${request.permission} on ${object}`, {
      details: { permission: request.permission, objectType: request.objectType },
    });
  }

  #queue(scope: Scope, queue: string): { maxMessageLength: number } {
    const q = scope.policy.queue(queue);
    if (q === undefined) throw new AppError('ERR_GATEWAY_UNKNOWN_OBJECT', `queue ${queue} does not exist on queue manager ${scope.policy.queueManagerName}`, { details: { queue } });
    return q;
  }

  #rate(scope: Scope, operation: string, target: TargetInfo): void {
    const limit = scope.channel.settings.rateLimit;
    const decision = this.#o.rateLimiter.take(`${scope.channel.name}\u0000${scope.conn.spiffeId.toString()}`, limit);
    if (decision.allowed) return;
    this.#o.events.limitExceeded({
      code: 'rate-limited', peer: scope.conn.peer, channel: scope.channel.name, principal: scope.principal, operation, ...target,
      limit: limit?.messagesPerSecond ?? 0, reason: `more than ${limit?.messagesPerSecond ?? 0} messages per second (burst ${limit?.burst ?? limit?.messagesPerSecond ?? 0}) on channel ${scope.channel.name}`,
    });
    throw new AppError('ERR_GATEWAY_RATE_LIMITED', `the peer exceeds the ${limit?.messagesPerSecond ?? 0} messages per second of channel ${scope.channel.name}`, {
      details: { retryAfterSeconds: decision.retryAfterMs / 1000 },
    });
  }

  /** The protection policy's minimum channel strength (MQe-style attribute rule). */
  #strength(scope: Scope, protection: ProtectionPolicy | undefined, operation: string, target: TargetInfo): void {
    if (protection === undefined || protection.acceptsConnection(scope.conn.strength)) return;
    const have = `${scope.conn.tls.protocol ?? 'unknown TLS'} with ${scope.conn.tls.group ?? 'an unknown group'}`;
    const reason = `attribute mismatch: policy ${protection.name} demands ${protection.minimumChannelStrength ?? ''}; the connection uses ${have}`;
    this.#o.events.protectionViolation({
      code: 'channel-too-weak', disposition: 'refused', peer: scope.conn.peer, channel: scope.channel.name, principal: scope.principal,
      operation, ...target, policy: protection.name, requiredQop: protection.qualityOfProtection, reason, errorCode: 'ERR_GATEWAY_CHANNEL_TOO_WEAK',
    });
    throw new AppError('ERR_GATEWAY_CHANNEL_TOO_WEAK', reason, { details: { policy: protection.name, minimum: protection.minimumChannelStrength } });
  }

  #query(scope: Scope, operation: 'get' | 'browse' | 'messagelist' | 'put' | 'publish' | 'protection' | 'connection', query: string, version: ApiVersion): MessageQuery {
    return parseMessageQuery(operation, query, version, { maxWaitMs: this.#o.limits.maxWaitMs, maxListLimit: this.#o.limits.maxMessageListLength });
  }

  /** Reads the body under the tightest of the queue's, the channel's and the gateway's limits. */
  async #body(scope: Scope, queueLimit: number | undefined, operation: string, target: TargetInfo): Promise<Buffer> {
    const channelLimit = Math.min(scope.channel.settings.maxMessageLength, this.#o.limits.maxBodyBytes);
    const limit = queueLimit === undefined ? channelLimit : Math.min(queueLimit, channelLimit);
    try {
      return await readBody(scope.req, limit);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      const byQueue = queueLimit !== undefined && queueLimit <= channelLimit;
      this.#o.events.limitExceeded({
        code: 'message-too-large', peer: scope.conn.peer, channel: scope.channel.name, principal: scope.principal, operation, ...target,
        limit, observed: err.observed, reasonCode: byQueue ? 2030 : 2218,
        reason: `message body exceeds the ${byQueue ? 'queue' : 'channel'} maximum of ${limit} bytes`,
      });
      throw new AppError(byQueue ? 'ERR_GATEWAY_MESSAGE_TOO_BIG' : 'ERR_GATEWAY_MESSAGE_TOO_BIG_FOR_CHANNEL', `the message is longer than the ${byQueue ? 'queue' : 'channel'} maximum of ${limit} bytes`, {
        details: { maxMessageLength: limit },
      });
    }
  }

  /** Checks a put's or publication's body against the protection policy; refusals are events. */
  #protect(scope: Scope, protection: ProtectionPolicy | undefined, body: Buffer, destination: string, messageId: string | undefined, operation: string, target: TargetInfo): string | undefined {
    if (protection === undefined) return messageId;
    try {
      const result = checkProtection({
        policy: protection, body, messageId, trustBundle: this.#o.identity().bundle,
        destination: { queueManager: scope.policy.queueManagerName, queue: destination },
      });
      return messageId ?? result.boundMessageId;
    } catch (err) {
      if (!(err instanceof ProtectionRefusal)) throw err;
      const mapped = err.notProtected ? { code: 'not-protected' as const, errorCode: err.error.code } : protectionViolationFor(err.error);
      this.#o.events.protectionViolation({
        ...mapped, disposition: 'refused', peer: scope.conn.peer, channel: scope.channel.name, principal: scope.principal, operation, ...target,
        ...(messageId === undefined ? {} : { messageId }), policy: protection.name, requiredQop: protection.qualityOfProtection,
        ...(err.found === undefined ? {} : { foundQop: err.found }), ...(err.signer === undefined ? {} : { signer: err.signer }), reason: err.error.message,
      });
      throw err.error;
    }
  }

  #longPoll(scope: Scope, waitMs: number, operation: string, target: TargetInfo): () => void {
    if (waitMs === 0) return () => undefined;
    const key = `${scope.channel.name}\u0000${scope.conn.spiffeId.toString()}`;
    const release = this.#o.longPolls.acquire(key);
    if (release === undefined) {
      const max = this.#o.longPolls.max;
      this.#o.events.limitExceeded({
        code: 'long-poll-limit', peer: scope.conn.peer, channel: scope.channel.name, principal: scope.principal, operation, ...target,
        limit: max, observed: max + 1, reason: `the peer already has ${max} waiting gets`,
      });
      throw new AppError('ERR_GATEWAY_LONG_POLL_LIMIT', `the peer already has ${max} gets waiting; wait for one to end`, { details: { retryAfterSeconds: 1, max } });
    }
    this.#o.metrics.longPollStarted();
    return () => {
      release();
      this.#o.metrics.longPollEnded();
    };
  }

  /** An AbortController that fires when the client goes away or the gateway drains. */
  #waiter(scope: Scope): { signal: AbortSignal; dispose(): void } {
    const controller = new AbortController();
    const onClose = () => {
      if (!scope.res.writableFinished) controller.abort(CLIENT_GONE);
    };
    scope.res.once('close', onClose);
    this.#waiting.add(controller);
    return {
      signal: controller.signal,
      dispose: () => {
        scope.res.off('close', onClose);
        this.#waiting.delete(controller);
      },
    };
  }

  #noMessage(res: ServerResponse): void {
    res.writeHead(204, SECURITY_HEADERS);
    res.end();
  }

  #writeMessage(res: ServerResponse, message: Message, version: ApiVersion): void {
    res.writeHead(200, { ...SECURITY_HEADERS, ...messageHeaders(message, version), 'content-length': String(message.body.length) });
    res.end(message.body);
  }

  // === operations ===

  async #put(scope: Scope, version: ApiVersion, qmgr: string, queue: string, query: string): Promise<void> {
    this.#qmgr(scope, qmgr);
    this.#csrf(scope);
    const target = { queue };
    this.#authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: queue, permission: 'put' });
    const settings = this.#queue(scope, queue);
    const protection = scope.policy.protectionFor({ queue });
    this.#strength(scope, protection, 'put', target);
    this.#query(scope, 'put', query, version);
    const md = parsePutHeaders(scope.req.headersDistinct as DistinctHeaders, version);
    this.#rate(scope, 'put', target);
    const body = await this.#body(scope, settings.maxMessageLength, 'put', target);
    const messageId = this.#protect(scope, protection, body, queue, md.messageId, 'put', target);
    const message: OutgoingMessage = { ...md, body, ...(messageId === undefined ? {} : { messageId }) };
    const { result } = await this.#o.idempotency.put(`queue\u0000${queue}`, messageId, body, () => this.#o.driver.put(queue, message));
    scope.res.writeHead(201, { ...SECURITY_HEADERS, [MD_RESPONSE.messageId]: formatId(result.messageId, version), 'content-length': '0' });
    scope.res.end();
  }

  async #publish(scope: Scope, version: ApiVersion, qmgr: string, topic: string, query: string): Promise<void> {
    this.#qmgr(scope, qmgr);
    this.#csrf(scope);
    const target = { topic };
    this.#authorize(scope, { principals: [scope.principal], objectType: 'topic', topicString: topic, permission: 'pub' });
    const protection = scope.policy.protectionFor({ topic });
    this.#strength(scope, protection, 'pub', target);
    this.#query(scope, 'publish', query, version);
    const md = parsePutHeaders(scope.req.headersDistinct as DistinctHeaders, version);
    this.#rate(scope, 'pub', target);
    const body = await this.#body(scope, undefined, 'pub', target);
    const messageId = this.#protect(scope, protection, body, topic, md.messageId, 'pub', target);
    const message: OutgoingMessage = { ...md, body, ...(messageId === undefined ? {} : { messageId }) };
    const { result } = await this.#o.idempotency.put(`topic\u0000${topic}`, messageId, body, () => this.#o.driver.publish(topic, message));
    scope.res.writeHead(201, { ...SECURITY_HEADERS, [MD_RESPONSE.messageId]: formatId(result.messageId, version), 'content-length': '0' });
    scope.res.end();
  }

  async #get(scope: Scope, version: ApiVersion, qmgr: string, queue: string, query: string): Promise<void> {
    this.#qmgr(scope, qmgr);
    this.#csrf(scope);
    const target = { queue };
    this.#authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: queue, permission: 'get' });
    this.#queue(scope, queue);
    this.#strength(scope, scope.policy.protectionFor({ queue }), 'get', target);
    const q = this.#query(scope, 'get', query, version);
    this.#rate(scope, 'get', target);
    const selector = { messageId: q.messageId, correlationId: q.correlationId };
    if (q.waitMs === 0) {
      // Nothing to wait for, so nothing to abort: a client gone meanwhile is handled by #deliver.
      const delivery = await this.#o.driver.get(queue, selector);
      if (delivery === null) return this.#noMessage(scope.res);
      return this.#deliver(scope, delivery, version);
    }
    const endLongPoll = this.#longPoll(scope, q.waitMs, 'get', target);
    const waiter = this.#waiter(scope);
    let delivery: Delivery | null;
    try {
      delivery = await this.#o.driver.get(queue, { waitMs: q.waitMs, ...selector, signal: waiter.signal });
    } catch (err) {
      if (waiter.signal.aborted && waiter.signal.reason === CLIENT_GONE) return; // nobody to answer; nothing was taken
      if (waiter.signal.aborted && hasCode(waiter.signal.reason, 'ERR_GATEWAY_DRAINING')) throw waiter.signal.reason;
      throw err;
    } finally {
      waiter.dispose();
      endLongPoll();
    }
    if (delivery === null) return this.#noMessage(scope.res);
    this.#deliver(scope, delivery, version);
  }

  /** Writes a got message; acks once the response is written, releases it otherwise. */
  #deliver(scope: Scope, delivery: Delivery, version: ApiVersion): void {
    const { res } = scope;
    const log = this.#log;
    const settleFailed = (what: string) => (err: unknown) => {
      log.warn({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', [F.msgId]: delivery.message.messageId, err }, `${what} failed`);
    };
    if (res.destroyed || scope.req.socket.destroyed) {
      delivery.release().catch(settleFailed('release'));
      return;
    }
    let written = false;
    res.once('finish', () => {
      written = true;
      delivery.ack().catch(settleFailed('ack'));
    });
    res.once('close', () => {
      if (!written) delivery.release().catch(settleFailed('release'));
    });
    this.#writeMessage(res, delivery.message, version);
  }

  async #browse(scope: Scope, version: ApiVersion, qmgr: string, queue: string, query: string): Promise<void> {
    this.#qmgr(scope, qmgr);
    const target = { queue };
    this.#authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: queue, permission: 'browse' });
    this.#queue(scope, queue);
    this.#strength(scope, scope.policy.protectionFor({ queue }), 'browse', target);
    const q = this.#query(scope, 'browse', query, version);
    this.#rate(scope, 'browse', target);
    const selector = { messageId: q.messageId, correlationId: q.correlationId };
    let message = await this.#o.driver.browse(queue, selector);
    if (message === null && q.waitMs > 0) {
      const endLongPoll = this.#longPoll(scope, q.waitMs, 'browse', target);
      const waiter = this.#waiter(scope);
      const deadline = performance.now() + q.waitMs;
      try {
        while (message === null) {
          const left = deadline - performance.now();
          if (left <= 0) break;
          await sleep(Math.min(BROWSE_POLL_MS, left), undefined, { signal: waiter.signal });
          message = await this.#o.driver.browse(queue, selector);
        }
      } catch (err) {
        if (waiter.signal.aborted && waiter.signal.reason === CLIENT_GONE) return;
        if (waiter.signal.aborted && hasCode(waiter.signal.reason, 'ERR_GATEWAY_DRAINING')) throw waiter.signal.reason;
        throw err;
      } finally {
        waiter.dispose();
        endLongPoll();
      }
    }
    if (message === null) return this.#noMessage(scope.res);
    this.#writeMessage(scope.res, message, version);
  }

  async #messageList(scope: Scope, version: ApiVersion, qmgr: string, queue: string, query: string): Promise<void> {
    this.#qmgr(scope, qmgr);
    const target = { queue };
    this.#authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: queue, permission: 'browse' });
    this.#queue(scope, queue);
    this.#strength(scope, scope.policy.protectionFor({ queue }), 'browse', target);
    const q = this.#query(scope, 'messagelist', query, version);
    this.#rate(scope, 'browse', target);
    const summaries = await this.#o.driver.browseList(queue, {
      limit: q.limit ?? Math.min(100, this.#o.limits.maxMessageListLength), messageId: q.messageId, correlationId: q.correlationId,
    });
    const messages = summaries.map((s) => ({
      messageId: formatId(s.messageId, version),
      ...(s.correlationId === undefined ? {} : { correlationId: formatId(s.correlationId, version) }),
      persistence: s.persistence,
      expiry: s.expiryMs === undefined ? 'unlimited' : s.expiryMs,
      priority: s.priority,
      ...(s.replyTo === undefined ? {} : { replyTo: s.replyTo }),
      ...(s.putTime === undefined ? {} : { putDateTime: s.putTime.toISOString() }),
      ...(s.contentType === undefined ? {} : { contentType: s.contentType }),
      size: s.size,
    }));
    this.#json(scope.res, 200, { messages });
  }

  #protection(scope: Scope, qmgr: string, target: { readonly queue: string } | { readonly topic: string }, query: string): void {
    this.#qmgr(scope, qmgr);
    this.#query(scope, 'protection', query, 'v3');
    if ('queue' in target) {
      // Whoever may use the queue may learn how it is protected: its sidecar needs the policy.
      const allowed = (['put', 'get', 'browse', 'inq'] as const).some((permission) =>
        scope.policy.authorize({ principals: [scope.principal], objectType: 'queue', objectName: target.queue, permission }).allowed);
      if (!allowed) this.#authorize(scope, { principals: [scope.principal], objectType: 'queue', objectName: target.queue, permission: 'inq' });
      this.#queue(scope, target.queue);
    } else {
      const allowed = (['pub', 'sub'] as const).some((permission) =>
        scope.policy.authorize({ principals: [scope.principal], objectType: 'topic', topicString: target.topic, permission }).allowed);
      if (!allowed) this.#authorize(scope, { principals: [scope.principal], objectType: 'topic', topicString: target.topic, permission: 'sub' });
    }
    const p = scope.policy.protectionFor(target);
    this.#json(scope.res, 200, {
      qmgr: scope.policy.queueManagerName,
      revision: scope.policy.revision,
      ...target,
      policy: p === undefined ? null : {
        name: p.name,
        target: p.target,
        qualityOfProtection: p.qualityOfProtection,
        ...(p.signatureAlgorithm === undefined ? {} : { signatureAlgorithm: p.signatureAlgorithm }),
        ...(p.encryptionAlgorithm === undefined ? {} : { encryptionAlgorithm: p.encryptionAlgorithm }),
        authorizedSigners: p.authorizedSigners,
        recipients: p.recipients,
        toleration: p.toleration,
        ...(p.keyReuse === undefined ? {} : { keyReuse: p.keyReuse }),
        ...(p.minimumChannelStrength === undefined ? {} : { minimumChannelStrength: p.minimumChannelStrength }),
      },
      // The newest message certificate of each recipient, for the sender's sidecar to encrypt for.
      recipientCertificates: p === undefined || p.recipients.length === 0 ? [] : this.#o.messageCertificates().forRecipients(p.recipients)
        .map((c) => ({ spiffeId: c.spiffeId, chain: c.chainPem, notAfter: c.notAfter.toISOString() })),
    });
  }

  #connectionInfo(scope: Scope, query: string): void {
    this.#query(scope, 'connection', query, 'v3');
    const { conn } = scope;
    this.#json(scope.res, 200, {
      qmgr: scope.policy.queueManagerName,
      spiffeId: conn.spiffeId.toString(),
      principal: scope.principal,
      channel: scope.channel.name,
      tls: { protocol: conn.tls.protocol, cipher: conn.tls.cipher, group: conn.tls.group, hybridKeyExchange: conn.strength.hybridKeyExchange },
    });
  }

  #json(res: ServerResponse, status: number, value: unknown): void {
    const body = Buffer.from(JSON.stringify(value), 'utf8');
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) });
    res.end(body);
  }
}
