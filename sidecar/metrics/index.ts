export { createMetricsRegistry, type MetricsRegistryOptions } from './metrics-registry.ts';
export { createGatewayMetrics, LATENCY_BUCKETS, type GatewayMetrics, type GatewayMetricsOptions, type SinkStatsSource } from './gateway-metrics.ts';
export {
  OPERATIONS, OUTCOMES, TLS_GROUPS, TLS_VERSIONS, HANDSHAKE_FAILURES, BROKER_DRIVERS, CappedLabel, outcomeForStatus, tlsGroupLabel,
  type Operation, type Outcome, type HandshakeFailure,
} from './labels.ts';
