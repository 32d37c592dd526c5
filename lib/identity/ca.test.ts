import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, ExtendedKeyUsage, KeyUsage, KeyUsageFlags, SubjectAlternativeName, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { makeCa, testKeyPair } from '../../test/pki/index.ts';
import { CertificateAuthority } from './ca.ts';
import { createCsr, csrToPem } from './csr.ts';
import { createTrustBundle } from './trust-bundle.ts';

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError');
}

// Reads extensions with an independent decoder (@peculiar/asn1-x509), not our own DER reader.
function extensionsOf(der: Uint8Array) {
  const cert = AsnConvert.parse(der, Certificate);
  const exts = cert.tbsCertificate.extensions ?? [];
  const find = (id: string) => exts.find((e) => e.extnID === id);
  const parse = <T>(id: string, type: new () => T): { critical: boolean; value: T } | undefined => {
    const e = find(id);
    return e ? { critical: e.critical, value: AsnConvert.parse(e.extnValue, type) } : undefined;
  };
  const ku = parse(id_ce_keyUsage, KeyUsage);
  const flags = ku ? ku.value.toNumber() : 0;
  return {
    serialBytes: new Uint8Array(cert.tbsCertificate.serialNumber),
    basicConstraints: parse(id_ce_basicConstraints, BasicConstraints),
    keyUsage: ku && { critical: ku.critical, flags },
    eku: parse(id_ce_extKeyUsage, ExtendedKeyUsage)?.value.map(String),
    sans: parse(id_ce_subjectAltName, SubjectAlternativeName)?.value.map((n) => n.uniformResourceIdentifier ?? n.dNSName ?? '?'),
  };
}

describe('CertificateAuthority', () => {
  it.each(['ec-p256', 'rsa-2048', 'rsa-3072'] as const)('makes a %s root and intermediate with CA flags, path lengths and the trust domain id', (keyType) => {
    const { ca } = makeCa({ keyType, trustDomain: 'bank.example' });
    expect(ca.keyType).toBe(keyType);
    const root = extensionsOf(ca.root.raw);
    expect(root.basicConstraints).toMatchObject({ critical: true, value: { cA: true, pathLenConstraint: 1 } });
    expect(root.keyUsage).toEqual({ critical: true, flags: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign });
    expect(root.sans).toEqual(['spiffe://bank.example']);
    const inter = extensionsOf(ca.intermediate.raw);
    expect(inter.basicConstraints).toMatchObject({ critical: true, value: { cA: true, pathLenConstraint: 0 } });
    expect(inter.keyUsage).toEqual({ critical: true, flags: KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign });
    expect(inter.sans).toEqual(['spiffe://bank.example']);
    expect(ca.root.checkIssued(ca.root)).toBe(true);
    expect(ca.intermediate.checkIssued(ca.root)).toBe(true);
    expect(ca.intermediate.verify(ca.root.publicKey)).toBe(true);
    expect(ca.bundle.trustDomain).toBe('bank.example');
  });

  it.each([
    ['ec-p256', KeyUsageFlags.digitalSignature | KeyUsageFlags.keyAgreement],
    ['rsa-2048', KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment],
    ['rsa-3072', KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment],
  ] as const)('issues a %s SVID by the X509-SVID rules', (keyType, usage) => {
    const { ca } = makeCa();
    const keys = testKeyPair(keyType);
    const now = new Date('2026-11-23T12:00:00Z');
    const svid = ca.issue({ spiffeId: 'spiffe://example.org/ns/pay/sa/checkout', publicKey: keys.publicKey, dnsNames: ['checkout.pay.svc'], now });
    expect(svid.keyType).toBe(keyType);
    const leaf = new X509Certificate(svid.der);
    const ext = extensionsOf(svid.der);
    expect(ext.basicConstraints).toMatchObject({ critical: true, value: { cA: false } });
    expect(ext.keyUsage).toEqual({ critical: true, flags: usage });
    expect(ext.eku).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(ext.sans).toEqual(['spiffe://example.org/ns/pay/sa/checkout', 'checkout.pay.svc']);
    expect(leaf.publicKey.equals(keys.publicKey)).toBe(true);
    expect(leaf.verify(ca.intermediate.publicKey)).toBe(true);
    expect(leaf.validFromDate.toISOString()).toBe('2026-11-23T11:55:00.000Z');
    expect(leaf.validToDate.toISOString()).toBe('2026-11-23T13:00:00.000Z');
    expect(svid.notAfter.toISOString()).toBe('2026-11-23T13:00:00.000Z');
    expect(svid.serialNumber).toBe(leaf.serialNumber);
    expect(svid.chainDer.map((d) => d.length)).toEqual([svid.der.length, ca.intermediate.raw.length]);
    expect(svid.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it('gives every SVID a fresh random serial of up to 128 bits', () => {
    const { ca } = makeCa();
    const { publicKey } = testKeyPair();
    const serials = Array.from({ length: 200 }, () => ca.issue({ spiffeId: 'spiffe://example.org/a', publicKey }).der).map((der) => extensionsOf(der).serialBytes);
    const hex = new Set(serials.map((s) => Buffer.from(s).toString('hex')));
    expect(hex.size).toBe(200);
    for (const s of serials) {
      expect(s.length).toBeLessThanOrEqual(17);
      expect(s[0]! & 0x80).toBe(0); // positive
    }
    // Across 200 serials of 128 random bits, some use the top bit (and so need a sign octet).
    expect(serials.some((s) => s.length === 17)).toBe(true);
  });

  it('takes only the public key of a CSR, whatever it asks for', () => {
    const { ca } = makeCa();
    const keys = testKeyPair();
    const svid = ca.issue({ spiffeId: 'spiffe://example.org/ns/a/sa/b', csr: csrToPem(createCsr(keys.privateKey)) });
    expect(new X509Certificate(svid.der).publicKey.equals(keys.publicKey)).toBe(true);
  });

  it('caps the SVID at the intermediate\'s expiry', () => {
    const now = new Date('2026-11-23T00:00:00Z');
    const { ca } = makeCa({ now, intermediateTtlMs: 2 * 3_600_000 });
    const svid = ca.issue({ spiffeId: 'spiffe://example.org/a', publicKey: testKeyPair().publicKey, ttlMs: 24 * 3_600_000, now });
    expect(svid.notAfter.getTime()).toBe(ca.intermediate.validToDate.getTime());
  });

  it.each([
    ['an id of another trust domain', { spiffeId: 'spiffe://other.org/ns/a/sa/b' }, 'ERR_CA_WRONG_TRUST_DOMAIN'],
    ['the trust domain id itself', { spiffeId: 'spiffe://example.org' }, 'ERR_SPIFFE_ID_INVALID'],
    ['a malformed id', { spiffeId: 'spiffe://example.org//x' }, 'ERR_SPIFFE_ID_INVALID'],
    ['both a key and a CSR', { csr: 'x' }, 'ERR_INVALID_ARGUMENT'],
    ['a bad DNS name', { dnsNames: ['bad_name.example'] }, 'ERR_INVALID_ARGUMENT'],
    ['a TTL under a second', { ttlMs: 10 }, 'ERR_INVALID_ARGUMENT'],
  ])('refuses %s', (_name, patch, code) => {
    const { ca } = makeCa();
    const request = { spiffeId: 'spiffe://example.org/ns/a/sa/b', publicKey: testKeyPair().publicKey, ...patch };
    expect(errorOf(() => ca.issue(request)).code).toBe(code);
  });

  it('refuses to issue once the intermediate has expired', () => {
    const { ca } = makeCa({ now: new Date('2020-01-01T00:00:00Z'), intermediateTtlMs: 3_600_000 });
    expect(errorOf(() => ca.issue({ spiffeId: 'spiffe://example.org/a', publicKey: testKeyPair().publicKey })).code).toBe('ERR_CA_EXPIRED');
  });

  it('rebuilds from its parts, and refuses parts that do not fit', () => {
    const a = makeCa().ca;
    const b = makeCa().ca;
    const rebuilt = CertificateAuthority.fromParts({ root: a.root, intermediate: a.intermediate, intermediateKey: a.intermediateKey, rootKey: a.rootKey as never });
    expect(rebuilt.trustDomain).toBe('example.org');
    expect(rebuilt.issue({ spiffeId: 'spiffe://example.org/x', publicKey: testKeyPair().publicKey }).der.length).toBeGreaterThan(0);
    const reason = (fn: () => unknown) => errorOf(fn).details.reason;
    expect(reason(() => CertificateAuthority.fromParts({ root: a.root, intermediate: a.intermediate, intermediateKey: b.intermediateKey }))).toBe('key-mismatch');
    expect(reason(() => CertificateAuthority.fromParts({ root: b.root, intermediate: a.intermediate, intermediateKey: a.intermediateKey }))).toBe('intermediate');
    expect(reason(() => CertificateAuthority.fromParts({ root: a.intermediate, intermediate: a.intermediate, intermediateKey: a.intermediateKey }))).toBe('root');
    expect(reason(() => CertificateAuthority.fromParts({ root: a.root, intermediate: a.intermediate, intermediateKey: a.intermediateKey, bundle: b.bundle }))).toBe('bundle');
    const other = makeCa({ trustDomain: 'other.org' }).ca;
    expect(reason(() => CertificateAuthority.fromParts({ root: a.root, intermediate: a.intermediate, intermediateKey: a.intermediateKey, bundle: createTrustBundle('other.org', [other.root]) }))).toBe('trust-domain');
  });

  it('creates keys itself when none are given', async () => {
    const ca = await CertificateAuthority.create({ trustDomain: 'example.org' });
    expect(ca.keyType).toBe('ec-p256');
    expect(errorOf(() => CertificateAuthority.createWithKeys({ trustDomain: 'Bad', keys: { root: testKeyPair(), intermediate: testKeyPair() } })).code).toBe('ERR_SPIFFE_ID_INVALID');
  });
});
