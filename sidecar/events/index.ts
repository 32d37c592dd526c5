export {
  createSecurityEvents, DEFAULT_DROP_REPORT_INTERVAL_MS,
  type SecurityEvents, type SecurityEventsOptions, type EventSink, type SecurityEventCounters, type ChannelDecisionInput, type AuthorityDecisionInput,
} from './security-events.ts';
export { connectionCode, channelRuleName, authorityRuleName, protectionViolationFor, ENVELOPE_VIOLATIONS } from './from-policy.ts';
export { createHttpSink, SINK_DEFAULTS, type HttpSink, type HttpSinkOptions, type HttpSinkStats, type SinkFormat } from './http-sink.ts';
export type { SinkTransport, SinkRequest, SinkResponse } from './undici-transport.ts';
export type {
  PeerInfo, TlsInfo, TargetInfo, ConnectionAcceptedInput, ConnectionRefusedInput, AuthorizationDeniedInput, LimitExceededInput,
  ProtectionViolationInput, PolicyBundleLoadedInput, PolicyBundleRefusedInput, IdentityRotatedInput, IdentityRotationFailedInput,
  PeerQuarantinedInput, EventsDroppedInput, BundleCounts,
} from './build-event.ts';
export {
  ECS_VERSION, EVENT_DATASET, EVENT_CATALOGUE, EVENT_ACTIONS, DENIAL_CODES, DROP_REASONS,
  CONNECTION_ACCEPTED_CODES, CONNECTION_REFUSED_CODES, AUTHORIZATION_DENIED_CODES, LIMIT_EXCEEDED_CODES, PROTECTION_VIOLATION_CODES,
  POLICY_BUNDLE_REFUSED_CODES, IDENTITY_ROTATION_FAILED_CODES, PEER_QUARANTINED_CODES,
  type SecurityEvent, type SecurityEventAction, type DropReason, type IdentityKind,
} from './schema.ts';
