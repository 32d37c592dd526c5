import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { issueLeaf, makeCa } from '../../test/pki/index.ts';
import { createTrustBundle, parseTrustBundle, parseTrustBundleJwks, parseTrustBundlePem } from './trust-bundle.ts';
import { validateSvid } from './validate-svid.ts';

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code === 'ERR_BUNDLE_INVALID' ? err.details.reason : err.code;
    throw err;
  }
  return 'accepted';
}

describe('trust bundles', () => {
  const a = makeCa();
  const b = makeCa({ keyType: 'rsa-2048' });
  const both = createTrustBundle('example.org', [a.root, b.root]);

  it('round-trips several roots through PEM, learning the trust domain from them', () => {
    const back = parseTrustBundlePem(both.toPem());
    expect(back.trustDomain).toBe('example.org');
    expect(back.roots.map((r) => r.fingerprint256)).toEqual([a.root.fingerprint256, b.root.fingerprint256]);
  });

  it('round-trips through the SPIFFE JWKS form with use x509-svid and x5c', () => {
    const jwks = both.toJwks({ sequence: 3, refreshHintSeconds: 300 });
    expect(jwks.spiffe_sequence).toBe(3);
    expect(jwks.spiffe_refresh_hint).toBe(300);
    expect(jwks.keys.map((k) => [k.kty, k.use, k.crv])).toEqual([['EC', 'x509-svid', 'P-256'], ['RSA', 'x509-svid', undefined]]);
    expect(jwks.keys[0]?.x5c).toEqual([a.root.raw.toString('base64')]);
    expect(jwks.keys[1]?.n).toBeTypeOf('string');
    const back = parseTrustBundle(JSON.stringify(jwks));
    expect(back.roots.map((r) => r.fingerprint256)).toEqual([a.root.fingerprint256, b.root.fingerprint256]);
  });

  it('ignores keys of other uses, as the SPIFFE bundle spec asks', () => {
    const jwks = both.toJwks();
    const withJwt = { keys: [{ kty: 'EC', use: 'jwt-svid', crv: 'P-256', x: 'x', y: 'y', kid: 'k' }, ...jwks.keys] };
    expect(parseTrustBundleJwks(withJwt).roots).toHaveLength(2);
  });

  it('keeps rotation simple: add a root, retire a root', () => {
    const one = a.bundle;
    const two = one.withRoots(b.root);
    const leafB = issueLeaf('spiffe://example.org/ns/a/sa/b', { ca: b });
    expect(() => validateSvid(leafB.chain, one, { purpose: 'client' })).toThrow(AppError);
    expect(validateSvid(leafB.chain, two, { purpose: 'client' }).spiffeId.toString()).toBe('spiffe://example.org/ns/a/sa/b');
    expect(two.withoutRoot(a.root.fingerprint256).roots).toHaveLength(1);
    expect(two.withRoots(a.root).roots).toHaveLength(2); // duplicates dropped
  });

  it.each([
    ['no keys', '{"keys":[]}', 'empty'],
    ['not JSON', '{nope', 'json'],
    ['no keys array', '{"keys":3}', 'shape'],
    ['a key that is not an object', '{"keys":[1]}', 'shape'],
    ['two certificates in x5c', () => ({ keys: [{ ...a.bundle.toJwks().keys[0], x5c: [a.root.raw.toString('base64'), a.root.raw.toString('base64')] }] }), 'x5c'],
    ['x5c that is not base64', () => ({ keys: [{ ...a.bundle.toJwks().keys[0], x5c: ['***'] }] }), 'x5c'],
    ['a JWK whose key is not its certificate\'s', () => ({ keys: [{ ...a.bundle.toJwks().keys[0], x5c: [makeCa().root.raw.toString('base64')] }] }), 'jwk-mismatch'],
  ])('refuses a JWKS with %s', (_name, input, reason) => {
    const doc = typeof input === 'function' ? input() : input;
    expect(reasonOf(() => parseTrustBundleJwks(doc))).toBe(reason);
  });

  it('refuses a leaf as a root, and roots of another trust domain', () => {
    const leaf = issueLeaf('spiffe://example.org/ns/a/sa/b', { ca: a });
    expect(reasonOf(() => createTrustBundle('example.org', [leaf.cert]))).toBe('not-a-ca');
    expect(reasonOf(() => createTrustBundle('other.org', [a.root]))).toBe('trust-domain-mismatch');
    expect(reasonOf(() => parseTrustBundlePem(a.bundlePem + makeCa({ trustDomain: 'other.org' }).bundlePem))).toBe('trust-domain-mismatch');
    expect(reasonOf(() => createTrustBundle('example.org', []))).toBe('empty');
    expect(reasonOf(() => parseTrustBundlePem('junk'))).toBe('ERR_PEM_INVALID');
    expect(reasonOf(() => parseTrustBundlePem('-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n'))).toBe('ERR_CERT_MALFORMED');
  });

  it('fails with a specific error, never a crash, on corrupted roots and arbitrary JSON (fuzz)', () => {
    const der = Buffer.from(a.root.raw);
    fc.assert(fc.property(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const bad = Buffer.from(der);
      bad[at] = (bad[at] as number) ^ xor;
      const r = reasonOf(() => createTrustBundle('example.org', [bad]));
      expect(typeof r).toBe('string');
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.oneof(fc.json(), fc.constant(JSON.stringify(a.bundle.toJwks()).replace('x509-svid', 'x509-svid '))), (text) => {
      const r = reasonOf(() => parseTrustBundleJwks(text));
      expect(typeof r).toBe('string');
    }), { numRuns: 1000 });
  });
});
