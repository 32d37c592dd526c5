import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { expiredLeaf, issueLeaf, makeCa, untrustedLeaf } from '../../test/pki/index.ts';
import { checkRecipients, type PolicyInfo } from './protection-cache.ts';

const ca = makeCa({ trustDomain: 'example.org' });
const settle = 'spiffe://example.org/ns/pay/sa/settle-engine';
const audit = 'spiffe://example.org/ns/audit/sa/archiver';
const policy: PolicyInfo = {
  name: 'pay-request', qualityOfProtection: 'Privacy', authorizedSigners: [], recipients: ['spiffe://example.org/ns/pay/sa/settle-*', audit], toleration: false,
};
const given = (id: string, chain = issueLeaf(id, { ca }).chainPem) => ({ spiffeId: id, chain });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('checkRecipients: what a sender encrypts for', () => {
  it('accepts valid message certificates for the policy\'s recipients, one per recipient pattern at least', () => {
    const certs = checkRecipients(policy, [given(settle), given(audit)], ca.bundle, Date.now());
    expect(certs).toHaveLength(2);
  });

  it('refuses to seal when a recipient pattern has no certificate', () => {
    expect(codeOf(() => checkRecipients(policy, [given(settle)], ca.bundle, Date.now()))).toBe('ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE');
  });

  it.each([
    ['a certificate for someone who is not a recipient', () => [given(settle), given(audit), given('spiffe://example.org/ns/x/sa/eve')]],
    ['an expired certificate', () => [given(settle, expiredLeaf(settle, { ca }).chainPem), given(audit)]],
    ['a certificate from a CA outside the trust bundle', () => [given(settle, untrustedLeaf(settle).chainPem), given(audit)]],
    ['text that is not a certificate', () => [given(settle, 'garbage'), given(audit)]],
  ])('refuses %s', (_what, list) => {
    expect(codeOf(() => checkRecipients(policy, list(), ca.bundle, Date.now()))).toBe('ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID');
  });

  it('checks the SPIFFE id in the certificate, not the label it came with', () => {
    const mislabelled = { spiffeId: settle, chain: issueLeaf('spiffe://example.org/ns/x/sa/eve', { ca }).chainPem };
    expect(codeOf(() => checkRecipients(policy, [mislabelled, given(audit)], ca.bundle, Date.now()))).toBe('ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID');
  });
});
