import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { brokenLeaf, expiredLeaf, issueLeaf, makeCa, notYetValidLeaf, testKeyPair, untrustedLeaf, wrongDomainLeaf, type LeafBreakage } from '../../test/pki/index.ts';
import { factsOf } from './certificates.ts';
import { OID } from './oids.ts';
import { createTrustBundle } from './trust-bundle.ts';
import { validateSvid, type SvidPurpose } from './validate-svid.ts';
import { buildCertificate, keyIdentifier } from './x509-builder.ts';
import { X509Certificate, type KeyObject } from 'node:crypto';

const ID = 'spiffe://example.org/ns/pay/sa/checkout';

function failure(fn: () => unknown): { code: string; reason?: unknown } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, reason: err.details.reason };
    throw err;
  }
  return { code: 'accepted' };
}

describe('validateSvid', () => {
  const ca = makeCa();

  it.each(['ec-p256', 'rsa-2048', 'rsa-3072'] as const)('accepts a %s SVID and returns its SPIFFE id and path', (keyType) => {
    const rsaCa = keyType === 'ec-p256' ? ca : makeCa({ keyType });
    const leaf = issueLeaf(ID, { ca: rsaCa, keyType, dnsNames: ['checkout.pay.svc'] });
    for (const chain of [leaf.chain, leaf.chainPem, leaf.chain.map((c) => c.raw)]) {
      const result = validateSvid(chain, rsaCa.bundle, { purpose: 'both' });
      expect(result.spiffeId.toString()).toBe(ID);
      expect(result.path).toHaveLength(3);
      expect(result.dnsNames).toEqual(['checkout.pay.svc']);
      expect(result.notAfter.getTime()).toBe(leaf.cert.validToDate.getTime());
    }
  });

  it('accepts a chain that includes the root, and remembers verified intermediates without trusting them blindly', () => {
    const leaf = issueLeaf(ID, { ca });
    expect(validateSvid([...leaf.chain, ca.root], ca.bundle, { purpose: 'client' }).path).toHaveLength(3);
    // Second time round the intermediate comes from the cache: a broken leaf must still fail.
    expect(validateSvid(leaf.chain, ca.bundle, { purpose: 'client' }).spiffeId.toString()).toBe(ID);
    expect(failure(() => validateSvid(brokenLeaf(ID, 'bad-signature', { ca }).chain, ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_SIGNATURE_INVALID');
  });

  it.each<[LeafBreakage, string, unknown]>([
    ['ca-flag', 'ERR_SVID_LEAF_IS_CA', 'ca-flag'],
    ['key-cert-sign', 'ERR_SVID_LEAF_IS_CA', 'key-cert-sign'],
    ['crl-sign', 'ERR_SVID_LEAF_IS_CA', 'crl-sign'],
    ['no-uri-san', 'ERR_SVID_NO_SPIFFE_ID', undefined],
    ['two-uri-sans', 'ERR_SVID_MULTIPLE_URI_SANS', undefined],
    ['uri-not-spiffe', 'ERR_SVID_SPIFFE_ID_INVALID', 'scheme'],
    ['trust-domain-id', 'ERR_SVID_SPIFFE_ID_INVALID', 'path-missing'],
    ['no-key-usage', 'ERR_SVID_KEY_USAGE', 'missing'],
    ['key-usage-not-critical', 'ERR_SVID_KEY_USAGE', 'not-critical'],
    ['no-digital-signature', 'ERR_SVID_KEY_USAGE', 'no-digital-signature'],
    ['no-eku', 'ERR_SVID_EXTENDED_KEY_USAGE', 'missing'],
    ['unknown-critical-extension', 'ERR_SVID_CRITICAL_EXTENSION', undefined],
    ['bad-signature', 'ERR_SVID_SIGNATURE_INVALID', undefined],
  ])('refuses a leaf with %s: %s', (breakage, code, reason) => {
    const leaf = brokenLeaf(ID, breakage, { ca });
    const result = failure(() => validateSvid(leaf.chain, ca.bundle, { purpose: 'both' }));
    expect(result).toEqual({ code, reason });
  });

  it.each<[LeafBreakage, SvidPurpose, string]>([
    ['no-client-auth', 'client', 'ERR_SVID_EXTENDED_KEY_USAGE'],
    ['no-client-auth', 'server', 'accepted'],
    ['no-server-auth', 'server', 'ERR_SVID_EXTENDED_KEY_USAGE'],
    ['no-server-auth', 'client', 'accepted'],
    ['no-server-auth', 'both', 'ERR_SVID_EXTENDED_KEY_USAGE'],
  ])('checks the EKU for the purpose: %s used as %s is %s', (breakage, purpose, code) => {
    expect(failure(() => validateSvid(brokenLeaf(ID, breakage, { ca }).chain, ca.bundle, { purpose })).code).toBe(code);
  });

  it('refuses expired and not-yet-valid leaves, and honours `now`', () => {
    const expired = expiredLeaf(ID, { ca });
    expect(failure(() => validateSvid(expired.chain, ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_EXPIRED');
    const fresh = issueLeaf(ID, { ca });
    expect(failure(() => validateSvid(fresh.chain, ca.bundle, { purpose: 'client', now: fresh.cert.validToDate.getTime() + 1000 })).code).toBe('ERR_SVID_EXPIRED');
    expect(failure(() => validateSvid(fresh.chain, ca.bundle, { purpose: 'client', now: new Date(fresh.cert.validFromDate.getTime() - 1000) })).code).toBe('ERR_SVID_NOT_YET_VALID');
    expect(failure(() => validateSvid(notYetValidLeaf(ID, { ca }).chain, ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_NOT_YET_VALID');
  });

  it('refuses a leaf whose CA has expired', () => {
    const old = makeCa({ now: new Date('2020-01-01T00:00:00Z'), intermediateTtlMs: 86_400_000, rootTtlMs: 2 * 86_400_000 });
    const leaf = issueLeaf(ID, { ca: old, now: new Date('2020-01-01T01:00:00Z') });
    expect(failure(() => validateSvid(leaf.chain, old.bundle, { purpose: 'client', now: new Date('2020-01-01T01:30:00Z') })).code).toBe('accepted');
    // A leaf that lives as long as its intermediate, checked after both expire: the leaf is named.
    const long = issueLeaf(ID, { ca: old, now: new Date('2020-01-01T01:00:00Z'), ttlMs: 10 * 86_400_000 });
    expect(long.cert.validToDate.getTime()).toBe(old.intermediate.validToDate.getTime());
    const broken = (iso: string) => failure(() => validateSvid(long.chain, old.bundle, { purpose: 'client', now: new Date(iso) }));
    expect(broken('2020-01-03T00:00:00Z')).toMatchObject({ code: 'ERR_SVID_EXPIRED' });
  });

  it('refuses other trust domains and unknown issuers', () => {
    expect(failure(() => validateSvid(wrongDomainLeaf().chain, ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_WRONG_TRUST_DOMAIN');
    expect(failure(() => validateSvid(untrustedLeaf(ID).chain, ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_UNKNOWN_ISSUER');
    const leaf = issueLeaf(ID, { ca });
    expect(failure(() => validateSvid([leaf.cert], ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_UNKNOWN_ISSUER');
    expect(failure(() => validateSvid([], ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_MISSING');
    expect(failure(() => validateSvid([Buffer.from('junk')], ca.bundle, { purpose: 'client' })).code).toBe('ERR_CERT_MALFORMED');
    expect(failure(() => validateSvid('junk', ca.bundle, { purpose: 'client' })).code).toBe('ERR_PEM_INVALID');
  });

  it('gives a specific error, never a crash, for any corruption of a presented chain (fuzz)', () => {
    const leaf = issueLeaf(ID, { ca });
    const ders = leaf.chain.map((c) => Buffer.from(c.raw));
    const seen = new Set<string>();
    fc.assert(fc.property(fc.nat(1), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(2), (which, at, xor, cut) => {
      const target = ders[which] as Buffer;
      const i = at % target.length;
      const bad = Buffer.from(target);
      bad[i] = (bad[i] as number) ^ xor;
      const mangled = cut ? Buffer.concat([bad.subarray(0, i), bad.subarray(i + cut)]) : bad;
      const chain = which === 0 ? [mangled, ders[1] as Buffer] : [ders[0] as Buffer, mangled];
      const result = failure(() => validateSvid(chain, ca.bundle, { purpose: 'both' }));
      seen.add(result.code);
      expect(result.code).toMatch(/^ERR_(SVID|CERT)_[A-Z_]+$|^accepted$/);
    }), { numRuns: 1500 });
    expect(seen.has('ERR_CERT_MALFORMED')).toBe(true);
    expect(seen.has('ERR_SVID_SIGNATURE_INVALID')).toBe(true);
  });

  describe('chains built by hand', () => {
    const now = Date.now();
    const valid = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000) };
    // A CA certificate issued by `issuer` (cert + key), with the given constraints.
    function caCert(issuer: { cert: X509Certificate; key: KeyObject }, name: string, opts: { ca?: boolean; pathLen?: number; keyCertSign?: boolean; uri?: string; validity?: typeof valid } = {}) {
      const keys = testKeyPair();
      const der = buildCertificate({
        subject: [['CN', name]], issuerDer: factsOf(issuer.cert).subjectDer, ...(opts.validity ?? valid), publicKey: keys.publicKey,
        basicConstraints: { ca: opts.ca ?? true, ...(opts.pathLen === undefined ? {} : { pathLen: opts.pathLen }) },
        keyUsage: opts.keyCertSign === false ? ['digitalSignature'] : ['keyCertSign', 'cRLSign'],
        uris: [opts.uri ?? 'spiffe://example.org'], authorityKeyId: keyIdentifier(issuer.cert.publicKey),
      }, issuer.key);
      return { cert: new X509Certificate(der), key: keys.privateKey };
    }
    function leafUnder(issuer: { cert: X509Certificate; key: KeyObject }) {
      const keys = testKeyPair();
      return new X509Certificate(buildCertificate({
        subject: [['CN', 'leaf']], issuerDer: factsOf(issuer.cert).subjectDer, ...valid, publicKey: keys.publicKey,
        basicConstraints: { ca: false }, keyUsage: ['digitalSignature'], extKeyUsage: [OID.serverAuth, OID.clientAuth],
        uris: [ID], authorityKeyId: keyIdentifier(issuer.cert.publicKey),
      }, issuer.key));
    }
    const root = { cert: ca.root, key: ca.ca.rootKey as KeyObject };

    it('accepts a leaf issued straight by a bundle root', () => {
      expect(validateSvid([leafUnder(root)], ca.bundle, { purpose: 'client' }).path).toHaveLength(2);
    });

    it('refuses a path longer than a path length constraint allows', () => {
      const inter = { cert: ca.intermediate, key: ca.ca.intermediateKey };
      const sub = caCert(inter, 'sub-intermediate');
      expect(failure(() => validateSvid([leafUnder(sub), sub.cert, ca.intermediate], ca.bundle, { purpose: 'client' })))
        .toEqual({ code: 'ERR_SVID_PATH_TOO_LONG', reason: 'path-len-constraint' });
    });

    it('refuses more intermediates than the validator allows', () => {
      let issuer = root;
      const chain: X509Certificate[] = [];
      for (let i = 0; i < 3; i++) {
        issuer = caCert(issuer, `level ${i}`);
        chain.unshift(issuer.cert);
      }
      const bundle = createTrustBundle('example.org', [ca.root]);
      // The real root allows one intermediate (path length 1), so build under a root without one.
      expect(failure(() => validateSvid([leafUnder(issuer), ...chain], bundle, { purpose: 'client', maxIntermediates: 2 })).code).toBe('ERR_SVID_PATH_TOO_LONG');
    });

    it('refuses an intermediate that is not a CA, or may not sign certificates', () => {
      const notCa = caCert(root, 'not a ca', { ca: false });
      expect(failure(() => validateSvid([leafUnder(notCa), notCa.cert], ca.bundle, { purpose: 'client' })))
        .toEqual({ code: 'ERR_SVID_ISSUER_NOT_CA', reason: 'ca-flag' });
      const noSign = caCert(root, 'no keyCertSign', { keyCertSign: false });
      expect(failure(() => validateSvid([leafUnder(noSign), noSign.cert], ca.bundle, { purpose: 'client' })))
        .toEqual({ code: 'ERR_SVID_ISSUER_NOT_CA', reason: 'key-cert-sign' });
    });

    it('refuses an intermediate of another trust domain', () => {
      const foreign = caCert(root, 'foreign', { uri: 'spiffe://other.org' });
      expect(failure(() => validateSvid([leafUnder(foreign), foreign.cert], ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_WRONG_TRUST_DOMAIN');
    });

    it('refuses an intermediate that has expired or is not valid yet, naming it', () => {
      const expired = caCert(root, 'expired', { validity: { notBefore: new Date(now - 7_200_000), notAfter: new Date(now - 3_600_000) } });
      const result = (() => { try { validateSvid([leafUnder(expired), expired.cert], ca.bundle, { purpose: 'client' }); } catch (err) { return err as AppError; } return undefined; })();
      expect([result?.code, result?.details.role]).toEqual(['ERR_SVID_EXPIRED', 'intermediate']);
      const future = caCert(root, 'future', { validity: { notBefore: new Date(now + 3_600_000), notAfter: new Date(now + 7_200_000) } });
      expect(failure(() => validateSvid([leafUnder(future), future.cert], ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_NOT_YET_VALID');
    });

    it('refuses an intermediate whose signature is broken', () => {
      const forged = caCert({ cert: ca.root, key: testKeyPair().privateKey }, 'forged');
      expect(failure(() => validateSvid([leafUnder(forged), forged.cert], ca.bundle, { purpose: 'client' })).code).toBe('ERR_SVID_SIGNATURE_INVALID');
    });
  });
});
