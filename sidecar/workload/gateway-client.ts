// The workload sidecar's connection to its queue manager's gateway: an undici pool over mTLS
// with the workload's SVID, keep-alive and HTTP/1.1 pipelining for small answers (docs/adr/0007),
// and a second pool without pipelining for gets, leases, browses and long-polls. A rotated SVID gets fresh pools: new requests use it at once, requests in flight finish on the old one,
// which then closes — so a rotation fails nothing. Gateway error replies become AppErrors with
// the gateway's code, so sidecar/respond.ts writes the same reply to the app.
import { Client, Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import { AppError, isErrorCode } from '../../lib/errors/index.ts';
import { compileSpiffePattern, type SpiffePattern } from '../../lib/identity/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import type { ClientIdentity } from './client-identity.ts';

export interface GatewayClientOptions {
  readonly url: string;
  /** The gateway's SPIFFE id or a pattern; its SVID must match. */
  readonly spiffeId: string;
  /** Sent as the TLS server name: the gateway picks the channel by it. */
  readonly channel: string | undefined;
  readonly connections: number;
  readonly pipelining: number;
  /**
   * Connections for requests whose answers carry messages (gets, leases, browses) or wait for
   * them: one request per connection at a time, so that they hold up nothing else.
   */
  readonly longPollConnections: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly identity: ClientIdentity;
  readonly log: Logger;
  /** Offer HTTP/2 by ALPN (measured slower than HTTP/1.1 pipelining; for benchmarks). */
  readonly allowH2?: boolean;
}

export interface GatewayRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** Long-poll: the gateway may hold the answer this long; the deadline grows by it. */
  readonly waitMs?: number;
  /**
   * The answer may carry a message (gets, leases, browses): sent on a connection of the
   * one-request-at-a-time pool. Node's HTTP server over TLS fails requests pipelined behind a
   * response it is still writing out under backpressure (HPE_PAUSED), so only requests with
   * small answers — puts, acks, releases, policies — are pipelined.
   */
  readonly answerMayBeLarge?: boolean;
  /** Aborts the request (the app went away). */
  readonly signal?: AbortSignal;
}

export interface GatewayReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** The gateway's own header that names the error code. */
const ERROR_CODE_HEADER = 'qshield-error-code';

export function header(headers: GatewayReply['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Whether an error is a failure to reach the gateway or to hear its answer (a put may be resent). */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof AppError && (err.code === 'ERR_WORKLOAD_GATEWAY_UNAVAILABLE' || err.code === 'ERR_WORKLOAD_GATEWAY_TIMEOUT');
}

/**
 * Turns a gateway error reply into the AppError it stands for: the gateway's code, its message
 * from IBM's error body, and what the reply's headers carried (Retry-After, Allow).
 */
export function errorFromReply(reply: GatewayReply): AppError {
  const code = header(reply.headers, ERROR_CODE_HEADER);
  let message = `the gateway answered ${reply.status}`;
  try {
    const parsed = JSON.parse(reply.body.toString('utf8')) as { error?: { message?: unknown }[] };
    const m = parsed.error?.[0]?.message;
    // IBM's message text starts with its message id: `QSH2035E: …`.
    if (typeof m === 'string') message = m.replace(/^[A-Z]{3,4}\d{4}[IWES]: /, '').slice(0, 1024);
  } catch {
    // not JSON: keep the status sentence
  }
  const details: Record<string, unknown> = { gatewayStatus: reply.status };
  const retryAfter = Number(header(reply.headers, 'retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) details.retryAfterSeconds = retryAfter;
  const allow = header(reply.headers, 'allow');
  if (allow !== undefined) details.allow = allow.split(',').map((s) => s.trim());
  if (code !== undefined && isErrorCode(code)) return new AppError(code, message, { details });
  return new AppError('ERR_WORKLOAD_GATEWAY_ERROR', `the gateway answered ${reply.status} with ${code === undefined ? 'no error code' : `an unknown code ${code.slice(0, 64)}`}`, { details });
}

export class GatewayClient {
  readonly #o: GatewayClientOptions;
  readonly #pattern: SpiffePattern;
  readonly #log: Logger;
  #pool: Pool;
  /** Gets, leases, browses and long-polls: one per connection, never pipelined. */
  #waitPool: Pool;
  #identity: ClientIdentity;
  readonly #retiring = new Set<Promise<void>>();
  /** The connections of open subscription streams. */
  readonly #streams = new Set<Client>();
  #closed = false;

  constructor(options: GatewayClientOptions) {
    this.#o = options;
    this.#pattern = compileSpiffePattern(options.spiffeId);
    this.#log = options.log.child({ module: 'gateway-client' });
    this.#identity = options.identity;
    this.#pool = this.#newPool(options.identity);
    this.#waitPool = this.#newWaitPool(options.identity);
  }

  get identity(): ClientIdentity {
    return this.#identity;
  }

  #checkServer = (_host: string, cert: PeerCertificate): Error | undefined => {
    const uris = (cert.subjectaltname ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
    if (uris.length === 1 && this.#pattern.matches(uris[0] as string)) return undefined;
    return new AppError('ERR_WORKLOAD_GATEWAY_IDENTITY', `the gateway presented ${uris.join(', ') || 'no SPIFFE id'}; expected ${this.#o.spiffeId}`);
  };

  #connect(identity: ClientIdentity) {
    return {
      ca: identity.bundlePem,
      cert: identity.certPem,
      key: identity.keyPem,
      minVersion: 'TLSv1.3' as const,
      ...(this.#o.channel === undefined ? {} : { servername: this.#o.channel }),
      checkServerIdentity: this.#checkServer,
    };
  }

  #newWaitPool(identity: ClientIdentity): Pool {
    return new Pool(this.#o.url, {
      connections: this.#o.longPollConnections,
      pipelining: 1,
      keepAliveTimeout: this.#o.keepAliveTimeoutMs,
      connectTimeout: this.#o.connectTimeoutMs,
      connect: this.#connect(identity),
    });
  }

  #newPool(identity: ClientIdentity): Pool {
    return new Pool(this.#o.url, {
      connections: this.#o.connections,
      pipelining: this.#o.pipelining,
      keepAliveTimeout: this.#o.keepAliveTimeoutMs,
      connectTimeout: this.#o.connectTimeoutMs,
      allowH2: this.#o.allowH2 ?? false,
      connect: this.#connect(identity),
    });
  }

  /**
   * Uses a new SVID (or trust bundle) for every connection from now on. Requests in flight finish
   * on the connections they use; those connections then close.
   */
  setIdentity(identity: ClientIdentity): void {
    if (this.#closed) return;
    const old = [this.#pool, this.#waitPool];
    this.#identity = identity;
    this.#pool = this.#newPool(identity);
    this.#waitPool = this.#newWaitPool(identity);
    for (const pool of old) {
      const retiring = pool.close().catch((err: unknown) => this.#log.debug({ err }, 'closing the previous pool failed'));
      this.#retiring.add(retiring);
      void retiring.finally(() => this.#retiring.delete(retiring));
    }
  }

  #dispatchOptions(request: GatewayRequest): Dispatcher.RequestOptions {
    const waitMs = request.waitMs ?? 0;
    return {
      method: request.method,
      path: request.path,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
      // Every request may be pipelined: puts carry their own message id (the gateway stores a
      // repeat once), and a lease whose answer is lost only waits for its visibility timeout.
      idempotent: true,
      // A long-poll would hold up the requests pipelined behind it.
      blocking: waitMs > 0,
      headersTimeout: this.#o.requestTimeoutMs + waitMs,
      bodyTimeout: this.#o.requestTimeoutMs,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    };
  }

  #failure(err: unknown, request: GatewayRequest): unknown {
    if (request.signal?.aborted) return request.signal.reason ?? err;
    if (err instanceof AppError) return err;
    const code = (err as { code?: string } | undefined)?.code ?? '';
    if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
      return new AppError('ERR_WORKLOAD_GATEWAY_TIMEOUT', 'the gateway did not answer in time', { cause: err });
    }
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof AppError && cause.code === 'ERR_WORKLOAD_GATEWAY_IDENTITY') return cause;
    return new AppError('ERR_WORKLOAD_GATEWAY_UNAVAILABLE', `the gateway cannot be reached${code === '' ? '' : ` (${code})`}`, { cause: err, details: { reason: code || 'error' } });
  }

  /**
   * Sends one request and reads the whole answer (any status).
   * @throws AppError ERR_WORKLOAD_GATEWAY_UNAVAILABLE (no answer), ERR_WORKLOAD_GATEWAY_TIMEOUT,
   *   ERR_WORKLOAD_GATEWAY_IDENTITY (the server is not the gateway); the signal's reason when aborted.
   */
  async request(request: GatewayRequest): Promise<GatewayReply> {
    if (this.#closed) throw new AppError('ERR_WORKLOAD_DRAINING', 'the sidecar is shutting down');
    try {
      const pool = (request.waitMs ?? 0) > 0 || request.answerMayBeLarge === true ? this.#waitPool : this.#pool;
      const res = await pool.request(this.#dispatchOptions(request));
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      throw this.#failure(err, request);
    }
  }

  /**
   * Sends a request whose answer is a stream (a subscription), on a connection of its own: an
   * endless response would hold up every request pipelined behind it. The caller reads `body`
   * and must consume or destroy it; the connection closes with it.
   * @throws as request.
   */
  async stream(request: GatewayRequest): Promise<{ status: number; headers: GatewayReply['headers']; body: Readable }> {
    if (this.#closed) throw new AppError('ERR_WORKLOAD_DRAINING', 'the sidecar is shutting down');
    const client = new Client(this.#o.url, { pipelining: 1, connectTimeout: this.#o.connectTimeoutMs, connect: this.#connect(this.#identity) });
    this.#streams.add(client);
    const done = () => {
      this.#streams.delete(client);
      void client.destroy().catch(() => undefined);
    };
    try {
      const res = await client.request({ ...this.#dispatchOptions(request), blocking: true, bodyTimeout: 0 });
      res.body.once('close', done);
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      done();
      throw this.#failure(err, request);
    }
  }

  /**
   * Sends a request, resending it after connection failures up to `retries` times. Only for
   * requests that are safe to repeat (puts with their own message id and the same bytes).
   */
  async requestWithRetry(request: GatewayRequest, retries: number): Promise<GatewayReply> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(request);
      } catch (err) {
        if (attempt >= retries || !isConnectionFailure(err) || request.signal?.aborted) throw err;
        this.#log.debug({ [F.code]: (err as AppError).code, attempt: attempt + 1 }, 'resending after a connection failure');
      }
    }
  }

  /** Closes the pools: waits for requests in flight, or cuts them at once with `force`. */
  async close(options: { force?: boolean } = {}): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#streams].map((c) => c.destroy()));
    if (options.force) await Promise.allSettled([this.#pool.destroy(), this.#waitPool.destroy()]);
    else await Promise.allSettled([this.#pool.close(), this.#waitPool.close()]);
    await Promise.allSettled([...this.#retiring]);
  }
}
