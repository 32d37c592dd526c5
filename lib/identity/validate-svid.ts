// Validates a presented X.509-SVID chain against a trust bundle by the SPIFFE X509-SVID rules,
// fast enough to run on every TLS connection: node:crypto does the signature checks, our DER
// reader the extensions, and intermediates already verified against a bundle are remembered.
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { AppError, type ErrorCode } from '../errors/index.ts';
import { factsOf, parseCertificatesPem, publicKeyOf, toCertificate, type CertificateInput } from './certificates.ts';
import { OID } from './oids.ts';
import { parseSpiffeId, tryParseSpiffeId, type SpiffeId } from './spiffe-id.ts';
import type { TrustAnchor, TrustBundle } from './trust-bundle.ts';
import type { CertificateFacts } from './x509-facts.ts';

/** What the certificate will be used for: TLS client, TLS server, or both (mutual TLS peers). */
export type SvidPurpose = 'client' | 'server' | 'both';

export interface ValidateSvidOptions {
  purpose: SvidPurpose;
  /** The time to validate at; default now. */
  now?: Date | number;
  /** Most intermediates allowed between the leaf and a bundle root. Default 4. */
  maxIntermediates?: number;
}

export interface ValidatedSvid {
  readonly spiffeId: SpiffeId;
  readonly leaf: X509Certificate;
  /** The verified path: leaf, intermediates, then the bundle root. */
  readonly path: readonly X509Certificate[];
  readonly dnsNames: readonly string[];
  /** The earliest expiry on the path: when this validation stops holding. */
  readonly notAfter: Date;
}

/** A presented chain: PEM text, or certificates / DER, leaf first. */
export type SvidChainInput = string | readonly CertificateInput[];

type Role = 'leaf' | 'intermediate' | 'root';

function fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError(code, message, { details });
}

function checkTime(cert: X509Certificate, role: Role, now: number): void {
  if (now < cert.validFromDate.getTime()) {
    throw fail('ERR_SVID_NOT_YET_VALID', `the ${role} certificate is not valid before ${cert.validFromDate.toISOString()}`, { role, notBefore: cert.validFromDate.toISOString() });
  }
  if (now > cert.validToDate.getTime()) {
    throw fail('ERR_SVID_EXPIRED', `the ${role} certificate expired at ${cert.validToDate.toISOString()}`, { role, notAfter: cert.validToDate.toISOString() });
  }
}

function checkCriticalExtensions(facts: CertificateFacts, role: Role): void {
  if (facts.unknownCritical.length > 0) {
    throw fail('ERR_SVID_CRITICAL_EXTENSION', `the ${role} certificate has a critical extension qshield does not process (${facts.unknownCritical.join(', ')})`, { role, oids: facts.unknownCritical });
  }
}

const EKU_FOR: Record<SvidPurpose, readonly string[]> = {
  client: [OID.clientAuth],
  server: [OID.serverAuth],
  both: [OID.clientAuth, OID.serverAuth],
};

/** The SPIFFE rules for a leaf (X509-SVID §4, §5), cheapest first. */
function checkLeaf(facts: CertificateFacts, bundle: TrustBundle, purpose: SvidPurpose): SpiffeId {
  if (facts.uris.length === 0) throw fail('ERR_SVID_NO_SPIFFE_ID', 'the certificate carries no URI SAN, so no SPIFFE id');
  if (facts.uris.length > 1) throw fail('ERR_SVID_MULTIPLE_URI_SANS', `the certificate carries ${facts.uris.length} URI SANs; an SVID has exactly one`, { count: facts.uris.length });
  let id: SpiffeId;
  try {
    id = parseSpiffeId(facts.uris[0] as string, { workload: true });
  } catch (err) {
    const reason = err instanceof AppError ? err.details.reason : undefined;
    throw new AppError('ERR_SVID_SPIFFE_ID_INVALID', `the certificate's URI SAN is not a workload SPIFFE id: ${err instanceof Error ? err.message : ''}`, { cause: err, details: { reason } });
  }
  if (id.trustDomain !== bundle.trustDomain) {
    throw fail('ERR_SVID_WRONG_TRUST_DOMAIN', `${id} belongs to trust domain "${id.trustDomain}", not "${bundle.trustDomain}"`, { spiffeId: id.toString(), expected: bundle.trustDomain });
  }
  if (facts.basicConstraints?.ca) throw fail('ERR_SVID_LEAF_IS_CA', 'the leaf certificate is a CA (basic constraints cA=true)', { reason: 'ca-flag' });
  const usages = facts.keyUsage?.usages;
  if (usages?.has('keyCertSign')) throw fail('ERR_SVID_LEAF_IS_CA', 'the leaf certificate may sign certificates (keyCertSign)', { reason: 'key-cert-sign' });
  if (usages?.has('cRLSign')) throw fail('ERR_SVID_LEAF_IS_CA', 'the leaf certificate may sign CRLs (cRLSign)', { reason: 'crl-sign' });
  if (!facts.keyUsage) throw fail('ERR_SVID_KEY_USAGE', 'the leaf certificate has no key usage extension', { reason: 'missing' });
  if (!facts.keyUsage.critical) throw fail('ERR_SVID_KEY_USAGE', 'the leaf certificate\'s key usage is not marked critical', { reason: 'not-critical' });
  if (!usages?.has('digitalSignature')) throw fail('ERR_SVID_KEY_USAGE', 'the leaf certificate lacks digitalSignature', { reason: 'no-digital-signature' });
  const eku = facts.extKeyUsage;
  if (!eku) throw fail('ERR_SVID_EXTENDED_KEY_USAGE', 'the leaf certificate has no extended key usage extension', { reason: 'missing', purpose });
  const missing = EKU_FOR[purpose].filter((oid) => !eku.includes(oid));
  if (missing.length > 0) {
    const names = missing.map((oid) => (oid === OID.clientAuth ? 'clientAuth' : 'serverAuth'));
    throw fail('ERR_SVID_EXTENDED_KEY_USAGE', `the leaf certificate is not for TLS ${purpose} use: its extended key usage lacks ${names.join(' and ')}`, { reason: 'purpose', purpose, missing: names });
  }
  checkCriticalExtensions(facts, 'leaf');
  return id;
}

/** Checks a certificate that issues another on the path. */
function checkIssuer(cert: X509Certificate, facts: CertificateFacts, role: Role, bundle: TrustBundle, below: number, now: number): void {
  if (!facts.basicConstraints?.ca) throw fail('ERR_SVID_ISSUER_NOT_CA', `the ${role} certificate that signed the chain is not a CA (cA=false or no basic constraints)`, { role, reason: 'ca-flag' });
  if (facts.keyUsage && !facts.keyUsage.usages.has('keyCertSign')) throw fail('ERR_SVID_ISSUER_NOT_CA', `the ${role} certificate lacks keyCertSign`, { role, reason: 'key-cert-sign' });
  const pathLen = facts.basicConstraints.pathLen;
  if (pathLen !== undefined && below > pathLen) {
    throw fail('ERR_SVID_PATH_TOO_LONG', `the ${role} certificate allows ${pathLen} intermediate(s) below it; the chain has ${below}`, { role, reason: 'path-len-constraint', pathLen, intermediates: below });
  }
  for (const uri of facts.uris) {
    const id = tryParseSpiffeId(uri);
    if (id && id.trustDomain !== bundle.trustDomain) {
      throw fail('ERR_SVID_WRONG_TRUST_DOMAIN', `the ${role} certificate belongs to trust domain "${id.trustDomain}", not "${bundle.trustDomain}"`, { role, spiffeId: uri, expected: bundle.trustDomain });
    }
  }
  checkCriticalExtensions(facts, role);
  checkTime(cert, role, now);
}

/** A candidate issuer must have the issuer's name, and the matching key id when both carry one. */
function namedIssuer(child: CertificateFacts, candidate: CertificateFacts): boolean {
  if (!candidate.subjectDer.equals(child.issuerDer)) return false;
  return !(child.authorityKeyId && candidate.subjectKeyId) || child.authorityKeyId.equals(candidate.subjectKeyId);
}

// Intermediates already verified against a bundle's root, by their exact DER: a signature
// check (~100 µs) saved on every connection after the first. Bounded; cleared when full.
const verifiedIntermediates = new WeakMap<TrustBundle, Map<string, TrustAnchor>>();
const CACHE_LIMIT = 256;

function nowOf(options: { now?: Date | number }): number {
  return options.now === undefined ? Date.now() : typeof options.now === 'number' ? options.now : options.now.getTime();
}

/**
 * Checks the SPIFFE rules that concern the leaf alone (id, trust domain, CA flags, key usage,
 * EKU for the purpose, critical extensions, validity) — not its chain. For a TLS server, whose
 * peer's intermediates node:tls does not expose, after OpenSSL has verified the chain; see
 * validatePeerSvid. Anywhere else use validateSvid.
 * @throws AppError as validateSvid, for the leaf rules.
 */
export function validateSvidLeaf(leaf: X509Certificate, bundle: TrustBundle, options: Omit<ValidateSvidOptions, 'maxIntermediates'>): ValidatedSvid {
  const facts = factsOf(leaf);
  const spiffeId = checkLeaf(facts, bundle, options.purpose);
  checkTime(leaf, 'leaf', nowOf(options));
  return Object.freeze({ spiffeId, leaf, path: Object.freeze([leaf]), dnsNames: Object.freeze([...facts.dnsNames]), notAfter: leaf.validToDate });
}

/** True when `issuerKey` verifies `cert`'s signature; a signature OpenSSL cannot even decode fails. */
function signedBy(cert: X509Certificate, issuerKey: KeyObject): boolean {
  try {
    return cert.verify(issuerKey);
  } catch {
    return false;
  }
}

function toChain(chain: SvidChainInput): X509Certificate[] {
  if (typeof chain === 'string') return parseCertificatesPem(chain);
  return chain.map((c, i) => toCertificate(c, i));
}

/**
 * Validates an X.509-SVID chain (leaf first, intermediates after; a root is optional) against
 * a trust bundle, by the SPIFFE X509-SVID rules.
 * @returns the workload's SPIFFE id, the leaf and the verified path.
 * @throws AppError, one code per rule: ERR_SVID_MISSING (no certificate), ERR_CERT_MALFORMED /
 *   ERR_PEM_INVALID (unreadable input), ERR_SVID_NO_SPIFFE_ID, ERR_SVID_MULTIPLE_URI_SANS,
 *   ERR_SVID_SPIFFE_ID_INVALID, ERR_SVID_WRONG_TRUST_DOMAIN, ERR_SVID_LEAF_IS_CA,
 *   ERR_SVID_KEY_USAGE, ERR_SVID_EXTENDED_KEY_USAGE, ERR_SVID_CRITICAL_EXTENSION,
 *   ERR_SVID_NOT_YET_VALID, ERR_SVID_EXPIRED, ERR_SVID_UNKNOWN_ISSUER, ERR_SVID_SIGNATURE_INVALID,
 *   ERR_SVID_ISSUER_NOT_CA, ERR_SVID_PATH_TOO_LONG.
 */
export function validateSvid(chain: SvidChainInput, bundle: TrustBundle, options: ValidateSvidOptions): ValidatedSvid {
  const certs = toChain(chain);
  const leaf = certs[0];
  if (!leaf) throw fail('ERR_SVID_MISSING', 'no certificate was presented');
  const now = nowOf(options);
  const maxIntermediates = options.maxIntermediates ?? 4;
  const leafFacts = factsOf(leaf);
  const spiffeId = checkLeaf(leafFacts, bundle, options.purpose);
  checkTime(leaf, 'leaf', now);

  const path: X509Certificate[] = [leaf];
  const pool = certs.slice(1);
  let cache = verifiedIntermediates.get(bundle);
  if (!cache) verifiedIntermediates.set(bundle, (cache = new Map()));
  let current = leaf;
  let currentFacts = leafFacts;
  for (;;) {
    const below = path.length - 1;
    // A remembered intermediate: its signature by this anchor was checked before.
    const currentKey = below > 0 ? current.raw.toString('latin1') : '';
    const remembered = below > 0 ? cache.get(currentKey) : undefined;
    const anchors = remembered ? [remembered] : bundle.anchors.filter((a) => namedIssuer(currentFacts, a.facts));
    if (anchors.length > 0) {
      const anchor = remembered ?? anchors.find((a) => signedBy(current, a.publicKey));
      if (!anchor) {
        throw fail('ERR_SVID_SIGNATURE_INVALID', `the ${below === 0 ? 'leaf' : 'intermediate'} certificate's signature does not verify with the bundle root that names it as issued`, { role: below === 0 ? 'leaf' : 'intermediate' });
      }
      if (below > 0 && !remembered) {
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(currentKey, anchor);
      }
      checkIssuer(anchor.cert, anchor.facts, 'root', bundle, below, now);
      path.push(anchor.cert);
      break;
    }
    const candidates = pool.filter((c) => namedIssuer(currentFacts, factsOf(c)));
    if (candidates.length === 0) {
      const selfSigned = currentFacts.subjectDer.equals(currentFacts.issuerDer);
      throw fail('ERR_SVID_UNKNOWN_ISSUER', selfSigned && below > 0
        ? `the chain ends in a root that is not in the bundle of "${bundle.trustDomain}"`
        : `no certificate in the chain or in the bundle of "${bundle.trustDomain}" issued the ${below === 0 ? 'leaf' : 'intermediate'} (issuer ${current.issuer.replaceAll('\n', ', ')})`,
      { issuer: current.issuer.replaceAll('\n', ', ') });
    }
    const issuer = candidates.find((c) => signedBy(current, publicKeyOf(c)));
    if (!issuer) throw fail('ERR_SVID_SIGNATURE_INVALID', `the ${below === 0 ? 'leaf' : 'intermediate'} certificate's signature does not verify with its issuer's key`, { role: below === 0 ? 'leaf' : 'intermediate' });
    if (below + 1 > maxIntermediates) {
      throw fail('ERR_SVID_PATH_TOO_LONG', `the chain has more than ${maxIntermediates} intermediates`, { reason: 'max-intermediates', maxIntermediates });
    }
    checkIssuer(issuer, factsOf(issuer), 'intermediate', bundle, below, now);
    pool.splice(pool.indexOf(issuer), 1);
    path.push(issuer);
    current = issuer;
    currentFacts = factsOf(issuer);
  }
  const notAfter = new Date(Math.min(...path.map((c) => c.validToDate.getTime())));
  return Object.freeze({ spiffeId, leaf, path: Object.freeze(path), dnsNames: Object.freeze([...leafFacts.dnsNames]), notAfter });
}

/** Lowercase hex SHA-256 of a certificate's DER: how qshield logs certificates. */
export function certificateFingerprint(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}
