import { describe, expect, it } from 'vitest';
import { compileProtectionPolicy, protectionPolicyProblems } from './protection.ts';
import type { ProtectionPolicyInput } from './protection.ts';

const TD = 'spiffe://cluster.local';
const base: ProtectionPolicyInput = { name: 'p', queue: 'Q', qualityOfProtection: 'Integrity', toleration: false };

describe('protection policies', () => {
  it.each([
    ['None signs and encrypts nothing', { qualityOfProtection: 'None' }, undefined, undefined],
    ['Integrity signs with SHA256 by default', { qualityOfProtection: 'Integrity' }, 'SHA256', undefined],
    ['Privacy signs and encrypts, AES256GCM by default', { qualityOfProtection: 'Privacy', recipients: [`${TD}/ns/a/sa/b`] }, 'SHA256', 'AES256GCM'],
    ['Confidentiality encrypts only', { qualityOfProtection: 'Confidentiality', recipients: [`${TD}/ns/a/sa/b`], encryptionAlgorithm: 'AES128GCM' }, undefined, 'AES128GCM'],
    ['an explicit digest is kept', { qualityOfProtection: 'Integrity', signatureAlgorithm: 'SHA512' }, 'SHA512', undefined],
  ] as const)('%s', (_name, fields, signature, encryption) => {
    const input = { ...base, ...fields } as ProtectionPolicyInput;
    expect(protectionPolicyProblems(input)).toEqual([]);
    const p = compileProtectionPolicy(input);
    expect(p.signatureAlgorithm).toBe(signature);
    expect(p.encryptionAlgorithm).toBe(encryption);
  });

  it.each([
    ['signers with None', { qualityOfProtection: 'None', authorizedSigners: [`${TD}/ns/a/sa/b`] }, 'authorizedSigners'],
    ['an encryption algorithm with Integrity', { qualityOfProtection: 'Integrity', encryptionAlgorithm: 'AES256GCM' }, 'encryptionAlgorithm'],
    ['Confidentiality without recipients', { qualityOfProtection: 'Confidentiality' }, 'recipients'],
    ['key reuse with Privacy', { qualityOfProtection: 'Privacy', recipients: [`${TD}/ns/a/sa/b`], keyReuse: { count: 1, maxAgeSeconds: 1 } }, 'keyReuse'],
    ['both a queue and a topic', { topic: 'T' }, ''],
    ['a repeated recipient', { qualityOfProtection: 'Privacy', recipients: [`${TD}/ns/a/sa/b`, `${TD}/ns/a/sa/b`] }, 'recipients.1'],
  ] as const)('refuses %s', (_name, fields, path) => {
    const problems = protectionPolicyProblems({ ...base, ...fields } as ProtectionPolicyInput);
    expect(problems.map((p) => p.path.join('.'))).toContain(path);
  });

  it('accepts any signer the trust bundle vouches for when no signers are listed, and only listed ones otherwise', () => {
    const open = compileProtectionPolicy(base);
    expect(open.isAuthorizedSigner(`${TD}/ns/x/sa/y`)).toBe(true);
    expect(open.isAuthorizedSigner('not an id')).toBe(false);
    const listed = compileProtectionPolicy({ ...base, authorizedSigners: [`${TD}/ns/pay/sa/*`] });
    expect(listed.isAuthorizedSigner(`${TD}/ns/pay/sa/checkout`)).toBe(true);
    expect(listed.isAuthorizedSigner(`${TD}/ns/shop/sa/checkout`)).toBe(false);
    const confidential = compileProtectionPolicy({ ...base, qualityOfProtection: 'Confidentiality', recipients: [`${TD}/ns/a/sa/b`] });
    expect(confidential.isAuthorizedSigner(`${TD}/ns/a/sa/b`)).toBe(false);
  });

  it.each([
    ['no minimum accepts TLS 1.2', undefined, 'TLSv1.2', false, true],
    ['TLSv1.3 refuses TLS 1.2', 'TLSv1.3', 'TLSv1.2', false, false],
    ['TLSv1.3 accepts classical TLS 1.3', 'TLSv1.3', 'TLSv1.3', false, true],
    ['HybridPostQuantum refuses classical TLS 1.3', 'HybridPostQuantum', 'TLSv1.3', false, false],
    ['HybridPostQuantum accepts a hybrid TLS 1.3 key exchange', 'HybridPostQuantum', 'TLSv1.3', true, true],
    ['TLSv1.2 minimum refuses an unknown protocol', 'TLSv1.2', 'TLSv1.1', false, false],
  ] as const)('channel strength: %s', (_name, minimum, tlsVersion, hybridKeyExchange, accepted) => {
    const p = compileProtectionPolicy({ ...base, ...(minimum === undefined ? {} : { minimumChannelStrength: minimum }) });
    expect(p.acceptsConnection({ tlsVersion, hybridKeyExchange })).toBe(accepted);
  });
});
