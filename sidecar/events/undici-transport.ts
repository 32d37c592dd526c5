// The sink's one HTTP dependency: an undici Pool to the SIEM's origin, keep-alive, bounded
// timeouts, an optional CA bundle. Responses are drained so connections are reused.
import { Pool } from 'undici';

export interface SinkRequest {
  readonly body: string;
  readonly contentType: string;
  /** Full header value (`Bearer …`); never logged. */
  readonly authorization?: string;
  readonly signal: AbortSignal;
}

export interface SinkResponse {
  readonly status: number;
  /** The Retry-After header, when the server sent one. */
  readonly retryAfter?: string;
}

/** How the sink talks to its endpoint; the undici transport is the real one. */
export interface SinkTransport {
  /** Resolves with the status for any HTTP answer; rejects on network, TLS, timeout or abort. */
  send(request: SinkRequest): Promise<SinkResponse>;
  /** Closes idle connections after in-flight requests finish. */
  close(): Promise<void>;
  /** Aborts everything now. */
  destroy(): Promise<void>;
}

export interface UndiciTransportOptions {
  readonly url: URL;
  /** PEM CA bundle; undefined = Node's default roots. */
  readonly ca?: string;
  readonly requestTimeoutMs: number;
}

/** Longest response body read (and discarded) from the SIEM. */
const MAX_RESPONSE_BODY = 64 * 1024;

export function createUndiciTransport(options: UndiciTransportOptions): SinkTransport {
  const pool = new Pool(options.url.origin, {
    connections: 2,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
    keepAliveTimeout: 4_000,
    connect: { ca: options.ca, timeout: options.requestTimeoutMs },
  });
  const path = `${options.url.pathname}${options.url.search}`;
  return {
    async send(request) {
      const headers: Record<string, string> = { 'content-type': request.contentType, 'user-agent': 'qshield-event-sink' };
      if (request.authorization !== undefined) headers.authorization = request.authorization;
      const res = await pool.request({ path, method: 'POST', headers, body: request.body, signal: request.signal });
      try {
        await res.body.dump({ limit: MAX_RESPONSE_BODY });
      } catch {
        // The status is what matters; an unreadable body only costs the connection.
      }
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined };
    },
    close: () => pool.close(),
    destroy: () => pool.destroy(),
  };
}
