// What the gateway knows about one client connection: the peer's verified SPIFFE id, the TLS
// parameters, and the admission under the policy in force (channel, principal). Admission is
// decided when the connection opens and again on the first request after a policy reload, so a
// peer blocked by a new bundle loses its kept-alive connection too.
import type { TLSSocket } from 'node:tls';
import type { SpiffeId, ValidatedSvid } from '../../lib/identity/index.ts';
import type { CompiledPolicy, ConnectionStrength } from '../../lib/policy/index.ts';
import type { PeerInfo, SecurityEvents, TlsInfo } from '../events/index.ts';
import { admitConnection, type Admission } from '../pipeline/admission.ts';

export interface PeerConnection {
  readonly id: number;
  readonly socket: TLSSocket;
  readonly peer: PeerInfo;
  readonly tls: TlsInfo;
  readonly strength: ConnectionStrength;
  readonly servername: string | undefined;
  readonly spiffeId: SpiffeId;
  /** When the peer's SVID (or a certificate on its path) expires, ms since the epoch. */
  readonly notAfterMs: number;
  /** The channel label this connection is counted under in qshield_active_connections. */
  channelLabel: string;
  /** The policy the admission was decided under. */
  policy: CompiledPolicy;
  admission: Admission;
}

export interface NewConnection {
  readonly id: number;
  readonly socket: TLSSocket;
  readonly peer: PeerInfo;
  readonly tls: TlsInfo;
  readonly group: string | undefined;
  readonly svid: ValidatedSvid;
}

/**
 * Decides a connection under `policy` and emits its security event: connection-accepted or
 * connection-refused for channel decisions and TLS demands, authorization-denied for a missing
 * `connect` authority.
 */
export function decideAdmission(
  policy: CompiledPolicy, conn: { peer: PeerInfo; tls: TlsInfo; servername: string | undefined; spiffeId: SpiffeId; group: string | undefined },
  defaultChannel: string | undefined, events: SecurityEvents,
): Admission {
  const admission = admitConnection(policy, {
    address: conn.peer.address ?? '',
    servername: conn.servername,
    protocol: conn.tls.protocol,
    group: conn.group,
    spiffeId: conn.spiffeId,
  }, defaultChannel);
  const { peer, tls } = conn;
  if (admission.admitted) {
    events.channelDecision({ channel: admission.channel.name, decision: admission.decision, peer, tls });
    return admission;
  }
  switch (admission.stage) {
    case 'channel':
      events.connectionRefused({ code: 'unknown-channel', peer, reason: admission.error.message, reasonCode: 2540, errorCode: admission.error.code, tls });
      break;
    case 'tls':
      events.connectionRefused({ code: 'tls-too-weak', peer, channel: admission.channel?.name, reason: admission.error.message, reasonCode: 2393, errorCode: admission.error.code, tls });
      break;
    case 'rules':
      if (admission.decision !== undefined && admission.channel !== undefined) {
        events.channelDecision({ channel: admission.channel.name, decision: admission.decision, peer, tls });
      }
      break;
    case 'connect':
      if (admission.authority !== undefined && admission.decision?.principal !== undefined) {
        events.authorizationDecision({ decision: admission.authority, peer, principal: admission.decision.principal, channel: admission.channel?.name });
      }
      break;
  }
  return admission;
}

/** The connection strength protection policies judge: protocol and whether the group is a hybrid. */
export function strengthOf(protocol: string | undefined, hybrid: boolean): ConnectionStrength {
  return { tlsVersion: protocol ?? 'unknown', hybridKeyExchange: hybrid };
}
