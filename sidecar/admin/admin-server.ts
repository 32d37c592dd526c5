// The admin listener, on its own port away from the mTLS API: /healthz (the process answers),
// /readyz (every injected readiness check passes; 503 names the ones that failed) and /metrics
// (Prometheus text format). Bound to 127.0.0.1 unless configured otherwise.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { AppError } from '../../lib/errors/index.ts';
import type { Logger } from '../../lib/log/index.ts';
import { runReadinessChecks, type ReadinessCheck } from './readiness.ts';

export interface AdminServerOptions {
  /** Default 127.0.0.1. In Kubernetes the kubelet probes the pod IP: the gateway's config sets 0.0.0.0 there. */
  host?: string;
  /** Default 0 (any free port); the gateway's config names the real one. */
  port?: number;
  /** Served at /metrics; without one /metrics answers 404. */
  registry?: Registry;
  /** Named checks of /readyz, run concurrently on every request. */
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** A check that has not settled by then fails. Default 2000 ms. */
  checkTimeoutMs?: number;
  log: Logger;
}

export interface AdminServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  /** Stops accepting, lets requests in progress finish until the deadline (default 2 s), then cuts the rest. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

/**
 * Starts the admin server.
 * @throws AppError ERR_ADMIN_LISTEN_FAILED when the address cannot be bound.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log.child({ module: 'admin' });
  const checks = options.readiness ?? {};
  const checkTimeoutMs = options.checkTimeoutMs ?? 2000;
  const { registry } = options;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const head = req.method === 'HEAD';
    if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') {
      return send(res, head, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, head, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    if (path === '/healthz') return send(res, head, 200, 'text/plain; charset=utf-8', 'ok\n');
    if (path === '/readyz') {
      const report = await runReadinessChecks(checks, checkTimeoutMs);
      if (!report.ready) log.warn({ failed: report.failed }, 'not ready');
      return send(res, head, report.ready ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(report.body)}\n`);
    }
    if (registry === undefined) return send(res, head, 404, 'text/plain; charset=utf-8', 'no metrics\n');
    const text = await registry.metrics();
    return send(res, head, 200, registry.contentType, text);
  }

  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8192 }, (req, res) => {
    req.resume(); // no endpoint reads a body; drain whatever came
    route(req, res).catch((err: unknown) => {
      log.error({ err, code: err instanceof AppError ? err.code : 'ERR_INTERNAL', url: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, false, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      reject(new AppError('ERR_ADMIN_LISTEN_FAILED', `admin server cannot listen on ${host}:${options.port ?? 0}`, {
        cause: err, details: { host, port: options.port ?? 0 },
      }));
    };
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err, code: 'ERR_ADMIN_LISTEN_FAILED' }, 'admin server error'));

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log.info({ host: address.address, port: address.port }, 'admin server listening');
  let closing: Promise<void> | undefined;

  return {
    host: address.address,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    close(closeOptions = {}) {
      closing ??= new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), closeOptions.deadlineMs ?? 2000);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function send(res: ServerResponse, head: boolean, status: number, contentType: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}
