// The gateway's Prometheus metrics on an injected prom-client registry (never the global one):
// requests, denials, latency, broker health, TLS, policy bundle, security events, connections
// and long-polls. Methods take typed, bounded label values; see docs/metrics.md.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DENIAL_CODES, DROP_REASONS, EVENT_ACTIONS, EVENT_CATALOGUE, type DropReason, type SecurityEventAction } from '../events/schema.ts';
import type { SecurityEventCounters } from '../events/security-events.ts';
import {
  BROKER_DRIVERS, CappedLabel, HANDSHAKE_FAILURES, OPERATIONS, OUTCOMES, TLS_VERSIONS, oneOf, outcomeForStatus, tlsGroupLabel,
  type HandshakeFailure, type Operation,
} from './labels.ts';

/** Seconds; from 100 µs (a denied request) through 60 s (a long-poll get at its wait limit). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export interface GatewayMetricsOptions {
  /** Channels counted under their own name; beyond this many they count as `other`. Default 64. */
  maxChannels?: number;
}

/** What the sink exposes to the buffer gauges. */
export interface SinkStatsSource {
  stats(): { readonly bufferedEvents: number; readonly bufferedBytes: number };
}

export interface GatewayMetrics extends SecurityEventCounters {
  readonly registry: Registry;
  /** Counts one finished request and observes its latency. */
  observeRequest(operation: Operation, status: number, seconds: number): void;
  /** Starts a latency clock; call the result with the HTTP status when the response is written. */
  startRequest(operation: Operation): (status: number) => void;
  setBrokerUp(driver: string, up: boolean): void;
  brokerReconnected(driver: string): void;
  /** A completed handshake: protocol as Node reports it (`TLSv1.3`), the negotiated group. */
  tlsHandshake(protocol: string | undefined, group: string | undefined): void;
  tlsHandshakeFailed(reason: HandshakeFailure): void;
  /** A bundle took effect: the revision becomes the one series of qshield_policy_bundle_info. */
  policyBundleLoaded(revision: string, atMs?: number): void;
  policyBundleReloadFailed(): void;
  connectionOpened(channel: string): void;
  connectionClosed(channel: string): void;
  longPollStarted(): void;
  longPollEnded(): void;
  /** Exposes the sink's buffer as gauges, read at scrape time. */
  trackEventSink(sink: SinkStatsSource): void;
  /** Exposes the number of leases held (messages taken and not yet acked, released or expired), read at scrape time. */
  trackLeases(source: { readonly size: number }): void;
}

const OPERATION_SET: ReadonlySet<string> = new Set(OPERATIONS);
const VERSION_SET: ReadonlySet<string> = new Set(TLS_VERSIONS);
const FAILURE_SET: ReadonlySet<string> = new Set(HANDSHAKE_FAILURES);
const DRIVER_SET: ReadonlySet<string> = new Set(BROKER_DRIVERS);
const DENIAL_SET: ReadonlySet<string> = new Set(DENIAL_CODES);
const ACTION_SET: ReadonlySet<string> = new Set(EVENT_ACTIONS);
const DROP_SET: ReadonlySet<string> = new Set(DROP_REASONS);

/**
 * Registers the gateway metric set on `registry`.
 * @throws Error from prom-client when the registry already holds a metric of the same name.
 */
export function createGatewayMetrics(registry: Registry, options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registers = [registry];
  const channels = new CappedLabel(options.maxChannels ?? 64);

  const requests = new Counter({
    name: 'qshield_requests_total', help: 'REST API requests by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const, registers,
  });
  const latency = new Histogram({
    name: 'qshield_request_duration_seconds', help: 'REST API request latency, from the request to the last byte of the response; gets include their wait.',
    labelNames: ['operation'] as const, buckets: [...LATENCY_BUCKETS], registers,
  });
  const denials = new Counter({
    name: 'qshield_denials_total', help: 'Refused connections, requests and messages, by the event.code of their security event.',
    labelNames: ['reason'] as const, registers,
  });
  const brokerUp = new Gauge({
    name: 'qshield_broker_up', help: 'Whether the broker driver is connected (1) or not (0).',
    labelNames: ['driver'] as const, registers,
  });
  const brokerReconnects = new Counter({
    name: 'qshield_broker_reconnects_total', help: 'Broker connections re-established after a loss.',
    labelNames: ['driver'] as const, registers,
  });
  const handshakes = new Counter({
    name: 'qshield_tls_handshakes_total', help: 'Completed TLS handshakes by protocol version and key-exchange group.',
    labelNames: ['version', 'group'] as const, registers,
  });
  const handshakeFailures = new Counter({
    name: 'qshield_tls_handshake_failures_total', help: 'TLS handshakes that failed, by reason.',
    labelNames: ['reason'] as const, registers,
  });
  const bundleInfo = new Gauge({
    name: 'qshield_policy_bundle_info', help: 'The policy bundle in force: one series, value 1, labelled with its revision.',
    labelNames: ['revision'] as const, registers,
  });
  const bundleLoaded = new Gauge({
    name: 'qshield_policy_bundle_loaded_timestamp_seconds', help: 'When the policy bundle in force took effect (Unix time).', registers,
  });
  const bundleFailures = new Counter({
    name: 'qshield_policy_bundle_reload_failures_total', help: 'Policy bundles refused; the last good bundle stayed in force.', registers,
  });
  const events = new Counter({
    name: 'qshield_security_events_total', help: 'Security events emitted, by event.action.',
    labelNames: ['action'] as const, registers,
  });
  const dropped = new Counter({
    name: 'qshield_security_events_dropped_total', help: 'Security events the HTTP sink dropped, by reason (they are still in the log).',
    labelNames: ['reason'] as const, registers,
  });
  let sink: SinkStatsSource | undefined;
  new Gauge({
    name: 'qshield_security_event_sink_buffered_events', help: 'Security events held by the HTTP sink, in flight included.', registers,
    collect() {
      this.set(sink?.stats().bufferedEvents ?? 0);
    },
  });
  new Gauge({
    name: 'qshield_security_event_sink_buffered_bytes', help: 'Bytes of security events held by the HTTP sink, in flight included.', registers,
    collect() {
      this.set(sink?.stats().bufferedBytes ?? 0);
    },
  });
  const connections = new Gauge({
    name: 'qshield_active_connections', help: 'Open client connections, by channel.',
    labelNames: ['channel'] as const, registers,
  });
  const longPolls = new Gauge({
    name: 'qshield_long_polls_in_flight', help: 'Gets waiting for a message (wait > 0).', registers,
  });
  let leaseSource: { readonly size: number } | undefined;
  new Gauge({
    name: 'qshield_leases_held', help: 'Messages held under a lease: taken, not yet acked, released or expired.', registers,
    collect() {
      this.set(leaseSource?.size ?? 0);
    },
  });

  // Known series start at 0, so the first increment shows in rate() and increase().
  for (const operation of OPERATIONS) for (const outcome of OUTCOMES) requests.inc({ operation, outcome }, 0);
  for (const reason of DENIAL_CODES) denials.inc({ reason }, 0);
  for (const action of EVENT_ACTIONS) events.inc({ action }, 0);
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
  for (const reason of HANDSHAKE_FAILURES) handshakeFailures.inc({ reason }, 0);
  bundleFailures.inc(0);
  longPolls.set(0);

  function observeRequest(operation: Operation, status: number, seconds: number): void {
    const op = oneOf(operation, OPERATION_SET);
    requests.inc({ operation: op, outcome: outcomeForStatus(status) });
    latency.observe({ operation: op }, seconds);
  }

  return {
    registry,
    observeRequest,
    startRequest(operation) {
      const start = performance.now();
      return (status) => observeRequest(operation, status, (performance.now() - start) / 1000);
    },
    setBrokerUp: (driver, up) => brokerUp.set({ driver: oneOf(driver, DRIVER_SET) }, up ? 1 : 0),
    brokerReconnected: (driver) => brokerReconnects.inc({ driver: oneOf(driver, DRIVER_SET) }),
    tlsHandshake: (protocol, group) => handshakes.inc({ version: oneOf(protocol, VERSION_SET), group: tlsGroupLabel(group) }),
    tlsHandshakeFailed: (reason) => handshakeFailures.inc({ reason: oneOf(reason, FAILURE_SET) }),
    policyBundleLoaded(revision, atMs = Date.now()) {
      bundleInfo.reset();
      bundleInfo.set({ revision: revision.slice(0, 128) }, 1);
      bundleLoaded.set(atMs / 1000);
    },
    policyBundleReloadFailed: () => bundleFailures.inc(),
    connectionOpened: (channel) => connections.inc({ channel: channels.value(channel) }),
    connectionClosed: (channel) => connections.dec({ channel: channels.value(channel) }),
    longPollStarted: () => longPolls.inc(),
    longPollEnded: () => longPolls.dec(),
    trackEventSink(source) {
      sink = source;
    },
    trackLeases(source) {
      leaseSource = source;
    },
    eventEmitted(action: SecurityEventAction, code: string) {
      const a = oneOf(action, ACTION_SET);
      events.inc({ action: a });
      if (a !== 'other' && EVENT_CATALOGUE[action].denial) denials.inc({ reason: oneOf(code, DENIAL_SET) });
    },
    eventsDropped(reason: DropReason, count: number) {
      dropped.inc({ reason: oneOf(reason, DROP_SET) }, count);
    },
  };
}
