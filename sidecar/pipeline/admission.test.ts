import { describe, expect, it } from 'vitest';
import { parseSpiffeId } from '../../lib/identity/index.ts';
import { parsePolicyBundle } from '../../lib/policy/index.ts';
import { admitConnection, listenerMinVersion, selectChannel, type ConnectionFacts } from './admission.ts';

const TD = 'example.org';
const channel = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  rules: [
    { peer: `spiffe://${TD}/ns/app/sa/*`, action: 'map', principal: 'apps' },
    { peer: `spiffe://${TD}/ns/app/sa/blocked`, action: 'block' },
    { peer: `spiffe://${TD}/ns/app/sa/lonely`, action: 'allow' },
    { address: '10.66.0.0/16', action: 'block' },
  ],
  ...extra,
});
const bundle = (channels: unknown[]) => parsePolicyBundle({
  apiVersion: 'qshield.io/policy-bundle/v1alpha1', revision: 'r1', queueManagerName: 'QM1', trustDomain: TD,
  authorities: [{ principal: 'apps', objectType: 'qmgr', permissions: ['connect'] }],
  channels,
});
const facts = (name: string, extra: Partial<ConnectionFacts> = {}): ConnectionFacts => ({
  address: '127.0.0.1', servername: undefined, protocol: 'TLSv1.3', group: 'X25519MLKEM768', spiffeId: parseSpiffeId(`spiffe://${TD}/ns/app/sa/${name}`), ...extra,
});

describe('selectChannel', () => {
  const two = bundle([channel('a'), channel('b')]);

  it('takes the channel the TLS server name names', () => {
    expect(selectChannel(two, 'b', undefined)?.name).toBe('b');
  });

  it('falls back to the default channel, then to the only channel, else none', () => {
    expect(selectChannel(two, 'gateway.pay.svc', 'a')?.name).toBe('a');
    expect(selectChannel(two, undefined, undefined)).toBeUndefined();
    expect(selectChannel(two, undefined, 'nope')).toBeUndefined();
    expect(selectChannel(bundle([channel('only')]), 'host.example', undefined)?.name).toBe('only');
  });
});

describe('admitConnection', () => {
  it('admits a mapped peer with its principal', () => {
    const a = admitConnection(bundle([channel('a')]), facts('checkout'), undefined);
    expect(a).toMatchObject({ admitted: true, principal: 'apps' });
  });

  it('refuses by the channel rules, each with the rule\'s outcome', () => {
    expect(admitConnection(bundle([channel('a')]), facts('blocked'), undefined)).toMatchObject({ admitted: false, stage: 'rules', error: { code: 'ERR_GATEWAY_CHANNEL_BLOCKED' }, decision: { outcome: 'PeerBlocked' } });
    expect(admitConnection(bundle([channel('a')]), facts('checkout', { address: '10.66.1.2' }), undefined)).toMatchObject({ stage: 'rules', decision: { outcome: 'AddressBlocked' } });
    const foreign = { ...facts('x'), spiffeId: parseSpiffeId('spiffe://example.org/ns/other/sa/x') };
    expect(admitConnection(bundle([channel('a')]), foreign, undefined)).toMatchObject({ stage: 'rules', decision: { outcome: 'BackStop' } });
  });

  it('refuses a principal without connect authority on the queue manager', () => {
    expect(admitConnection(bundle([channel('a')]), facts('lonely'), undefined)).toMatchObject({ admitted: false, stage: 'connect', error: { code: 'ERR_GATEWAY_NOT_AUTHORIZED' } });
  });

  it('refuses a connection that names no channel when there is no default', () => {
    expect(admitConnection(bundle([channel('a'), channel('b')]), facts('checkout', { servername: 'zzz' }), undefined)).toMatchObject({ stage: 'channel', error: { code: 'ERR_GATEWAY_UNKNOWN_CHANNEL' } });
  });

  it('holds the channel\'s TLS demands: TLS 1.3 and, when required, a hybrid group', () => {
    const policy = bundle([channel('pq', { tls: { minVersion: 'TLSv1.3', keyExchange: 'hybrid-required' } }), channel('old', { tls: { minVersion: 'TLSv1.2' } })]);
    expect(admitConnection(policy, facts('checkout', { servername: 'pq', group: 'X25519' }), undefined)).toMatchObject({ stage: 'tls', error: { code: 'ERR_GATEWAY_TLS_TOO_WEAK' } });
    expect(admitConnection(policy, facts('checkout', { servername: 'pq' }), undefined).admitted).toBe(true);
    expect(admitConnection(policy, facts('checkout', { servername: 'old', protocol: 'TLSv1.2', group: 'P-256' }), undefined).admitted).toBe(true);
    expect(admitConnection(policy, facts('checkout', { servername: 'pq', protocol: 'TLSv1.2' }), undefined)).toMatchObject({ stage: 'tls' });
  });
});

describe('listenerMinVersion', () => {
  it('is TLS 1.3 unless a channel allows TLS 1.2', () => {
    expect(listenerMinVersion(bundle([channel('a')]))).toBe('TLSv1.3');
    expect(listenerMinVersion(bundle([channel('a'), channel('b', { tls: { minVersion: 'TLSv1.2' } })]))).toBe('TLSv1.2');
  });
});
