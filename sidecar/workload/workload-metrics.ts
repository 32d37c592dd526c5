// The workload sidecar's own Prometheus metrics, beside the request metrics it shares with the
// gateway: messages sealed and opened by QoP, quarantined by reason, tolerated, and leases whose
// ack or release failed (each such message may be delivered again). docs/metrics.md lists them.
import { Counter, type Registry } from 'prom-client';
import { PROTECTION_VIOLATION_CODES } from '../events/index.ts';

export interface WorkloadMetrics {
  sealed(qop: string): void;
  opened(qop: string): void;
  quarantined(reason: string): void;
  tolerated(): void;
  settleFailed(action: 'ack' | 'release'): void;
}

const QOPS = new Set(['None', 'Integrity', 'Privacy', 'Confidentiality', 'integrity', 'privacy', 'confidentiality', 'none']);
const REASONS: ReadonlySet<string> = new Set(PROTECTION_VIOLATION_CODES);

function qopLabel(qop: string): string {
  if (!QOPS.has(qop)) return 'other';
  return qop.toLowerCase();
}

/**
 * Registers the workload metric set on `registry`.
 * @throws Error from prom-client when the registry already holds a metric of the same name.
 */
export function createWorkloadMetrics(registry: Registry): WorkloadMetrics {
  const sealed = new Counter({ name: 'qshield_sidecar_messages_sealed_total', help: 'Messages protected on put or publish, by quality of protection.', labelNames: ['qop'], registers: [registry] });
  const opened = new Counter({ name: 'qshield_sidecar_messages_opened_total', help: 'Protected messages opened and handed to the app, by quality of protection.', labelNames: ['qop'], registers: [registry] });
  const quarantined = new Counter({ name: 'qshield_sidecar_messages_quarantined_total', help: 'Messages moved to SYSTEM.PROTECTION.ERROR.QUEUE, by protection-violation reason.', labelNames: ['reason'], registers: [registry] });
  const tolerated = new Counter({ name: 'qshield_sidecar_messages_tolerated_total', help: 'Unprotected messages handed to the app because the policy tolerates them.', registers: [registry] });
  const settleFailed = new Counter({ name: 'qshield_sidecar_lease_settle_failures_total', help: 'Lease acks or releases that failed; the message returns when its lease expires.', labelNames: ['action'], registers: [registry] });
  return {
    sealed: (qop) => sealed.inc({ qop: qopLabel(qop) }),
    opened: (qop) => opened.inc({ qop: qopLabel(qop) }),
    quarantined: (reason) => quarantined.inc({ reason: REASONS.has(reason) ? reason : 'unknown' }),
    tolerated: () => tolerated.inc(),
    settleFailed: (action) => settleFailed.inc({ action }),
  };
}
