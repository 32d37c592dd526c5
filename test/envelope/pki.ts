// Certificates for the envelope tests, from the PKI test kit (test/pki) and the real CA code:
// one CA per call, started a month ago so that leaves can be valid in the past; leaves of any
// key type the envelope meets (including P-384 and a too-weak RSA-1024, which qshield's CA does
// not issue, built with the same certificate builder) with a chosen validity window; and a
// numbered key per (type, index) so tests can tell key generations apart.
import { createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { CA_DEFAULTS, certificateToPem, factsOf, privateKeyToPem, type TrustBundle } from '../../lib/identity/index.ts';
import { buildCertificate, keyIdentifier } from '../../lib/identity/x509-builder.ts';
import { OID } from '../../lib/identity/oids.ts';
import { makeCa, testKeyPair, type TestCa } from '../pki/index.ts';

export type TestKeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024';

export interface TestIdentity {
  readonly cert: X509Certificate;
  readonly key: KeyObject;
  /** Leaf first, then the issuing intermediate (not the root). */
  readonly chain: readonly X509Certificate[];
  readonly spiffeId: string;
}

export interface TestPki {
  readonly ca: TestCa;
  readonly root: { readonly cert: X509Certificate };
  readonly intermediate: { readonly cert: X509Certificate };
  readonly bundle: TrustBundle;
  issue(options: IssueOptions): TestIdentity;
}

export interface IssueOptions {
  /** Path after the trust domain, e.g. `/ns/pay/sa/checkout`. */
  readonly path: string;
  readonly keyType?: TestKeyType;
  /** Which numbered key of that type (same index, same key, within one test file). */
  readonly keyIndex?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export const TRUST_DOMAIN = 'example.org';
const DAY = 86_400_000;

const keys = new Map<string, KeyObject>();

/** The `n`-th key of a type: RSA-2048 from the kit's pre-generated pool, the others made here. */
export function testKey(type: TestKeyType, n = 0): KeyObject {
  const id = `${type}#${n}`;
  let key = keys.get(id);
  if (key === undefined) {
    if (type === 'rsa-2048') key = testKeyPair('rsa-2048').privateKey;
    else if (type === 'rsa-1024') key = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    else key = generateKeyPairSync('ec', { namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' }).privateKey;
    keys.set(id, key);
  }
  return key;
}

/** A fresh CA of `trustDomain`, valid since 30 days ago. */
export function makeTestPki(trustDomain = TRUST_DOMAIN): TestPki {
  const ca = makeCa({ trustDomain, now: new Date(Date.now() - 30 * DAY) });
  const interFacts = factsOf(ca.intermediate);
  return {
    ca,
    root: { cert: ca.root },
    intermediate: { cert: ca.intermediate },
    bundle: ca.bundle,
    issue(options) {
      const keyType = options.keyType ?? 'ec-p256';
      const key = testKey(keyType, options.keyIndex ?? 0);
      const spiffeId = `spiffe://${trustDomain}${options.path}`;
      const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
      const notAfter = options.notAfter ?? new Date(Date.now() + 30 * DAY);
      let der: Buffer;
      if (keyType === 'ec-p256' || keyType === 'rsa-2048') {
        const now = new Date(notBefore.getTime() + CA_DEFAULTS.backdateMs);
        der = ca.ca.issue({ spiffeId, publicKey: key, now, ttlMs: notAfter.getTime() - now.getTime() }).der;
      } else {
        // Key types qshield's CA refuses to certify; the same builder makes the certificate.
        der = buildCertificate({
          subject: [['O', 'qshield test']],
          issuerDer: interFacts.subjectDer,
          notBefore,
          notAfter,
          publicKey: createPublicKey(key),
          basicConstraints: { ca: false },
          keyUsage: keyType === 'ec-p384' ? ['digitalSignature', 'keyAgreement'] : ['digitalSignature', 'keyEncipherment'],
          extKeyUsage: [OID.serverAuth, OID.clientAuth],
          uris: [spiffeId],
          authorityKeyId: keyIdentifier(ca.intermediate.publicKey),
        }, ca.ca.intermediateKey);
      }
      const cert = new X509Certificate(der);
      return { cert, key, chain: [cert, ca.intermediate], spiffeId };
    },
  };
}

/** PEM of a certificate, for files handed to openssl or the CLI. */
export function pem(cert: X509Certificate): string {
  return certificateToPem(cert);
}

/** PKCS#8 PEM of a private key. */
export function keyPem(key: KeyObject): string {
  return privateKeyToPem(key);
}
