// Decides whether an authenticated peer may use the gateway over this connection: which channel
// it came through (the TLS server name, else the default channel), whether the connection meets
// the channel's TLS demands, what the channel rules say (CHLAUTH), and whether the principal may
// connect to the queue manager (OAM `connect`). Pure: the caller emits the events.
import { AppError } from '../../lib/errors/index.ts';
import type { SpiffeId } from '../../lib/identity/index.ts';
import type { AuthorityDecision, ChannelDecision, CompiledChannel, CompiledPolicy } from '../../lib/policy/index.ts';
import { isHybridGroup } from '../server/tls-groups.ts';

export interface ConnectionFacts {
  /** Remote IP address as the socket reports it. */
  readonly address: string;
  /** The TLS server name the client sent (SNI), if any. */
  readonly servername: string | undefined;
  /** `TLSv1.3`, `TLSv1.2`. */
  readonly protocol: string | undefined;
  /** The negotiated key-exchange group (`X25519MLKEM768`). */
  readonly group: string | undefined;
  readonly spiffeId: SpiffeId;
}

export type AdmissionStage = 'channel' | 'tls' | 'rules' | 'connect';

export type Admission =
  | { readonly admitted: true; readonly channel: CompiledChannel; readonly principal: string; readonly decision: ChannelDecision }
  | {
    readonly admitted: false;
    readonly stage: AdmissionStage;
    readonly error: AppError;
    readonly channel?: CompiledChannel;
    readonly decision?: ChannelDecision;
    readonly authority?: AuthorityDecision;
  };

/**
 * The channel a connection uses: the one its TLS server name names; otherwise the configured
 * default channel, or the bundle's only channel; otherwise none.
 */
export function selectChannel(policy: CompiledPolicy, servername: string | undefined, defaultChannel: string | undefined): CompiledChannel | undefined {
  if (servername !== undefined && servername !== '') {
    const named = policy.channel(servername);
    if (named !== undefined) return named;
  }
  if (defaultChannel !== undefined) {
    const fallback = policy.channel(defaultChannel);
    if (fallback !== undefined) return fallback;
  }
  const channels = policy.bundle.channels;
  return channels.length === 1 ? policy.channel((channels[0] as { name: string }).name) : undefined;
}

/** Lowest TLS version any channel of the bundle allows: what the listener must accept. */
export function listenerMinVersion(policy: CompiledPolicy): 'TLSv1.2' | 'TLSv1.3' {
  return policy.bundle.channels.some((c) => c.tls.minVersion === 'TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
}

function tlsProblem(channel: CompiledChannel, facts: ConnectionFacts): string | undefined {
  const tls = channel.settings.tls;
  if (tls.minVersion === 'TLSv1.3' && facts.protocol !== 'TLSv1.3') {
    return `channel ${channel.name} demands TLS 1.3; the connection uses ${facts.protocol ?? 'an unknown version'}`;
  }
  if (tls.keyExchange === 'hybrid-required' && !isHybridGroup(facts.group)) {
    return `channel ${channel.name} demands a post-quantum hybrid key exchange; the connection uses ${facts.group ?? 'an unknown group'}`;
  }
  return undefined;
}

/** Decides a connection under `policy`. */
export function admitConnection(policy: CompiledPolicy, facts: ConnectionFacts, defaultChannel: string | undefined): Admission {
  const channel = selectChannel(policy, facts.servername, defaultChannel);
  if (channel === undefined) {
    const named = facts.servername === undefined || facts.servername === '' ? 'no channel' : `server name ${facts.servername.slice(0, 64)}`;
    return {
      admitted: false, stage: 'channel',
      error: new AppError('ERR_GATEWAY_UNKNOWN_CHANNEL', `the connection names ${named}, which is no channel of queue manager ${policy.queueManagerName}, and there is no default channel`, {
        details: { servername: facts.servername?.slice(0, 64) },
      }),
    };
  }
  const weak = tlsProblem(channel, facts);
  if (weak !== undefined) {
    return { admitted: false, stage: 'tls', channel, error: new AppError('ERR_GATEWAY_TLS_TOO_WEAK', weak, { details: { channel: channel.name, protocol: facts.protocol, group: facts.group } }) };
  }
  const decision = channel.evaluate({ spiffeId: facts.spiffeId, address: facts.address });
  if (!decision.allowed || decision.principal === undefined) {
    return {
      admitted: false, stage: 'rules', channel, decision,
      error: new AppError('ERR_GATEWAY_CHANNEL_BLOCKED', `channel ${channel.name} refuses the peer: ${decision.reason}`, { details: { channel: channel.name, outcome: decision.outcome } }),
    };
  }
  const authority = policy.authorize({ principals: [decision.principal], objectType: 'qmgr', permission: 'connect' });
  if (!authority.allowed) {
    return {
      admitted: false, stage: 'connect', channel, decision, authority,
      error: new AppError('ERR_GATEWAY_NOT_AUTHORIZED', `principal ${decision.principal} may not connect to queue manager ${policy.queueManagerName}`, {
        details: { permission: 'connect', objectType: 'qmgr' },
      }),
    };
  }
  return { admitted: true, channel, principal: decision.principal, decision };
}
