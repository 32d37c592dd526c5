// Test SVIDs: good ones from a test CA, and the usual bad ones (expired, not yet valid, another
// trust domain, an untrusted CA, and leaves that break one SPIFFE rule each).
import { X509Certificate, type KeyObject } from 'node:crypto';
import { certificateToPem, factsOf } from '../../lib/identity/certificates.ts';
import { privateKeyToPem, type KeyType } from '../../lib/identity/keys.ts';
import { OID, type KeyUsage } from '../../lib/identity/oids.ts';
import { parseSpiffeId } from '../../lib/identity/spiffe-id.ts';
import { buildCertificate, keyIdentifier } from '../../lib/identity/x509-builder.ts';
import { testKeyPair } from './keys.ts';
import { makeCa, sharedCa, type TestCa } from './make-ca.ts';

export interface TestLeaf {
  readonly spiffeId: string;
  readonly ca: TestCa;
  readonly cert: X509Certificate;
  /** Leaf then intermediate. */
  readonly chain: readonly X509Certificate[];
  readonly chainPem: string;
  readonly key: KeyObject;
  readonly keyPem: string;
  /** Ready for node:tls / https options: own key and chain, and the CA's bundle to trust. */
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
}

export interface IssueLeafOptions {
  /** Default: the shared CA of the id's trust domain. */
  ca?: TestCa;
  keyType?: KeyType;
  ttlMs?: number;
  dnsNames?: string[];
  /** The issuing "now" (the leaf is valid from 5 minutes before it). */
  now?: Date;
}

function leafOf(spiffeId: string, ca: TestCa, der: Buffer, key: KeyObject): TestLeaf {
  const cert = new X509Certificate(der);
  const chainPem = certificateToPem(der) + certificateToPem(ca.intermediate);
  const keyPem = privateKeyToPem(key);
  return { spiffeId, ca, cert, chain: [cert, ca.intermediate], chainPem, key, keyPem, tls: { key: keyPem, cert: chainPem, ca: ca.bundlePem } };
}

/** A valid SVID for `spiffeId`, issued by the real CA code. */
export function issueLeaf(spiffeId: string, options: IssueLeafOptions = {}): TestLeaf {
  const ca = options.ca ?? sharedCa(parseSpiffeId(spiffeId).trustDomain);
  const keys = testKeyPair(options.keyType ?? 'ec-p256');
  const issued = ca.ca.issue({
    spiffeId,
    publicKey: keys.publicKey,
    ...(options.ttlMs ? { ttlMs: options.ttlMs } : {}),
    ...(options.dnsNames ? { dnsNames: options.dnsNames } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return leafOf(spiffeId, ca, issued.der, keys.privateKey);
}

const DAY = 86_400_000;

/** An SVID that expired a day ago (issued two days ago for one hour). */
export function expiredLeaf(spiffeId: string, options: Omit<IssueLeafOptions, 'now' | 'ttlMs'> = {}): TestLeaf {
  return issueLeaf(spiffeId, { ...options, now: new Date(Date.now() - 2 * DAY), ttlMs: 3_600_000 });
}

/** An SVID valid only from a day from now. */
export function notYetValidLeaf(spiffeId: string, options: Omit<IssueLeafOptions, 'now'> = {}): TestLeaf {
  return issueLeaf(spiffeId, { ...options, now: new Date(Date.now() + DAY) });
}

/** A valid SVID of another trust domain (`wrong.example`), from that domain's own CA. */
export function wrongDomainLeaf(path = '/ns/default/sa/intruder', options: Omit<IssueLeafOptions, 'ca'> = {}): TestLeaf {
  return issueLeaf(`spiffe://wrong.example${path}`, options);
}

/** An SVID for `spiffeId` from a CA of the same trust domain that no bundle trusts. */
export function untrustedLeaf(spiffeId: string, options: Omit<IssueLeafOptions, 'ca'> = {}): TestLeaf {
  return issueLeaf(spiffeId, { ...options, ca: makeCa({ trustDomain: parseSpiffeId(spiffeId).trustDomain }) });
}

/** The SPIFFE rules a leaf can break, one at a time. */
export type LeafBreakage =
  | 'ca-flag' | 'key-cert-sign' | 'crl-sign'
  | 'no-uri-san' | 'two-uri-sans' | 'uri-not-spiffe' | 'trust-domain-id'
  | 'no-key-usage' | 'key-usage-not-critical' | 'no-digital-signature'
  | 'no-eku' | 'no-client-auth' | 'no-server-auth'
  | 'unknown-critical-extension' | 'bad-signature';

/**
 * A leaf signed by the CA's intermediate that breaks exactly one SPIFFE X509-SVID rule. Made
 * with the same certificate builder as real SVIDs, so everything else about it is right.
 */
export function brokenLeaf(spiffeId: string, breakage: LeafBreakage, options: { ca?: TestCa } = {}): TestLeaf {
  const ca = options.ca ?? sharedCa(parseSpiffeId(spiffeId).trustDomain);
  const keys = testKeyPair('ec-p256');
  const now = Date.now();
  let keyUsage: KeyUsage[] = ['digitalSignature', 'keyAgreement'];
  if (breakage === 'key-cert-sign') keyUsage = [...keyUsage, 'keyCertSign'];
  if (breakage === 'crl-sign') keyUsage = [...keyUsage, 'cRLSign'];
  if (breakage === 'no-key-usage') keyUsage = [];
  if (breakage === 'no-digital-signature') keyUsage = ['keyAgreement'];
  const uris = {
    'no-uri-san': [],
    'two-uri-sans': [spiffeId, `${spiffeId}-second`],
    'uri-not-spiffe': ['https://example.org/not-spiffe'],
    'trust-domain-id': [`spiffe://${parseSpiffeId(spiffeId).trustDomain}`],
  }[breakage as string] ?? [spiffeId];
  const eku = breakage === 'no-eku' ? undefined
    : breakage === 'no-client-auth' ? [OID.serverAuth]
      : breakage === 'no-server-auth' ? [OID.clientAuth]
        : [OID.serverAuth, OID.clientAuth];
  const signer = breakage === 'bad-signature' ? testKeyPair('ec-p256').privateKey : ca.ca.intermediateKey;
  const der = buildCertificate({
    subject: [['O', 'qshield test'], ['CN', breakage]],
    issuerDer: factsOf(ca.intermediate).subjectDer,
    notBefore: new Date(now - 300_000),
    notAfter: new Date(now + 3_600_000),
    publicKey: keys.publicKey,
    basicConstraints: { ca: breakage === 'ca-flag' },
    keyUsage,
    keyUsageCritical: breakage !== 'key-usage-not-critical',
    ...(eku ? { extKeyUsage: eku } : {}),
    uris,
    authorityKeyId: keyIdentifier(ca.intermediate.publicKey),
    ...(breakage === 'unknown-critical-extension' ? { extraExtensions: [{ oid: '1.3.6.1.4.1.57264.99.1', critical: true, value: Buffer.from([0x05, 0x00]) }] } : {}),
  }, signer);
  return leafOf(spiffeId, ca, der, keys.privateKey);
}
