// Serves the MQ REST API to the app on localhost and carries each request to the gateway: puts
// and publications are sealed by the destination's policy under a message id the sidecar
// chooses; gets go through gateway leases so that a message is acked only once the app has the
// whole response; every message that fails to open goes to the error queue and the app gets the
// next good one (or 204), never the bad one. Browses skip bad messages without removing them.
import { hash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';
import { EnvelopeError, type Opened } from '../../lib/envelope/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import type { Message } from '../drivers/driver.ts';
import { protectionViolationFor, type SecurityEvents } from '../events/index.ts';
import { LEASE_HEADERS, MAX_PIGGYBACK_ACKS, NDJSON, PIGGYBACK_ACK_HEADERS, publicationLine, type PublicationLine } from '../gateway/extensions.ts';
import type { GatewayMetrics, Operation } from '../metrics/index.ts';
import { sendError } from '../respond.ts';
import { messageHeaders, MD_RESPONSE, parsePutHeaders, type DistinctHeaders } from '../rest/md-headers.ts';
import { formatId } from '../rest/message-ids.ts';
import { parseMessageQuery, type MessageQuery } from '../rest/query.ts';
import { parseRoute, type ApiVersion, type Route } from '../rest/route.ts';
import { BodyTooLarge, readBody } from '../server/read-body.ts';
import { errorFromReply, header, type GatewayClient, type GatewayReply } from './gateway-client.ts';
import type { ProtectionCache, ProtectionEntry, ProtectionTarget } from './protection-cache.ts';
import { PendingAcks } from './pending-acks.ts';
import type { Protector } from './protector.ts';
import type { Quarantiner } from './quarantine.ts';
import { CSRF_HEADER, leaseFromReply, messageFromReply, paths, putHeaders, query } from './wire.ts';
import type { WorkloadMetrics } from './workload-metrics.ts';

export interface AppHandlerOptions {
  readonly log: Logger;
  readonly client: () => GatewayClient;
  readonly cache: ProtectionCache;
  readonly protector: Protector;
  readonly quarantiner: Quarantiner;
  readonly events: SecurityEvents;
  readonly metrics: GatewayMetrics;
  readonly workloadMetrics: WorkloadMetrics;
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxWaitMs: number;
    readonly getVisibilityMs: number;
    readonly defaultLeaseVisibilityMs: number;
    readonly maxLeaseVisibilityMs: number;
    readonly putRetries: number;
  };
  /** The workload's SPIFFE id. */
  spiffeId(): string;
  draining(): boolean;
  /** Re-reads the message keyring now; true when it changed (a new generation arrived). */
  refreshKeyring(): Promise<boolean>;
}

const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;
/** Failures a newer policy or keyring may cure: looked at again with fresh ones before quarantine. */
const STALE_POLICY_REASONS = new Set(['SIGNER_NOT_AUTHORIZED', 'QOP_MISMATCH', 'STRENGTH_MISMATCH']);
const STALE_KEYRING_REASONS = new Set(['NOT_A_RECIPIENT', 'DECRYPTION_FAILED']);
/** Gateway refusals of a put that a policy changed since it was fetched can explain. */
const PUT_REFUSALS_BY_POLICY: ReadonlySet<string> = new Set(['ERR_ENVELOPE_QOP_MISMATCH', 'ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED', 'ERR_ENVELOPE_STRENGTH_MISMATCH']);
/** How old a cached policy may be when a failure is looked at again. */
const RECHECK_AGE_MS = 1000;
/** Bad messages moved aside in one get before answering (the rest wait for the next get). */
const MAX_QUARANTINED_PER_GET = 100;
/**
 * How long a delivered get's ack waits for the next lease request to carry it before it goes on
 * its own: long enough for an app's next get, short enough that nobody notices a held message.
 */
const ACK_LINGER_MS = 20;
/** Messages a browse looks through past a bad one. */
const BROWSE_SCAN = 50;
/** Envelopes kept for puts whose app chose the message id, so that a retry resends the same bytes. */
const RESEAL_CACHE_ENTRIES = 1024;
const RESEAL_CACHE_MS = 10 * 60_000;

/** What opening a message came to: the opened message or the failure, and the entry it was checked under. */
interface OpenOutcome {
  readonly opened: Opened | undefined;
  readonly entry: ProtectionEntry;
  readonly error?: unknown;
}

interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Aborts when the app goes away before the answer is written. */
  readonly signal: AbortSignal;
}

function operationOf(route: Route): Operation {
  if (route.kind === 'queue' || route.kind === 'topic') return route.operation;
  if (route.kind === 'lease') return 'get';
  if (route.kind === 'subscription') return 'subscribe';
  return 'other';
}

function idBytes(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

export class AppHandler {
  readonly #o: AppHandlerOptions;
  readonly #log: Logger;
  /** Lease acks and releases in flight: a drain waits for them, so a restart strands no lease. */
  readonly #settling = new Set<Promise<void>>();
  /** (destination, app's message id, payload digest) → the envelope sealed for it, and when. */
  readonly #sealedByAppId = new Map<string, { body: Buffer; protected: boolean; at: number }>();
  /** Acks of delivered gets, sent with the next lease request or alone after a short linger. */
  readonly #acks: PendingAcks;

  constructor(options: AppHandlerOptions) {
    this.#o = options;
    this.#log = options.log.child({ module: 'app-api' });
    this.#acks = new PendingAcks({ lingerMs: ACK_LINGER_MS, sendAlone: (qmgr, leaseId) => this.#settle(qmgr, leaseId, 'ack') });
  }

  /** The node:http request listener. Never throws. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    let operation: Operation = 'other';
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new AppError('ERR_INTERNAL', 'the app went away'));
      this.#o.metrics.observeRequest(operation, res.headersSent ? res.statusCode : 499, (performance.now() - start) / 1000);
    });
    void (async () => {
      if (this.#o.draining()) throw new AppError('ERR_WORKLOAD_DRAINING', 'the sidecar is shutting down and takes no new work');
      const route = parseRoute(req.method ?? '', req.url ?? '');
      operation = operationOf(route);
      await this.#dispatch({ req, res, signal: controller.signal }, route);
    })().catch((err: unknown) => {
      if (controller.signal.aborted && res.destroyed) return; // nobody to answer
      const reply = sendError(res, err, this.#log);
      if (reply.closeConnection || !req.complete) res.once('finish', () => req.socket.end());
    });
  };

  async #dispatch(ctx: Ctx, route: Route): Promise<void> {
    switch (route.kind) {
      case 'queue':
        switch (route.operation) {
          case 'put': return this.#put(ctx, route.version, route.qmgr, { queue: route.queue }, route.query);
          case 'get': return this.#get(ctx, route.version, route.qmgr, route.queue, route.query, 'get');
          case 'browse': return this.#browse(ctx, route.version, route.qmgr, route.queue, route.query);
          // Summaries carry ids in the form of the app's API version: ask the gateway in that version.
          case 'messagelist': return this.#forward(ctx, 'GET', paths.messageList(route.qmgr, route.queue, route.query === '' ? '' : `?${route.query}`, route.version));
        }
        break;
      case 'topic':
        return this.#put(ctx, route.version, route.qmgr, { topic: route.topic }, route.query);
      case 'lease':
        return this.#get(ctx, 'v3', route.qmgr, route.queue, route.query, 'lease');
      case 'lease-settle':
        this.#csrf(ctx);
        return this.#forward(ctx, route.action === 'ack' ? 'DELETE' : 'POST', route.action === 'ack' ? paths.leaseAck(route.qmgr, route.leaseId) : paths.leaseRelease(route.qmgr, route.leaseId));
      case 'subscription':
        return this.#subscribe(ctx, route.qmgr, route.topic, route.query);
      case 'protection':
      case 'connection':
        return this.#forward(ctx, 'GET', ctx.req.url ?? '/');
      case 'quarantine':
        // Only the sidecar itself moves messages to the error queue.
        throw new AppError('ERR_GATEWAY_NOT_FOUND', 'no such resource', { details: { path: 'quarantine' } });
    }
  }

  #csrf(ctx: Ctx): void {
    if (ctx.req.headers[CSRF_HEADER] === undefined) {
      throw new AppError('ERR_GATEWAY_CSRF_TOKEN_MISSING', `${ctx.req.method ?? ''} requests must carry the ${CSRF_HEADER} header`);
    }
  }

  #query(operation: 'get' | 'browse' | 'put' | 'publish' | 'lease' | 'subscription', raw: string, version: ApiVersion): MessageQuery {
    return parseMessageQuery(operation, raw, version, { maxWaitMs: this.#o.limits.maxWaitMs, maxListLimit: 1000, maxVisibilityMs: this.#o.limits.maxLeaseVisibilityMs });
  }

  async #body(ctx: Ctx): Promise<Buffer> {
    try {
      return await readBody(ctx.req, this.#o.limits.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      throw new AppError('ERR_GATEWAY_MESSAGE_TOO_BIG_FOR_CHANNEL', `the message is longer than the sidecar's maximum of ${this.#o.limits.maxBodyBytes} bytes`, {
        details: { maxMessageLength: this.#o.limits.maxBodyBytes },
      });
    }
  }

  /** Relays a request the sidecar does not change, and the gateway's answer as it is. */
  async #forward(ctx: Ctx, method: 'GET' | 'POST' | 'DELETE', path: string): Promise<void> {
    const reply = await this.#o.client().request({ method, path, headers: method === 'GET' ? {} : { [CSRF_HEADER]: 'qshield-sidecar' }, answerMayBeLarge: method === 'GET', signal: ctx.signal });
    if (reply.status >= 400) throw errorFromReply(reply);
    const headers: Record<string, string> = { ...SECURITY_HEADERS };
    for (const name of ['content-type', MD_RESPONSE.messageId.toLowerCase()]) {
      const v = header(reply.headers, name);
      if (v !== undefined) headers[name] = v;
    }
    ctx.res.writeHead(reply.status, { ...headers, ...(reply.status === 204 ? {} : { 'content-length': String(reply.body.length) }) });
    ctx.res.end(reply.status === 204 ? undefined : reply.body);
  }

  // === put and publish ===

  async #put(ctx: Ctx, version: ApiVersion, qmgr: string, target: ProtectionTarget, rawQuery: string): Promise<void> {
    this.#csrf(ctx);
    this.#query('queue' in target ? 'put' : 'publish', rawQuery, version);
    const md = parsePutHeaders(ctx.req.headersDistinct as DistinctHeaders, version);
    const payload = await this.#body(ctx);
    // The app may name its own message id (for its own retries); otherwise the sidecar picks one.
    const messageId = md.messageId ?? randomBytes(24).toString('hex');
    const path = 'queue' in target ? paths.queueMessage(qmgr, target.queue) : paths.topicMessage(qmgr, target.topic);
    let entry = await this.#o.cache.get(qmgr, target);
    for (let attempt = 0; ; attempt++) {
      const sealed = md.messageId === undefined ? this.#o.protector.seal(entry, payload, idBytes(messageId)) : this.#resealable(entry, target, messageId, payload);
      const reply = await this.#o.client().requestWithRetry({ method: 'POST', path, headers: putHeaders(md, messageId), body: sealed.body, signal: ctx.signal }, this.#o.limits.putRetries);
      if (reply.status === 201) {
        if (sealed.protected) this.#o.workloadMetrics.sealed(entry.policy?.qualityOfProtection ?? 'None');
        break;
      }
      const err = errorFromReply(reply);
      // The gateway enforces the policy in force: a refusal that a changed policy explains is
      // sealed again, once, under a fresh one (nothing was stored).
      if (attempt === 0 && PUT_REFUSALS_BY_POLICY.has(err.code) && Date.now() - entry.fetchedAt >= RECHECK_AGE_MS) {
        entry = await this.#o.cache.get(qmgr, target, RECHECK_AGE_MS);
        continue;
      }
      throw err;
    }
    ctx.res.writeHead(201, { ...SECURITY_HEADERS, [MD_RESPONSE.messageId]: formatId(messageId, version), 'content-length': '0' });
    ctx.res.end();
  }

  /**
   * Seals a put whose app chose the message id, or gives back the envelope sealed for the same
   * destination, id and payload a little earlier: a retry then sends the very same bytes, which
   * the gateway stores once (a fresh seal would differ and be refused as a reused id).
   */
  #resealable(entry: ProtectionEntry, target: ProtectionTarget, messageId: string, payload: Buffer): { body: Buffer; protected: boolean } {
    const key = `${entry.revision}\u0000${entry.qmgr}\u0000${'queue' in target ? `q\u0000${target.queue}` : `t\u0000${target.topic}`}\u0000${messageId}\u0000${hash('sha256', payload, 'base64')}`;
    const now = Date.now();
    const cached = this.#sealedByAppId.get(key);
    if (cached !== undefined && now - cached.at < RESEAL_CACHE_MS) return cached;
    const sealed = this.#o.protector.seal(entry, payload, idBytes(messageId));
    this.#sealedByAppId.delete(key);
    this.#sealedByAppId.set(key, { ...sealed, at: now });
    if (this.#sealedByAppId.size > RESEAL_CACHE_ENTRIES) this.#sealedByAppId.delete(this.#sealedByAppId.keys().next().value as string);
    return sealed;
  }

  // === opening, with one more look before quarantine ===

  /**
   * Opens a message found at `entry`'s destination. A failure that a newer policy or keyring
   * could cure is tried once more with fresh ones.
   * @returns the opened message, or the failure (never thrown) with the entry it was checked under.
   */
  async #open(entry: ProtectionEntry, message: Message): Promise<OpenOutcome> {
    const attempt = (e: ProtectionEntry): { opened: Opened | undefined; error?: unknown } => {
      if (!this.#o.protector.opens(e)) return { opened: undefined };
      try {
        return { opened: this.#o.protector.open(e, message.body, idBytes(message.messageId)) };
      } catch (err) {
        return { opened: undefined, error: err };
      }
    };
    let current = entry;
    let result = attempt(current);
    if (result.error === undefined) return { ...result, entry: current };
    const reason = result.error instanceof EnvelopeError ? result.error.reason : undefined;
    let retry = false;
    if (reason !== undefined && STALE_POLICY_REASONS.has(reason) && Date.now() - current.fetchedAt >= RECHECK_AGE_MS) {
      current = await this.#o.cache.get(entry.qmgr, entry.target, RECHECK_AGE_MS);
      retry = true;
    }
    if (reason !== undefined && STALE_KEYRING_REASONS.has(reason) && await this.#o.refreshKeyring()) retry = true;
    if (retry) result = attempt(current);
    return { ...result, entry: current };
  }

  #tolerated(entry: ProtectionEntry, message: Message, operation: string): void {
    this.#o.workloadMetrics.tolerated();
    this.#log.warn({ [F.msgId]: message.messageId, [F.qmgr]: entry.qmgr, ...('queue' in entry.target ? { [F.queue]: entry.target.queue } : { [F.topic]: entry.target.topic }), policy: entry.policy?.name, operation },
      'unprotected message accepted by the policy\'s toleration');
  }

  // === get and lease ===

  async #get(ctx: Ctx, version: ApiVersion, qmgr: string, queue: string, rawQuery: string, kind: 'get' | 'lease'): Promise<void> {
    this.#csrf(ctx);
    const q = this.#query(kind === 'get' ? 'get' : 'lease', rawQuery, version);
    const visibilityMs = kind === 'get' ? this.#o.limits.getVisibilityMs : (q.visibilityMs ?? this.#o.limits.defaultLeaseVisibilityMs);
    const deadline = Date.now() + q.waitMs;
    const client = this.#o.client();
    for (let quarantined = 0; ; quarantined++) {
      const waitMs = Math.max(0, deadline - Date.now());
      const riding = this.#acks.take(qmgr, MAX_PIGGYBACK_ACKS);
      let reply: GatewayReply;
      try {
        reply = await client.request({
          method: 'POST',
          path: paths.lease(qmgr, queue, query({ wait: waitMs > 0 ? waitMs : undefined, visibility: visibilityMs, messageId: q.messageId === undefined ? undefined : formatId(q.messageId, 'v3'), correlationId: q.correlationId === undefined ? undefined : formatId(q.correlationId, 'v3') })),
          headers: { [CSRF_HEADER]: 'qshield-sidecar', ...(riding.length === 0 ? {} : { [PIGGYBACK_ACK_HEADERS.request]: riding.join(',') }) },
          waitMs,
          answerMayBeLarge: true,
          signal: ctx.signal,
        });
      } catch (err) {
        this.#acks.putBack(qmgr, riding);
        throw err;
      }
      if (riding.length > 0) this.#rodeAlong(qmgr, riding, reply);
      if (reply.status === 204) {
        ctx.res.writeHead(204, SECURITY_HEADERS);
        ctx.res.end();
        return;
      }
      if (reply.status !== 200) throw errorFromReply(reply);
      const lease = leaseFromReply(reply);
      const message = messageFromReply(reply);
      let outcome: OpenOutcome;
      try {
        outcome = await this.#open(await this.#o.cache.get(qmgr, { queue }), message);
      } catch (err) {
        await this.#settle(qmgr, lease.id, 'release');
        throw err;
      }
      if (outcome.error !== undefined) {
        try {
          await this.#o.quarantiner.quarantine({ entry: outcome.entry, message, error: outcome.error, operation: kind });
          this.#o.workloadMetrics.quarantined(protectionViolationFor(outcome.error).code);
        } catch (err) {
          await this.#settle(qmgr, lease.id, 'release');
          throw err;
        }
        await this.#settle(qmgr, lease.id, 'ack');
        if (quarantined + 1 >= MAX_QUARANTINED_PER_GET || ctx.signal.aborted) {
          ctx.res.writeHead(204, SECURITY_HEADERS);
          ctx.res.end();
          return;
        }
        continue;
      }
      if (outcome.opened?.qop === 'none') this.#tolerated(outcome.entry, message, kind);
      else if (outcome.opened !== undefined) this.#o.workloadMetrics.opened(outcome.opened.qop);
      this.#deliverLeased(ctx, qmgr, { ...message, body: outcome.opened?.payload ?? message.body }, lease, version, kind);
      return;
    }
  }

  /**
   * Writes a leased message to the app. A plain get acks once the whole response is written and
   * releases when the app went away first; a lease is the app's to settle, but is released too
   * if the app never received it.
   */
  #deliverLeased(ctx: Ctx, qmgr: string, message: Message, lease: { id: string; expires: string }, version: ApiVersion, kind: 'get' | 'lease'): void {
    const { res } = ctx;
    if (res.destroyed) {
      void this.#settle(qmgr, lease.id, 'release');
      return;
    }
    let written = false;
    res.once('finish', () => {
      written = true;
      if (kind === 'get') this.#acks.add(qmgr, lease.id);
    });
    res.once('close', () => {
      if (!written) void this.#settle(qmgr, lease.id, 'release');
    });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      ...messageHeaders(message, version),
      ...(kind === 'lease' ? { [LEASE_HEADERS.id]: lease.id, [LEASE_HEADERS.expires]: lease.expires } : {}),
      'content-length': String(message.body.length),
    });
    res.end(message.body);
  }

  /** Sends the acks still waiting for a ride, and resolves when every ack and release in flight is done. */
  async settled(): Promise<void> {
    await this.#acks.flush();
    await Promise.allSettled([...this.#settling]);
  }

  /**
   * What became of acks a lease request carried: the gateway counts those it processed and names
   * those it could not settle (expired, unknown); without its count it processed none (it refused
   * the request first, or does not know the extension), and they go alone at once.
   */
  #rodeAlong(qmgr: string, riding: readonly string[], reply: GatewayReply): void {
    if (header(reply.headers, PIGGYBACK_ACK_HEADERS.acked) === undefined) {
      void this.#acks.sendNow(qmgr, riding);
      return;
    }
    const failed = header(reply.headers, PIGGYBACK_ACK_HEADERS.failed);
    if (failed === undefined) return;
    const count = failed.split(',').length;
    for (let i = 0; i < count; i++) this.#o.workloadMetrics.settleFailed('ack');
    this.#log.warn({ count }, 'acks of leases failed; their messages return when the leases expire');
  }

  /** Acks or releases a lease at the gateway; failures are logged (the lease then expires). */
  #settle(qmgr: string, leaseId: string, action: 'ack' | 'release'): Promise<void> {
    const done = this.#settleNow(qmgr, leaseId, action);
    this.#settling.add(done);
    void done.finally(() => this.#settling.delete(done));
    return done;
  }

  async #settleNow(qmgr: string, leaseId: string, action: 'ack' | 'release'): Promise<void> {
    try {
      const reply = await this.#o.client().request({
        method: action === 'ack' ? 'DELETE' : 'POST',
        path: action === 'ack' ? paths.leaseAck(qmgr, leaseId) : paths.leaseRelease(qmgr, leaseId),
        headers: { [CSRF_HEADER]: 'qshield-sidecar' },
      });
      if (reply.status !== 204) throw errorFromReply(reply);
    } catch (err) {
      this.#o.workloadMetrics.settleFailed(action);
      // An unsettled lease expires and its message returns: it may be delivered again (docs/delivery.md).
      this.#log.warn({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', action }, `${action} of a lease failed; the message returns when the lease expires`);
    }
  }

  // === browse ===

  async #browse(ctx: Ctx, version: ApiVersion, qmgr: string, queue: string, rawQuery: string): Promise<void> {
    const q = this.#query('browse', rawQuery, version);
    const client = this.#o.client();
    const selector = { messageId: q.messageId === undefined ? undefined : formatId(q.messageId, 'v3'), correlationId: q.correlationId === undefined ? undefined : formatId(q.correlationId, 'v3') };
    const first = await client.request({ method: 'GET', path: paths.queueMessage(qmgr, queue, query({ wait: q.waitMs > 0 ? q.waitMs : undefined, ...selector })), waitMs: q.waitMs, answerMayBeLarge: true, signal: ctx.signal });
    if (first.status === 204) return this.#noMessage(ctx);
    if (first.status !== 200) throw errorFromReply(first);
    const entry = await this.#o.cache.get(qmgr, { queue });
    const seen = new Set<string>();
    const tryOne = async (reply: GatewayReply): Promise<boolean> => {
      const message = messageFromReply(reply);
      seen.add(message.messageId);
      const outcome = await this.#open(entry, message);
      if (outcome.error !== undefined) {
        // A browse changes nothing: the bad message stays for the next get to move aside.
        const mapped = protectionViolationFor(outcome.error);
        this.#o.events.protectionViolation({
          code: mapped.code, disposition: 'refused', principal: this.#o.spiffeId(), operation: 'browse', qmgr, queue, messageId: message.messageId,
          ...(entry.policy === undefined ? {} : { policy: entry.policy.name, requiredQop: entry.policy.qualityOfProtection }),
          reason: outcome.error instanceof Error ? outcome.error.message : 'the message could not be opened',
          ...(mapped.errorCode === undefined ? {} : { errorCode: mapped.errorCode }),
        });
        return false;
      }
      if (outcome.opened?.qop === 'none') this.#tolerated(outcome.entry, message, 'browse');
      ctx.res.writeHead(200, { ...SECURITY_HEADERS, ...messageHeaders({ ...message, body: outcome.opened?.payload ?? message.body }, version), 'content-length': String((outcome.opened?.payload ?? message.body).length) });
      ctx.res.end(outcome.opened?.payload ?? message.body);
      return true;
    };
    if (await tryOne(first)) return;
    if (q.messageId !== undefined) return this.#noMessage(ctx);
    // The first message is bad: look through the next ones, in queue order, for a good one.
    const list = await client.request({ method: 'GET', path: paths.messageList(qmgr, queue, query({ limit: BROWSE_SCAN, correlationId: selector.correlationId })), answerMayBeLarge: true, signal: ctx.signal });
    if (list.status !== 200) throw errorFromReply(list);
    const summaries = (JSON.parse(list.body.toString('utf8')) as { messages?: { messageId?: string }[] }).messages ?? [];
    for (const s of summaries) {
      const id = typeof s.messageId === 'string' ? s.messageId.replace(/^ID:/, '').toLowerCase() : undefined;
      if (id === undefined || seen.has(id)) continue;
      const reply = await client.request({ method: 'GET', path: paths.queueMessage(qmgr, queue, query({ messageId: formatId(id, 'v3') })), answerMayBeLarge: true, signal: ctx.signal });
      if (reply.status === 204) continue; // taken meanwhile
      if (reply.status !== 200) throw errorFromReply(reply);
      if (await tryOne(reply)) return;
    }
    this.#noMessage(ctx);
  }

  #noMessage(ctx: Ctx): void {
    ctx.res.writeHead(204, SECURITY_HEADERS);
    ctx.res.end();
  }

  // === subscriptions ===

  async #subscribe(ctx: Ctx, qmgr: string, topic: string, rawQuery: string): Promise<void> {
    this.#query('subscription', rawQuery, 'v3');
    const stream = await this.#o.client().stream({ method: 'GET', path: paths.subscription(qmgr, topic), signal: ctx.signal });
    if (stream.status !== 200) {
      const body = Buffer.from(await stream.body.toArray().then((chunks) => Buffer.concat(chunks as Buffer[])));
      throw errorFromReply({ status: stream.status, headers: stream.headers, body });
    }
    const { res } = ctx;
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': `${NDJSON}; charset=utf-8` });
    res.flushHeaders();
    const onGone = () => stream.body.destroy();
    ctx.signal.addEventListener('abort', onGone, { once: true });
    try {
      for await (const line of createInterface({ input: stream.body, crlfDelay: Infinity })) {
        if (line === '') continue;
        const pub = JSON.parse(line) as PublicationLine;
        const message = publicationMessage(pub);
        const entry = await this.#o.cache.get(qmgr, { topic: pub.topic });
        const outcome = await this.#open(entry, message);
        if (outcome.error !== undefined) {
          try {
            await this.#o.quarantiner.quarantine({ entry: outcome.entry, message, error: outcome.error, operation: 'subscribe' });
            this.#o.workloadMetrics.quarantined(protectionViolationFor(outcome.error).code);
          } catch {
            // Logged by the quarantiner; a publication is not kept for a subscriber anyway.
          }
          continue;
        }
        if (outcome.opened?.qop === 'none') this.#tolerated(outcome.entry, message, 'subscribe');
        else if (outcome.opened !== undefined) this.#o.workloadMetrics.opened(outcome.opened.qop);
        const out = publicationLine(pub.topic, { ...message, body: outcome.opened?.payload ?? message.body });
        if (!res.write(`${JSON.stringify(out)}\n`)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        if (res.destroyed) break;
      }
      if (!res.destroyed) res.end();
    } catch (err) {
      if (ctx.signal.aborted) return;
      this.#log.info({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', [F.topic]: topic }, 'subscription ended');
      res.destroy();
    } finally {
      ctx.signal.removeEventListener('abort', onGone);
      stream.body.destroy();
    }
  }
}

/** A publication line back into a message. */
export function publicationMessage(pub: PublicationLine): Message {
  const id = (v: string | undefined) => (v === undefined ? undefined : v.replace(/^ID:/, '').toLowerCase());
  return {
    messageId: id(pub.messageId) ?? '',
    correlationId: id(pub.correlationId),
    body: Buffer.from(pub.body, 'base64'),
    persistence: pub.persistence === 'persistent' ? 'persistent' : 'nonPersistent',
    expiryMs: pub.expiry === 'unlimited' ? undefined : pub.expiry,
    priority: pub.priority,
    replyTo: pub.replyTo,
    putTime: pub.putDateTime === undefined ? undefined : new Date(pub.putDateTime),
    contentType: pub.contentType,
    properties: {},
  };
}
