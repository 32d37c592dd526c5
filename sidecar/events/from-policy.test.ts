import { describe, expect, it } from 'vitest';
import { EnvelopeError, ENVELOPE_REASONS } from '../../lib/envelope/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { compileAuthorities, compileChannelRules } from '../../lib/policy/index.ts';
import { authorityRuleName, channelRuleName, connectionCode, protectionViolationFor } from './from-policy.ts';
import { PROTECTION_VIOLATION_CODES } from './schema.ts';
import { createSecurityEvents } from './security-events.ts';

const TD = 'spiffe://cluster.local';
const rules = compileChannelRules([
  { peer: `${TD}/ns/pay/sa/settle-*`, action: 'map', principal: 'settlement-apps' },
  { peer: `${TD}/ns/pay/sa/checkout`, action: 'allow' },
  { peer: `${TD}/ns/pay/sa/legacy`, action: 'block', description: 'retired 2026-10' },
  { address: '10.20.0.0/16', action: 'block' },
]);
const authorities = compileAuthorities({
  queueManagerName: 'PAYMENTS',
  authorities: [
    { principal: `${TD}/ns/pay/sa/checkout`, objectType: 'queue', profile: 'PAY.REQUEST', permissions: ['put', 'inq'] },
    { principal: 'settlement-apps', objectType: 'queue', profile: 'PAY.**', permissions: ['get', 'browse'] },
  ],
});

describe('channel decisions as events', () => {
  it.each([
    [`${TD}/ns/pay/sa/settle-engine`, '10.1.0.1', 'peer-mapped', 'pay-apps rule 0 (peer spiffe://cluster.local/ns/pay/sa/settle-*, map to settlement-apps)'],
    [`${TD}/ns/pay/sa/checkout`, '10.1.0.1', 'peer-allowed', 'pay-apps rule 1 (peer spiffe://cluster.local/ns/pay/sa/checkout, allow)'],
    [`${TD}/ns/pay/sa/legacy`, '10.1.0.1', 'peer-blocked', 'pay-apps rule 2 (peer spiffe://cluster.local/ns/pay/sa/legacy, block) "retired 2026-10"'],
    [`${TD}/ns/pay/sa/checkout`, '10.20.3.4', 'address-blocked', 'pay-apps rule 3 (address 10.20.0.0/16, block)'],
    [`${TD}/ns/shop/sa/cart`, '10.1.0.1', 'back-stop', undefined],
    ['not a spiffe id', '10.1.0.1', 'invalid-peer', undefined],
  ])('%s from %s: %s', (spiffeId, address, code, rule) => {
    const decision = rules.evaluate({ spiffeId, address });
    expect(connectionCode(decision)).toBe(code);
    expect(channelRuleName('pay-apps', decision.decidedBy)).toBe(rule);
  });

  it('emits connection-accepted with the mapped principal, or connection-refused with the rule', () => {
    const logs = captureLogs();
    const events = createSecurityEvents({ log: createLogger({ component: 'gateway', destination: logs }), service: { name: 'qshield-gateway' } });
    const peer = (spiffeId: string) => ({ spiffeId, address: '10.1.0.1', port: 5555 });
    const settle = `${TD}/ns/pay/sa/settle-engine`;
    const accepted = events.channelDecision({ channel: 'pay-apps', decision: rules.evaluate({ spiffeId: settle, address: '10.1.0.1' }), peer: peer(settle), tls: { protocol: 'TLSv1.3', group: 'X25519MLKEM768' } });
    expect(accepted).toMatchObject({
      event: { action: 'connection-accepted', code: 'peer-mapped', reason: expect.any(String) },
      client: { user: { id: settle } }, tls: { version: '1.3', curve: 'X25519MLKEM768' },
      qshield: { channel: 'pay-apps', principal: 'settlement-apps', rule: expect.stringContaining('rule 0') },
    });
    const cart = `${TD}/ns/shop/sa/cart`;
    const refused = events.channelDecision({ channel: 'pay-apps', decision: rules.evaluate({ spiffeId: cart, address: '10.1.0.1' }), peer: peer(cart) });
    expect(refused.event).toMatchObject({ action: 'connection-refused', code: 'back-stop' });
    expect(refused.qshield).toEqual({ channel: 'pay-apps', reason_code: 2035 });
    expect(logs.lines.map((l) => (l.event as { action: string }).action)).toEqual(['connection-accepted', 'connection-refused']);
  });
});

describe('authority decisions as events', () => {
  const checkout = `${TD}/ns/pay/sa/checkout`;

  it('names the profile that lacked the permission', () => {
    const d = authorities.evaluate({ principals: [checkout], objectType: 'queue', objectName: 'PAY.REQUEST', permission: 'get' });
    expect(authorityRuleName(d)).toBe(`${checkout} queue PAY.REQUEST (inq, put)`);
  });

  it('names the granting profile of an allowed request, and nothing when no profile matched', () => {
    const allowed = authorities.evaluate({ principals: ['settlement-apps'], objectType: 'queue', objectName: 'PAY.REPLY', permission: 'get' });
    expect(authorityRuleName(allowed)).toBe('settlement-apps queue PAY.** (get, browse)');
    const none = authorities.evaluate({ principals: [checkout], objectType: 'queue', objectName: 'OTHER.Q', permission: 'put' });
    expect(authorityRuleName(none)).toBeUndefined();
  });

  it('emits authorization-denied for a denial and nothing for an allowed request', () => {
    const logs = captureLogs();
    const events = createSecurityEvents({ log: createLogger({ component: 'gateway', destination: logs }), service: { name: 'qshield-gateway' }, qmgr: 'PAYMENTS' });
    const peer = { spiffeId: checkout, address: '10.1.0.1' };
    const denied = authorities.evaluate({ principals: [checkout], objectType: 'queue', objectName: 'PAY.REQUEST', permission: 'get' });
    expect(events.authorizationDecision({ decision: denied, peer, principal: checkout, channel: 'pay-apps' })).toMatchObject({
      event: { action: 'authorization-denied', code: 'not-authorized', reason: denied.reason },
      qshield: { qmgr: 'PAYMENTS', channel: 'pay-apps', principal: checkout, operation: 'get', object_type: 'queue', queue: 'PAY.REQUEST', reason_code: 2035, rule: `${checkout} queue PAY.REQUEST (inq, put)` },
    });
    const allowed = authorities.evaluate({ principals: [checkout], objectType: 'queue', objectName: 'PAY.REQUEST', permission: 'put' });
    expect(events.authorizationDecision({ decision: allowed, peer, principal: checkout })).toBeUndefined();
    expect(logs.lines).toHaveLength(1);
  });
});

describe('protectionViolationFor', () => {
  it.each(ENVELOPE_REASONS)('maps the envelope reason %s to a documented code', (reason) => {
    const result = protectionViolationFor(new EnvelopeError(reason, 'x'));
    expect(PROTECTION_VIOLATION_CODES).toContain(result.code);
    expect(result.code).not.toBe('unknown');
    expect(result.errorCode).toBe(`ERR_ENVELOPE_${reason}`);
  });

  it('finds the envelope error anywhere in the cause chain', () => {
    const inner = new EnvelopeError('SIGNER_NOT_AUTHORIZED', 'not listed');
    const outer = new AppError('ERR_INTERNAL', 'put failed', { cause: new Error('wrapped', { cause: inner }) });
    expect(protectionViolationFor(outer)).toEqual({ code: 'signer-not-authorized', errorCode: 'ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED' });
  });

  it('answers unknown for anything else, with the first error code it saw', () => {
    expect(protectionViolationFor(new AppError('ERR_FILE_IO', 'disk'))).toEqual({ code: 'unknown', errorCode: 'ERR_FILE_IO' });
    expect(protectionViolationFor(new Error('plain'))).toEqual({ code: 'unknown' });
    expect(protectionViolationFor('a string')).toEqual({ code: 'unknown' });
  });
});
