// Wires the observability of one component: a registry and its metrics, the security-event
// emitter with its optional HTTP sink, and the admin server, with one shutdown in the right
// order (readiness fails first, events are flushed, the admin port closes last).
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log/index.ts';
import { startAdminServer, type AdminServer, type ReadinessCheck } from '../admin/index.ts';
import { createHttpSink, createSecurityEvents, type HttpSink, type HttpSinkOptions, type SecurityEvents } from '../events/index.ts';
import { createGatewayMetrics, createMetricsRegistry, type GatewayMetrics } from '../metrics/index.ts';

export interface ObservabilityOptions {
  log: Logger;
  /** `service.*` of every event: `qshield-gateway`, `qshield-sidecar`. */
  service: { name: string; version?: string; nodeName?: string };
  qmgr?: string;
  /** The SIEM sink; absent = events go to the log only. */
  sink?: Omit<HttpSinkOptions, 'log'>;
  /** Admin listener; defaults 127.0.0.1 and port 0. */
  admin?: { host?: string; port?: number; checkTimeoutMs?: number };
  /** Readiness checks known at start; more with addReadinessCheck. */
  readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** Export process_* and nodejs_* metrics (one registry per process). Default true. */
  processMetrics?: boolean;
  maxChannels?: number;
}

export interface Observability {
  readonly registry: Registry;
  readonly metrics: GatewayMetrics;
  readonly events: SecurityEvents;
  readonly sink: HttpSink | undefined;
  readonly admin: AdminServer;
  /** Adds or replaces a named readiness check. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** /readyz answers 503 (`draining`) from now on, so load balancers stop sending traffic. */
  startDraining(): void;
  /** Drains, flushes the events within the deadline (default 5 s), then closes the admin port. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/**
 * Starts the observability of a component.
 * @throws AppError ERR_CONFIG_INVALID or ERR_FILE_IO for bad sink options; ERR_ADMIN_LISTEN_FAILED
 *   when the admin port cannot be bound (nothing is left running then).
 */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  // The sink first: bad options are refused before anything else exists.
  const sink = options.sink === undefined ? undefined : createHttpSink({ ...options.sink, log: options.log });
  const registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
  const metrics = createGatewayMetrics(registry, { maxChannels: options.maxChannels });
  if (sink !== undefined) metrics.trackEventSink(sink);
  const events = createSecurityEvents({ log: options.log, sink, metrics, service: options.service, qmgr: options.qmgr });
  let draining = false;
  const checks: Record<string, ReadinessCheck> = {
    draining: () => (draining ? { ok: false, reason: 'shutting down' } : true),
    ...options.readiness,
  };
  let admin: AdminServer;
  try {
    admin = await startAdminServer({ ...options.admin, registry, readiness: checks, log: options.log });
  } catch (err) {
    await events.close({ deadlineMs: 0 });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    registry,
    metrics,
    events,
    sink,
    admin,
    addReadinessCheck(name, check) {
      checks[name] = check;
    },
    startDraining() {
      draining = true;
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        draining = true;
        await events.close({ deadlineMs: closeOptions.deadlineMs ?? 5000 });
        await admin.close();
      })();
      return closing;
    },
  };
}
