// The security-event catalogue: every event qshield emits, its fixed ECS categorization and the
// closed vocabulary of its `event.code`. docs/security-events.md documents each; a unit test
// keeps the two in step. Field names follow ECS (Elastic Common Schema) 8.x.

export const ECS_VERSION = '8.11.0';
export const EVENT_DATASET = 'qshield.security';

/** Refusal codes of `connection-refused`. Rule-based ones mirror lib/policy's ChannelOutcome. */
export const CONNECTION_REFUSED_CODES = [
  'peer-blocked', // a peer rule `block` matched
  'address-blocked', // an address rule `block` matched
  'back-stop', // no peer rule matched: blocked by default
  'invalid-peer', // the SPIFFE id or remote address could not be parsed
  'identity-invalid', // the client certificate failed SVID validation (expired, foreign CA, …)
  'no-client-certificate', // the handshake carried no client certificate
  'tls-too-weak', // TLS version or key exchange weaker than the channel requires
  'unknown-channel', // the connection named no channel of the queue manager and none is the default
  'peer-quarantined', // the peer is under adaptive quarantine
] as const;
export const CONNECTION_ACCEPTED_CODES = ['peer-allowed', 'peer-mapped'] as const;
export const AUTHORIZATION_DENIED_CODES = ['not-authorized'] as const;
export const LIMIT_EXCEEDED_CODES = ['message-too-large', 'rate-limited', 'long-poll-limit'] as const;
/** AMS-style reasons a message is refused on put or quarantined to the error queue. */
export const PROTECTION_VIOLATION_CODES = [
  'not-protected', // no envelope where the policy demands one (toleration off)
  'qop-mismatch', // an envelope of another quality of protection than the policy's
  'signer-not-authorized', // a valid signature by a signer the policy does not list
  'signature-invalid', // the signature does not verify or its chain is not trusted
  'certificate-invalid', // a signer or recipient certificate is not valid for protection
  'not-a-recipient', // no key of the receiving workload is among the message's recipients
  'decryption-failed', // the content key did not unwrap, or authenticated decryption failed
  'destination-mismatch', // signed for another queue manager, queue or message id
  'strength-mismatch', // an algorithm or key of the envelope is weaker than the policy allows
  'size-mismatch', // a size limit or an inner length is violated
  'channel-too-weak', // the connection is weaker than the policy's minimum channel strength
  'envelope-malformed', // not a well-formed envelope
  'unknown', // any other failure
] as const;
export const POLICY_BUNDLE_LOADED_CODES = ['bundle-loaded'] as const;
export const POLICY_BUNDLE_REFUSED_CODES = ['bundle-invalid', 'bundle-unreadable'] as const;
export const IDENTITY_ROTATED_CODES = ['identity-rotated'] as const;
export const IDENTITY_ROTATION_FAILED_CODES = ['identity-invalid', 'files-unreadable', 'key-mismatch'] as const;
export const PEER_QUARANTINED_CODES = ['denial-threshold', 'protection-violations'] as const;
/** Why the HTTP sink dropped events; also the `reason` label of qshield_security_events_dropped_total. */
export const DROP_REASONS = ['buffer-full', 'too-large', 'rejected', 'retries-exhausted', 'shutdown'] as const;

export type ConnectionRefusedCode = (typeof CONNECTION_REFUSED_CODES)[number];
export type ConnectionAcceptedCode = (typeof CONNECTION_ACCEPTED_CODES)[number];
export type AuthorizationDeniedCode = (typeof AUTHORIZATION_DENIED_CODES)[number];
export type LimitExceededCode = (typeof LIMIT_EXCEEDED_CODES)[number];
export type ProtectionViolationCode = (typeof PROTECTION_VIOLATION_CODES)[number];
export type PolicyBundleRefusedCode = (typeof POLICY_BUNDLE_REFUSED_CODES)[number];
export type IdentityRotationFailedCode = (typeof IDENTITY_ROTATION_FAILED_CODES)[number];
export type PeerQuarantinedCode = (typeof PEER_QUARANTINED_CODES)[number];
export type DropReason = (typeof DROP_REASONS)[number];

export type EcsKind = 'event' | 'alert' | 'pipeline_error';
export type EcsOutcome = 'success' | 'failure' | 'unknown';
export type EventLevel = 'info' | 'warn';

/** The fixed part of one event: never chosen by the caller. */
export interface EventSpec {
  readonly kind: EcsKind;
  readonly category: readonly string[];
  readonly type: readonly string[];
  readonly outcome: EcsOutcome;
  /** pino level of the log line. */
  readonly level: EventLevel;
  /** Counted in qshield_denials_total by `event.code`. */
  readonly denial: boolean;
  readonly codes: readonly string[];
}

export const EVENT_CATALOGUE = {
  'connection-accepted': {
    kind: 'event', category: ['network', 'authentication'], type: ['connection', 'start', 'allowed'],
    outcome: 'success', level: 'info', denial: false, codes: CONNECTION_ACCEPTED_CODES,
  },
  'connection-refused': {
    kind: 'event', category: ['network', 'authentication'], type: ['connection', 'denied'],
    outcome: 'failure', level: 'info', denial: true, codes: CONNECTION_REFUSED_CODES,
  },
  'authorization-denied': {
    kind: 'event', category: ['api'], type: ['access', 'denied'],
    outcome: 'failure', level: 'info', denial: true, codes: AUTHORIZATION_DENIED_CODES,
  },
  'limit-exceeded': {
    kind: 'event', category: ['api'], type: ['denied'],
    outcome: 'failure', level: 'info', denial: true, codes: LIMIT_EXCEEDED_CODES,
  },
  'protection-violation': {
    kind: 'alert', category: ['intrusion_detection'], type: ['denied'],
    outcome: 'failure', level: 'warn', denial: true, codes: PROTECTION_VIOLATION_CODES,
  },
  'policy-bundle-loaded': {
    kind: 'event', category: ['configuration'], type: ['change'],
    outcome: 'success', level: 'info', denial: false, codes: POLICY_BUNDLE_LOADED_CODES,
  },
  'policy-bundle-refused': {
    kind: 'event', category: ['configuration'], type: ['change'],
    outcome: 'failure', level: 'warn', denial: false, codes: POLICY_BUNDLE_REFUSED_CODES,
  },
  'identity-rotated': {
    kind: 'event', category: ['configuration'], type: ['change'],
    outcome: 'success', level: 'info', denial: false, codes: IDENTITY_ROTATED_CODES,
  },
  'identity-rotation-failed': {
    kind: 'event', category: ['configuration'], type: ['change'],
    outcome: 'failure', level: 'warn', denial: false, codes: IDENTITY_ROTATION_FAILED_CODES,
  },
  'peer-quarantined': {
    kind: 'alert', category: ['intrusion_detection', 'network'], type: ['denied'],
    outcome: 'success', level: 'warn', denial: false, codes: PEER_QUARANTINED_CODES,
  },
  'events-dropped': {
    kind: 'pipeline_error', category: [], type: [],
    outcome: 'failure', level: 'warn', denial: false, codes: DROP_REASONS,
  },
} as const satisfies Record<string, EventSpec>;

export type SecurityEventAction = keyof typeof EVENT_CATALOGUE;
export const EVENT_ACTIONS = Object.keys(EVENT_CATALOGUE) as SecurityEventAction[];

/** Every `event.code` a denial event can carry: the `reason` label of qshield_denials_total. */
export const DENIAL_CODES: readonly string[] = [
  ...new Set(Object.values(EVENT_CATALOGUE).filter((s) => s.denial).flatMap((s) => s.codes)),
];

/**
 * One security event as written to the sink: ECS field names, nested objects. Optional parts
 * are present only when the caller knew them; docs/security-events.md lists which.
 */
export interface SecurityEvent {
  '@timestamp': string;
  ecs: { version: string };
  message: string;
  event: {
    id: string;
    kind: EcsKind;
    category?: string[];
    type?: string[];
    action: SecurityEventAction;
    outcome: EcsOutcome;
    code: string;
    reason?: string;
    dataset: string;
  };
  service: { name: string; version?: string; node?: { name: string } };
  source?: { ip?: string; port?: number };
  client?: { user: { id: string } };
  tls?: {
    version?: string;
    version_protocol?: string;
    cipher?: string;
    curve?: string;
    client?: { hash?: { sha256: string }; not_after?: string };
  };
  error?: { code: string };
  file?: { path: string };
  qshield: QshieldFields;
}

/** The `qshield.*` namespace: what ECS has no field for. */
export interface QshieldFields {
  qmgr?: string;
  channel?: string;
  principal?: string;
  rule?: string;
  reason_code?: number;
  operation?: string;
  object_type?: string;
  queue?: string;
  topic?: string;
  message_id?: string;
  limit?: { max: number; observed?: number };
  protection?: {
    disposition: 'refused' | 'quarantined';
    policy?: string;
    required_qop?: string;
    found_qop?: string;
    signer?: string;
    error_queue?: string;
  };
  bundle?: {
    revision?: string;
    previous_revision?: string;
    active_revision?: string;
    sha256?: string;
    counts?: { queues: number; topics: number; authorities: number; channels: number; protection_policies: number };
    problems?: { path: string; message: string }[];
    problems_total?: number;
  };
  identity?: {
    kind: IdentityKind;
    spiffe_id?: string;
    sha256?: string;
    previous_sha256?: string;
    active_sha256?: string;
    not_after?: string;
  };
  quarantine?: { until: string; trigger_count?: number; window_ms?: number };
  sink?: { dropped: number; dropped_total: number; destination?: string };
}

export type IdentityKind = 'svid' | 'trust-bundle' | 'message-keyring';
