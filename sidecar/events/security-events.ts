// The security-event emitter: one typed method per event, each writing one JSON line to the
// injected pino logger and, when a sink is configured, handing the ECS document to it (O(1),
// never blocking). Sink losses are counted and reported as `events-dropped` events.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../lib/log/index.ts';
import type { AuthorityDecision, ChannelDecision } from '../../lib/policy/index.ts';
import {
  buildAuthorizationDenied, buildConnectionAccepted, buildConnectionRefused, buildEventsDropped, buildIdentityRotated,
  buildIdentityRotationFailed, buildLimitExceeded, buildPeerQuarantined, buildPolicyBundleLoaded, buildPolicyBundleRefused,
  buildProtectionViolation,
  type AuthorizationDeniedInput, type ConnectionAcceptedInput, type ConnectionRefusedInput, type EventContext,
  type IdentityRotatedInput, type IdentityRotationFailedInput, type LimitExceededInput, type PeerQuarantinedInput,
  type PeerInfo, type PolicyBundleLoadedInput, type PolicyBundleRefusedInput, type ProtectionViolationInput, type TlsInfo,
} from './build-event.ts';
import { authorityRuleName, channelRuleName, connectionCode } from './from-policy.ts';
import {
  EVENT_CATALOGUE, type ConnectionAcceptedCode, type ConnectionRefusedCode, type DropReason, type SecurityEvent, type SecurityEventAction,
} from './schema.ts';

/** Where events go besides the log: the HTTP sink implements this. */
export interface EventSink {
  /** Takes one serialized ECS document; false when it was dropped (and counted). Never throws, O(1). */
  enqueue(line: string): boolean;
  /** Registers the listener told about every drop; called once by the emitter. */
  onDrop?(listener: (reason: DropReason, count: number) => void): void;
  /** Origin of the destination, for `events-dropped` events. Never a path, query or token. */
  readonly destination?: string;
  /** Delivers what is buffered within the deadline, drops (and reports) the rest. */
  close?(options?: { deadlineMs?: number }): Promise<unknown>;
}

/** What the emitter counts; GatewayMetrics implements it. */
export interface SecurityEventCounters {
  eventEmitted(action: SecurityEventAction, code: string): void;
  eventsDropped(reason: DropReason, count: number): void;
}

export interface SecurityEventsOptions {
  /**
   * The process logger. Events go to a child (`module: security-events`) pinned at level
   * `info`: an audit record is not filtered out by an operational log level.
   */
  log: Logger;
  /** `service.*`: name (`qshield-gateway`), version, node name (the pod). */
  service: { name: string; version?: string; nodeName?: string };
  /** `qshield.qmgr` of every event that names no other. */
  qmgr?: string;
  sink?: EventSink;
  metrics?: SecurityEventCounters;
  /** Clock (ms since the epoch); tests inject one. */
  now?: () => number;
  /** `event.id` generator; the default is a random UUID, so a SIEM can drop retried duplicates. */
  newId?: () => string;
  /** Drops are reported at most this often per reason (default 10 s); counters are exact at once. */
  dropReportIntervalMs?: number;
}

/** A channel decision of lib/policy with what the gateway knows of the connection. */
export interface ChannelDecisionInput {
  readonly channel: string;
  readonly decision: ChannelDecision;
  readonly peer: PeerInfo;
  readonly tls?: TlsInfo;
}

/** An authority decision of lib/policy with who asked and from where. */
export interface AuthorityDecisionInput {
  readonly decision: AuthorityDecision;
  readonly peer: PeerInfo;
  /** The principal the request was checked for. */
  readonly principal: string;
  readonly channel?: string;
  readonly qmgr?: string;
}

export interface SecurityEvents {
  /** connection-accepted when the decision allowed the peer, else connection-refused; code, rule and reason from the decision. */
  channelDecision(input: ChannelDecisionInput): SecurityEvent;
  /** authorization-denied when the decision denied; undefined when it allowed (allowed requests are not events). */
  authorizationDecision(input: AuthorityDecisionInput): SecurityEvent | undefined;
  connectionAccepted(input: ConnectionAcceptedInput): SecurityEvent;
  connectionRefused(input: ConnectionRefusedInput): SecurityEvent;
  authorizationDenied(input: AuthorizationDeniedInput): SecurityEvent;
  limitExceeded(input: LimitExceededInput): SecurityEvent;
  protectionViolation(input: ProtectionViolationInput): SecurityEvent;
  policyBundleLoaded(input: PolicyBundleLoadedInput): SecurityEvent;
  policyBundleRefused(input: PolicyBundleRefusedInput): SecurityEvent;
  identityRotated(input: IdentityRotatedInput): SecurityEvent;
  identityRotationFailed(input: IdentityRotationFailedInput): SecurityEvent;
  peerQuarantined(input: PeerQuarantinedInput): SecurityEvent;
  /** Reports pending drops now, then closes the sink within the deadline (default 5 s). Later events go to the log only. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export const DEFAULT_DROP_REPORT_INTERVAL_MS = 10_000;

/** Creates the emitter. Never throws after construction: emitting an event cannot fail a request. */
export function createSecurityEvents(options: SecurityEventsOptions): SecurityEvents {
  // Pinned at info: an audit record is not filtered by the operational log level. No redaction:
  // events are built by the typed constructors only, whose field names never include a
  // redacted key (a unit test holds that), and pino's wildcard redaction would cost ~5x the
  // rest of the line.
  const log = options.log.child({ module: 'security-events' }, { level: 'info', redact: [] });
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const { sink, metrics } = options;
  const interval = options.dropReportIntervalMs ?? DEFAULT_DROP_REPORT_INTERVAL_MS;
  const service = options.service;
  let closed = false;

  const context = (): EventContext => ({ now: now(), id: newId(), service, qmgr: options.qmgr });

  function emit(ev: SecurityEvent): SecurityEvent {
    const spec = EVENT_CATALOGUE[ev.event.action];
    // The pino line carries the message as `msg`; the sink document keeps ECS's `message`.
    const { message, ...fields } = ev;
    log[spec.level](fields, message);
    metrics?.eventEmitted(ev.event.action, ev.event.code);
    if (sink !== undefined && !closed) sink.enqueue(JSON.stringify(ev));
    return ev;
  }

  // Drop reporting: counters move at once; events are aggregated so a dead sink produces one
  // event per reason per interval, and reporting a drop can never loop on itself.
  const pending = new Map<DropReason, number>();
  const totals = new Map<DropReason, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastReport = -Infinity;
  let reporting = false;

  function reportDrops(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    lastReport = now();
    const batch = [...pending];
    pending.clear();
    reporting = true;
    try {
      for (const [reason, dropped] of batch) {
        emit(buildEventsDropped(context(), { code: reason, dropped, droppedTotal: totals.get(reason) ?? dropped, destination: sink?.destination }));
      }
    } finally {
      reporting = false;
    }
  }

  function onDrop(reason: DropReason, count: number): void {
    if (count <= 0) return;
    metrics?.eventsDropped(reason, count);
    totals.set(reason, (totals.get(reason) ?? 0) + count);
    pending.set(reason, (pending.get(reason) ?? 0) + count);
    if (closed) {
      reportDrops();
      return;
    }
    // A report that is itself dropped waits for the next real drop: a dead sink must not
    // keep a trickle of reports about reports going.
    if (timer !== undefined || reporting) return;
    timer = setTimeout(reportDrops, Math.max(0, lastReport + interval - now()));
    timer.unref();
  }

  sink?.onDrop?.(onDrop);

  return {
    channelDecision({ channel, decision, peer, tls }) {
      const rule = channelRuleName(channel, decision.decidedBy);
      if (decision.allowed) {
        const principal = decision.principal ?? peer.spiffeId ?? '';
        return emit(buildConnectionAccepted(context(), { code: connectionCode(decision) as ConnectionAcceptedCode, peer, channel, principal, rule, reason: decision.reason, tls }));
      }
      return emit(buildConnectionRefused(context(), { code: connectionCode(decision) as ConnectionRefusedCode, peer, channel, rule, reason: decision.reason, tls }));
    },
    authorizationDecision({ decision, peer, principal, channel, qmgr }) {
      if (decision.allowed) return undefined;
      const target = decision.objectType === 'queue' ? { queue: decision.objectName } : decision.objectType === 'topic' ? { topic: decision.objectName } : {};
      return emit(buildAuthorizationDenied(context(), {
        peer, principal, channel, qmgr, operation: decision.permission, objectType: decision.objectType, ...target,
        rule: authorityRuleName(decision), reason: decision.reason,
      }));
    },
    connectionAccepted: (input) => emit(buildConnectionAccepted(context(), input)),
    connectionRefused: (input) => emit(buildConnectionRefused(context(), input)),
    authorizationDenied: (input) => emit(buildAuthorizationDenied(context(), input)),
    limitExceeded: (input) => emit(buildLimitExceeded(context(), input)),
    protectionViolation: (input) => emit(buildProtectionViolation(context(), input)),
    policyBundleLoaded: (input) => emit(buildPolicyBundleLoaded(context(), input)),
    policyBundleRefused: (input) => emit(buildPolicyBundleRefused(context(), input)),
    identityRotated: (input) => emit(buildIdentityRotated(context(), input)),
    identityRotationFailed: (input) => emit(buildIdentityRotationFailed(context(), input)),
    peerQuarantined: (input) => emit(buildPeerQuarantined(context(), input)),
    async close(closeOptions = {}) {
      if (closed) return;
      if (pending.size > 0) reportDrops();
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await sink?.close?.({ deadlineMs: closeOptions.deadlineMs ?? 5000 });
    },
  };
}
