// Typed constructors, one per security event: callers pass camelCase facts, the constructor
// writes the ECS field names, so a field cannot be misspelt or forgotten. Pure: the time, the
// event id and the service come in through the context.
import {
  ECS_VERSION, EVENT_CATALOGUE, EVENT_DATASET,
  type AuthorizationDeniedCode, type ConnectionAcceptedCode, type ConnectionRefusedCode, type DropReason,
  type IdentityKind, type IdentityRotationFailedCode, type LimitExceededCode, type PeerQuarantinedCode,
  type PolicyBundleRefusedCode, type ProtectionViolationCode, type QshieldFields, type SecurityEvent,
  type SecurityEventAction,
} from './schema.ts';

/** What every event shares: supplied by the emitter. */
export interface EventContext {
  /** Milliseconds since the epoch. */
  readonly now: number;
  readonly id: string;
  readonly service: { readonly name: string; readonly version?: string; readonly nodeName?: string };
  /** Default `qshield.qmgr` when the input names none. */
  readonly qmgr?: string;
}

/** The remote end of a connection, as the gateway knows it after the handshake. */
export interface PeerInfo {
  readonly address?: string;
  readonly port?: number;
  /** SPIFFE id of the peer's verified SVID (`client.user.id`). */
  readonly spiffeId?: string;
}

/** The negotiated TLS parameters. */
export interface TlsInfo {
  /** As Node reports it (`socket.getProtocol()`): `TLSv1.3`, `TLSv1.2`. */
  readonly protocol?: string;
  /** Standard cipher suite name: `TLS_AES_256_GCM_SHA384`. */
  readonly cipher?: string;
  /** Negotiated key-exchange group: `X25519MLKEM768`, `X25519`, `P-256`. Written as ECS `tls.curve`. */
  readonly group?: string;
  /** SHA-256 fingerprint (hex) of the peer's leaf certificate. */
  readonly peerCertificateSha256?: string;
  /** The peer certificate's notAfter. */
  readonly peerCertificateNotAfter?: Date | string;
}

/** Where a request went. Name a queue or a topic string, not both. */
export interface TargetInfo {
  readonly qmgr?: string;
  readonly queue?: string;
  readonly topic?: string;
}

export interface ConnectionAcceptedInput {
  readonly code: ConnectionAcceptedCode;
  readonly peer: PeerInfo;
  readonly channel: string;
  /** The principal authorities are checked for (the SPIFFE id for `allow`, the mapped name for `map`). */
  readonly principal: string;
  /** The channel rule that admitted the peer. */
  readonly rule?: string;
  readonly reason?: string;
  readonly tls?: TlsInfo;
}

export interface ConnectionRefusedInput {
  readonly code: ConnectionRefusedCode;
  readonly peer: PeerInfo;
  readonly channel?: string;
  /** The rule that refused; absent for the back-stop and TLS-level refusals. */
  readonly rule?: string;
  readonly reason?: string;
  /** MQ reason code returned to the client; defaults to 2035 for rule-based refusals. */
  readonly reasonCode?: number;
  /** qshield error code behind the refusal (ERR_… of identity validation). */
  readonly errorCode?: string;
  readonly tls?: TlsInfo;
}

export interface AuthorizationDeniedInput extends TargetInfo {
  readonly code?: AuthorizationDeniedCode;
  readonly peer: PeerInfo;
  readonly channel?: string;
  readonly principal: string;
  /** The permission checked: `put`, `get`, `browse`, `inq`, `pub`, `sub`, `connect`, … */
  readonly operation: string;
  readonly objectType: 'qmgr' | 'queue' | 'topic';
  /** The profile that matched yet lacked the permission; absent when none matched. */
  readonly rule?: string;
  readonly reason?: string;
  /** Defaults to 2035 (MQRC_NOT_AUTHORIZED). */
  readonly reasonCode?: number;
}

export interface LimitExceededInput extends TargetInfo {
  readonly code: LimitExceededCode;
  readonly peer: PeerInfo;
  readonly channel?: string;
  readonly principal?: string;
  readonly operation?: string;
  /** The configured limit and what the request brought. */
  readonly limit: number;
  readonly observed?: number;
  readonly reason?: string;
  /** Defaults to 2030 (MQRC_MSG_TOO_BIG_FOR_Q) for message-too-large. */
  readonly reasonCode?: number;
}

export interface ProtectionViolationInput extends TargetInfo {
  readonly code: ProtectionViolationCode;
  /** refused: the gateway refused the put; quarantined: moved to the error queue. */
  readonly disposition: 'refused' | 'quarantined';
  readonly peer?: PeerInfo;
  readonly channel?: string;
  readonly principal?: string;
  readonly operation?: string;
  readonly messageId?: string;
  /** The ProtectionPolicy that applied. */
  readonly policy?: string;
  readonly requiredQop?: string;
  readonly foundQop?: string;
  /** Signer SPIFFE id, when the signature could be read. */
  readonly signer?: string;
  readonly errorQueue?: string;
  readonly rule?: string;
  readonly reason?: string;
  /** Defaults to 2063 (MQRC_SECURITY_ERROR). */
  readonly reasonCode?: number;
  readonly errorCode?: string;
}

export interface BundleCounts {
  readonly queues: number;
  readonly topics: number;
  readonly authorities: number;
  readonly channels: number;
  readonly protectionPolicies: number;
}

export interface PolicyBundleLoadedInput {
  readonly revision: string;
  readonly previousRevision?: string;
  /** SHA-256 (hex) of the bundle file as read. */
  readonly sha256?: string;
  readonly path?: string;
  readonly counts?: BundleCounts;
}

export interface PolicyBundleRefusedInput {
  readonly code: PolicyBundleRefusedCode;
  /** The revision the refused bundle claimed, if it could be read. */
  readonly revision?: string;
  /** The last good revision, still in force. */
  readonly activeRevision?: string;
  readonly sha256?: string;
  readonly path?: string;
  readonly errorCode?: string;
  /** Validation problems; the first 20 are kept, the total is always given. */
  readonly problems?: readonly { readonly path: string; readonly message: string }[];
  readonly reason?: string;
}

export interface IdentityRotatedInput {
  readonly kind: IdentityKind;
  readonly spiffeId?: string;
  /** SHA-256 fingerprint (hex) of the new certificate or bundle. */
  readonly sha256: string;
  readonly previousSha256?: string;
  readonly notAfter?: Date | string;
}

export interface IdentityRotationFailedInput {
  readonly code: IdentityRotationFailedCode;
  readonly kind: IdentityKind;
  readonly spiffeId?: string;
  /** Fingerprint of what was offered, if it could be read. */
  readonly sha256?: string;
  /** Fingerprint of the identity still in use. */
  readonly activeSha256?: string;
  /** notAfter of the identity still in use. */
  readonly notAfter?: Date | string;
  readonly errorCode?: string;
  readonly path?: string;
  readonly reason?: string;
}

export interface PeerQuarantinedInput {
  readonly code: PeerQuarantinedCode;
  readonly peer: PeerInfo;
  readonly channel?: string;
  readonly principal?: string;
  readonly until: Date | string;
  /** Events that tripped the quarantine, and the window they fell in. */
  readonly triggerCount?: number;
  readonly windowMs?: number;
  readonly reason?: string;
}

export interface EventsDroppedInput {
  readonly code: DropReason;
  /** Events dropped since the last report for this reason. */
  readonly dropped: number;
  readonly droppedTotal: number;
  /** The sink's origin (`https://siem.example`): never a path, query or credentials. */
  readonly destination?: string;
}

/** Longest string kept in any field: events must stay small whatever a peer sends. */
export const MAX_FIELD_LENGTH = 2048;
export const MAX_REASON_LENGTH = 1024;
export const MAX_BUNDLE_PROBLEMS = 20;

function clip(value: string, max = MAX_FIELD_LENGTH): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function iso(value: Date | string): string {
  return typeof value === 'string' ? value : value.toISOString();
}

const MESSAGES: Record<SecurityEventAction, string> = {
  'connection-accepted': 'connection accepted',
  'connection-refused': 'connection refused',
  'authorization-denied': 'authorization denied',
  'limit-exceeded': 'limit exceeded',
  'protection-violation': 'message protection violation',
  'policy-bundle-loaded': 'policy bundle loaded',
  'policy-bundle-refused': 'policy bundle refused',
  'identity-rotated': 'identity rotated',
  'identity-rotation-failed': 'identity rotation failed',
  'peer-quarantined': 'peer quarantined',
  'events-dropped': 'security events dropped',
};

type Draft = Omit<SecurityEvent, 'qshield'>;

// Key order is fixed (ECS sections first, qshield last) so every line reads the same way.
function base(ctx: EventContext, action: SecurityEventAction, code: string, reason: string | undefined): Draft {
  const spec = EVENT_CATALOGUE[action];
  const service: SecurityEvent['service'] = { name: ctx.service.name };
  if (ctx.service.version !== undefined) service.version = ctx.service.version;
  if (ctx.service.nodeName !== undefined) service.node = { name: ctx.service.nodeName };
  const event = { id: ctx.id, kind: spec.kind } as SecurityEvent['event'];
  if (spec.category.length > 0) event.category = [...spec.category];
  if (spec.type.length > 0) event.type = [...spec.type];
  event.action = action;
  event.outcome = spec.outcome;
  event.code = code;
  if (reason !== undefined) event.reason = clip(reason, MAX_REASON_LENGTH);
  event.dataset = EVENT_DATASET;
  return {
    '@timestamp': new Date(ctx.now).toISOString(),
    ecs: { version: ECS_VERSION },
    message: `${MESSAGES[action]}: ${code}`,
    event,
    service,
  };
}

/** Starts the qshield namespace: the queue manager first. */
function qfields(ctx: EventContext, qmgr?: string): QshieldFields {
  const q = qmgr ?? ctx.qmgr;
  return q === undefined ? {} : { qmgr: clip(q) };
}

function finish(ev: Draft, q: QshieldFields): SecurityEvent {
  (ev as SecurityEvent).qshield = q;
  return ev as SecurityEvent;
}

function addPeer(ev: Draft, peer: PeerInfo | undefined): void {
  if (peer === undefined) return;
  if (peer.address !== undefined || peer.port !== undefined) {
    ev.source = {};
    if (peer.address !== undefined) ev.source.ip = clip(peer.address, 64);
    if (peer.port !== undefined) ev.source.port = peer.port;
  }
  if (peer.spiffeId !== undefined) ev.client = { user: { id: clip(peer.spiffeId) } };
}

/** `TLSv1.3` → version `1.3`, protocol `tls` (ECS splits them). */
function splitProtocol(protocol: string): { version: string; protocol: string } {
  const m = /^(TLS|SSL)v(\d(?:\.\d)?)$/.exec(protocol);
  return m ? { version: m[2] as string, protocol: (m[1] as string).toLowerCase() } : { version: clip(protocol, 32), protocol: 'tls' };
}

function addTls(ev: Draft, tls: TlsInfo | undefined): void {
  if (tls === undefined) return;
  const out: NonNullable<SecurityEvent['tls']> = {};
  if (tls.protocol !== undefined) {
    const split = splitProtocol(tls.protocol);
    out.version = split.version;
    out.version_protocol = split.protocol;
  }
  if (tls.cipher !== undefined) out.cipher = clip(tls.cipher, 128);
  if (tls.group !== undefined) out.curve = clip(tls.group, 64);
  if (tls.peerCertificateSha256 !== undefined || tls.peerCertificateNotAfter !== undefined) {
    out.client = {};
    if (tls.peerCertificateSha256 !== undefined) out.client.hash = { sha256: clip(tls.peerCertificateSha256, 128) };
    if (tls.peerCertificateNotAfter !== undefined) out.client.not_after = iso(tls.peerCertificateNotAfter);
  }
  if (Object.keys(out).length > 0) ev.tls = out;
}

function addError(ev: Draft, code: string | undefined): void {
  if (code !== undefined) ev.error = { code: clip(code, 128) };
}

function addFile(ev: Draft, path: string | undefined): void {
  if (path !== undefined) ev.file = { path: clip(path) };
}

function addTarget(q: QshieldFields, target: TargetInfo): void {
  if (target.queue !== undefined) q.queue = clip(target.queue);
  if (target.topic !== undefined) q.topic = clip(target.topic);
}

function set<K extends keyof QshieldFields>(q: QshieldFields, key: K, value: QshieldFields[K] | undefined): void {
  if (value !== undefined) q[key] = value;
}

function optClip(value: string | undefined, max?: number): string | undefined {
  return value === undefined ? undefined : clip(value, max);
}

const RULE_REFUSALS: ReadonlySet<string> = new Set(['peer-blocked', 'address-blocked', 'back-stop', 'invalid-peer', 'peer-quarantined']);

export function buildConnectionAccepted(ctx: EventContext, input: ConnectionAcceptedInput): SecurityEvent {
  const ev = base(ctx, 'connection-accepted', input.code, input.reason);
  addPeer(ev, input.peer);
  addTls(ev, input.tls);
  const q = qfields(ctx);
  q.channel = clip(input.channel);
  q.principal = clip(input.principal);
  set(q, 'rule', optClip(input.rule));
  return finish(ev, q);
}

export function buildConnectionRefused(ctx: EventContext, input: ConnectionRefusedInput): SecurityEvent {
  const ev = base(ctx, 'connection-refused', input.code, input.reason);
  addPeer(ev, input.peer);
  addTls(ev, input.tls);
  addError(ev, input.errorCode);
  const q = qfields(ctx);
  set(q, 'channel', optClip(input.channel));
  set(q, 'rule', optClip(input.rule));
  set(q, 'reason_code', input.reasonCode ?? (RULE_REFUSALS.has(input.code) ? 2035 : undefined));
  return finish(ev, q);
}

export function buildAuthorizationDenied(ctx: EventContext, input: AuthorizationDeniedInput): SecurityEvent {
  const ev = base(ctx, 'authorization-denied', input.code ?? 'not-authorized', input.reason);
  addPeer(ev, input.peer);
  const q = qfields(ctx, input.qmgr);
  set(q, 'channel', optClip(input.channel));
  q.principal = clip(input.principal);
  q.operation = clip(input.operation, 32);
  q.object_type = input.objectType;
  addTarget(q, input);
  set(q, 'rule', optClip(input.rule));
  q.reason_code = input.reasonCode ?? 2035;
  return finish(ev, q);
}

export function buildLimitExceeded(ctx: EventContext, input: LimitExceededInput): SecurityEvent {
  const ev = base(ctx, 'limit-exceeded', input.code, input.reason);
  addPeer(ev, input.peer);
  const q = qfields(ctx, input.qmgr);
  set(q, 'channel', optClip(input.channel));
  set(q, 'principal', optClip(input.principal));
  set(q, 'operation', optClip(input.operation, 32));
  addTarget(q, input);
  q.limit = input.observed === undefined ? { max: input.limit } : { max: input.limit, observed: input.observed };
  set(q, 'reason_code', input.reasonCode ?? (input.code === 'message-too-large' ? 2030 : undefined));
  return finish(ev, q);
}

export function buildProtectionViolation(ctx: EventContext, input: ProtectionViolationInput): SecurityEvent {
  const ev = base(ctx, 'protection-violation', input.code, input.reason);
  addPeer(ev, input.peer);
  addError(ev, input.errorCode);
  const q = qfields(ctx, input.qmgr);
  set(q, 'channel', optClip(input.channel));
  set(q, 'principal', optClip(input.principal));
  set(q, 'operation', optClip(input.operation, 32));
  addTarget(q, input);
  set(q, 'message_id', optClip(input.messageId, 256));
  set(q, 'rule', optClip(input.rule));
  q.reason_code = input.reasonCode ?? 2063;
  const protection: NonNullable<QshieldFields['protection']> = { disposition: input.disposition };
  if (input.policy !== undefined) protection.policy = clip(input.policy);
  if (input.requiredQop !== undefined) protection.required_qop = clip(input.requiredQop, 32);
  if (input.foundQop !== undefined) protection.found_qop = clip(input.foundQop, 32);
  if (input.signer !== undefined) protection.signer = clip(input.signer);
  if (input.errorQueue !== undefined) protection.error_queue = clip(input.errorQueue);
  q.protection = protection;
  return finish(ev, q);
}

export function buildPolicyBundleLoaded(ctx: EventContext, input: PolicyBundleLoadedInput): SecurityEvent {
  const ev = base(ctx, 'policy-bundle-loaded', 'bundle-loaded', undefined);
  addFile(ev, input.path);
  const bundle: NonNullable<QshieldFields['bundle']> = { revision: clip(input.revision, 128) };
  if (input.previousRevision !== undefined) bundle.previous_revision = clip(input.previousRevision, 128);
  if (input.sha256 !== undefined) bundle.sha256 = clip(input.sha256, 128);
  if (input.counts !== undefined) {
    const c = input.counts;
    bundle.counts = { queues: c.queues, topics: c.topics, authorities: c.authorities, channels: c.channels, protection_policies: c.protectionPolicies };
  }
  const q = qfields(ctx);
  q.bundle = bundle;
  return finish(ev, q);
}

export function buildPolicyBundleRefused(ctx: EventContext, input: PolicyBundleRefusedInput): SecurityEvent {
  const ev = base(ctx, 'policy-bundle-refused', input.code, input.reason);
  addError(ev, input.errorCode);
  addFile(ev, input.path);
  const bundle: NonNullable<QshieldFields['bundle']> = {};
  if (input.revision !== undefined) bundle.revision = clip(input.revision, 128);
  if (input.activeRevision !== undefined) bundle.active_revision = clip(input.activeRevision, 128);
  if (input.sha256 !== undefined) bundle.sha256 = clip(input.sha256, 128);
  if (input.problems !== undefined) {
    bundle.problems = input.problems.slice(0, MAX_BUNDLE_PROBLEMS).map((p) => ({ path: clip(p.path, 256), message: clip(p.message, 512) }));
    bundle.problems_total = input.problems.length;
  }
  const q = qfields(ctx);
  q.bundle = bundle;
  return finish(ev, q);
}

export function buildIdentityRotated(ctx: EventContext, input: IdentityRotatedInput): SecurityEvent {
  const ev = base(ctx, 'identity-rotated', 'identity-rotated', undefined);
  const identity: NonNullable<QshieldFields['identity']> = { kind: input.kind };
  if (input.spiffeId !== undefined) identity.spiffe_id = clip(input.spiffeId);
  identity.sha256 = clip(input.sha256, 128);
  if (input.previousSha256 !== undefined) identity.previous_sha256 = clip(input.previousSha256, 128);
  if (input.notAfter !== undefined) identity.not_after = iso(input.notAfter);
  const q = qfields(ctx);
  q.identity = identity;
  return finish(ev, q);
}

export function buildIdentityRotationFailed(ctx: EventContext, input: IdentityRotationFailedInput): SecurityEvent {
  const ev = base(ctx, 'identity-rotation-failed', input.code, input.reason);
  addError(ev, input.errorCode);
  addFile(ev, input.path);
  const identity: NonNullable<QshieldFields['identity']> = { kind: input.kind };
  if (input.spiffeId !== undefined) identity.spiffe_id = clip(input.spiffeId);
  if (input.sha256 !== undefined) identity.sha256 = clip(input.sha256, 128);
  if (input.activeSha256 !== undefined) identity.active_sha256 = clip(input.activeSha256, 128);
  if (input.notAfter !== undefined) identity.not_after = iso(input.notAfter);
  const q = qfields(ctx);
  q.identity = identity;
  return finish(ev, q);
}

export function buildPeerQuarantined(ctx: EventContext, input: PeerQuarantinedInput): SecurityEvent {
  const ev = base(ctx, 'peer-quarantined', input.code, input.reason);
  addPeer(ev, input.peer);
  const q = qfields(ctx);
  set(q, 'channel', optClip(input.channel));
  set(q, 'principal', optClip(input.principal));
  const quarantine: NonNullable<QshieldFields['quarantine']> = { until: iso(input.until) };
  if (input.triggerCount !== undefined) quarantine.trigger_count = input.triggerCount;
  if (input.windowMs !== undefined) quarantine.window_ms = input.windowMs;
  q.quarantine = quarantine;
  return finish(ev, q);
}

export function buildEventsDropped(ctx: EventContext, input: EventsDroppedInput): SecurityEvent {
  const ev = base(ctx, 'events-dropped', input.code, undefined);
  const q = qfields(ctx);
  q.sink = { dropped: input.dropped, dropped_total: input.droppedTotal };
  if (input.destination !== undefined) q.sink.destination = clip(input.destination, 256);
  return finish(ev, q);
}

/** Every constructor by the action it builds. */
export const BUILDERS = {
  'connection-accepted': buildConnectionAccepted,
  'connection-refused': buildConnectionRefused,
  'authorization-denied': buildAuthorizationDenied,
  'limit-exceeded': buildLimitExceeded,
  'protection-violation': buildProtectionViolation,
  'policy-bundle-loaded': buildPolicyBundleLoaded,
  'policy-bundle-refused': buildPolicyBundleRefused,
  'identity-rotated': buildIdentityRotated,
  'identity-rotation-failed': buildIdentityRotationFailed,
  'peer-quarantined': buildPeerQuarantined,
  'events-dropped': buildEventsDropped,
} as const satisfies Record<SecurityEventAction, (ctx: EventContext, input: never) => SecurityEvent>;
