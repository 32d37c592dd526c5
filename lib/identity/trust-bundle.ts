// Trust bundles: the X.509 authorities of one trust domain, several at once so a root can be
// rotated. Read and written as PEM and as the SPIFFE bundle JWKS (`use: x509-svid`, `x5c`).
import { createHash, type JsonWebKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { certificateToPem, factsOf, parseCertificatesPem, publicKeyOf, toCertificate, type CertificateInput } from './certificates.ts';
import { parseTrustDomain, tryParseSpiffeId } from './spiffe-id.ts';
import type { CertificateFacts } from './x509-facts.ts';

/** A bundle root, with what path validation needs already worked out. */
export interface TrustAnchor {
  readonly cert: X509Certificate;
  readonly facts: CertificateFacts;
  readonly publicKey: KeyObject;
  /** Hex SHA-256 of the DER, lowercase, no separators. */
  readonly fingerprint: string;
}

/** One JWK of a SPIFFE bundle (SPIFFE Trust Domain and Bundle §4). */
export interface SpiffeJwk extends JsonWebKey {
  use: 'x509-svid' | 'jwt-svid' | string;
  x5c?: string[];
  kid?: string;
}

/** The SPIFFE bundle document: a JWK set with SPIFFE parameters. */
export interface SpiffeJwks {
  keys: SpiffeJwk[];
  spiffe_sequence?: number;
  spiffe_refresh_hint?: number;
}

function invalid(reason: string, message: string, cause?: unknown): AppError {
  return new AppError('ERR_BUNDLE_INVALID', message, { cause, details: { reason } });
}

export class TrustBundle {
  readonly trustDomain: string;
  readonly anchors: readonly TrustAnchor[];

  /** @internal Use createTrustBundle or a parse function. */
  constructor(trustDomain: string, anchors: readonly TrustAnchor[]) {
    this.trustDomain = trustDomain;
    this.anchors = Object.freeze([...anchors]);
    Object.freeze(this);
  }

  get roots(): X509Certificate[] {
    return this.anchors.map((a) => a.cert);
  }

  /** The anchors whose subject is `issuerDer`, byte for byte. */
  anchorsNamed(issuerDer: Uint8Array): TrustAnchor[] {
    return this.anchors.filter((a) => a.facts.subjectDer.equals(issuerDer));
  }

  /** This bundle with more roots (rotation: add the new root before issuing from it). */
  withRoots(...roots: CertificateInput[]): TrustBundle {
    return createTrustBundle(this.trustDomain, [...this.roots, ...roots]);
  }

  /** This bundle without the root of this SHA-256 fingerprint (rotation: retire the old root). */
  withoutRoot(fingerprint: string): TrustBundle {
    const wanted = normalizeFingerprint(fingerprint);
    return createTrustBundle(this.trustDomain, this.anchors.filter((a) => a.fingerprint !== wanted).map((a) => a.cert));
  }

  toPem(): string {
    return this.roots.map(certificateToPem).join('');
  }

  /** The SPIFFE bundle form: one `x509-svid` JWK per root, each with its certificate in `x5c`. */
  toJwks(options: { sequence?: number; refreshHintSeconds?: number } = {}): SpiffeJwks {
    const keys = this.anchors.map((a): SpiffeJwk => ({
      ...(a.publicKey.export({ format: 'jwk' }) as JsonWebKey),
      use: 'x509-svid',
      kid: a.fingerprint.slice(0, 32),
      x5c: [a.cert.raw.toString('base64')],
    }));
    return {
      keys,
      ...(options.sequence === undefined ? {} : { spiffe_sequence: options.sequence }),
      ...(options.refreshHintSeconds === undefined ? {} : { spiffe_refresh_hint: options.refreshHintSeconds }),
    };
  }
}

function normalizeFingerprint(fp: string): string {
  return fp.replaceAll(':', '').toLowerCase();
}

function anchorOf(cert: X509Certificate, trustDomain: string, index: number): TrustAnchor {
  const facts = factsOf(cert);
  if (!facts.basicConstraints?.ca || (facts.keyUsage && !facts.keyUsage.usages.has('keyCertSign'))) {
    throw invalid('not-a-ca', `bundle certificate #${index + 1} (${cert.subject.replaceAll('\n', ', ')}) is not a CA certificate`);
  }
  for (const uri of facts.uris) {
    const id = tryParseSpiffeId(uri);
    if (id && (id.trustDomain !== trustDomain || !id.isTrustDomainId)) {
      throw invalid('trust-domain-mismatch', `bundle certificate #${index + 1} carries ${uri}, not spiffe://${trustDomain}`);
    }
  }
  return { cert, facts, publicKey: publicKeyOf(cert), fingerprint: createHash('sha256').update(cert.raw).digest('hex') };
}

/** The trust domain named by the roots' SPIFFE ids, when they agree on one. */
function trustDomainOfRoots(roots: readonly X509Certificate[]): string | undefined {
  const domains = new Set<string>();
  for (const root of roots) {
    for (const uri of factsOf(root).uris) {
      const id = tryParseSpiffeId(uri);
      if (id) domains.add(id.trustDomain);
    }
  }
  if (domains.size > 1) throw invalid('trust-domain-mismatch', `the bundle's roots name several trust domains: ${[...domains].join(', ')}`);
  return [...domains][0];
}

/**
 * A bundle for `trustDomain` holding `roots` (duplicates dropped, order kept).
 * @throws AppError ERR_BUNDLE_INVALID (`empty`, `not-a-ca`, `trust-domain-mismatch`),
 *   ERR_CERT_MALFORMED, ERR_SPIFFE_ID_INVALID (bad trust domain name).
 */
export function createTrustBundle(trustDomain: string, roots: readonly CertificateInput[]): TrustBundle {
  const td = parseTrustDomain(trustDomain);
  if (roots.length === 0) throw invalid('empty', 'a trust bundle needs at least one root certificate');
  const anchors: TrustAnchor[] = [];
  roots.forEach((input, i) => {
    const anchor = anchorOf(toCertificate(input, i), td, i);
    if (!anchors.some((a) => a.fingerprint === anchor.fingerprint)) anchors.push(anchor);
  });
  return new TrustBundle(td, anchors);
}

/**
 * Reads a PEM bundle. The trust domain is taken from `trustDomain` or else from the roots'
 * SPIFFE ids (`spiffe://<td>`).
 * @throws AppError ERR_BUNDLE_INVALID (also `trust-domain-unknown`), ERR_PEM_INVALID, ERR_CERT_MALFORMED.
 */
export function parseTrustBundlePem(text: string, options: { trustDomain?: string } = {}): TrustBundle {
  const roots = parseCertificatesPem(text);
  const td = options.trustDomain ?? trustDomainOfRoots(roots);
  if (!td) throw invalid('trust-domain-unknown', 'the bundle roots carry no SPIFFE id; name the trust domain');
  return createTrustBundle(td, roots);
}

/**
 * Reads a SPIFFE bundle JWKS (text or parsed). Keys whose `use` is not `x509-svid` are
 * ignored, as the spec asks; each `x509-svid` key must hold exactly one certificate in `x5c`
 * whose public key is the JWK's.
 * @throws AppError ERR_BUNDLE_INVALID (`json`, `shape`, `x5c`, `jwk-mismatch`, `empty`, …), ERR_CERT_MALFORMED.
 */
export function parseTrustBundleJwks(input: unknown, options: { trustDomain?: string } = {}): TrustBundle {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      throw invalid('json', 'the bundle is not valid JSON', err);
    }
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(keys)) throw invalid('shape', 'a SPIFFE bundle is a JSON object with a "keys" array');
  const roots: X509Certificate[] = [];
  keys.forEach((key: unknown, i) => {
    if (typeof key !== 'object' || key === null) throw invalid('shape', `keys[${i}] is not an object`);
    const jwk = key as Record<string, unknown>;
    if (jwk.use !== 'x509-svid') return;
    const x5c = jwk.x5c;
    if (!Array.isArray(x5c) || x5c.length !== 1 || typeof x5c[0] !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(x5c[0])) {
      throw invalid('x5c', `keys[${i}]: an x509-svid key needs exactly one base64 certificate in x5c`);
    }
    const cert = toCertificate(Buffer.from(x5c[0], 'base64'), i);
    const own = publicKeyOf(cert).export({ format: 'jwk' }) as Record<string, unknown>;
    for (const field of ['kty', 'crv', 'x', 'y', 'n', 'e']) {
      if (own[field] !== undefined && own[field] !== jwk[field]) throw invalid('jwk-mismatch', `keys[${i}]: the JWK's "${field}" is not its certificate's`);
    }
    roots.push(cert);
  });
  if (roots.length === 0) throw invalid('empty', 'the bundle holds no x509-svid key');
  const td = options.trustDomain ?? trustDomainOfRoots(roots);
  if (!td) throw invalid('trust-domain-unknown', 'the bundle roots carry no SPIFFE id; name the trust domain');
  return createTrustBundle(td, roots);
}

/** Reads either form: JSON (a JWKS) when the text starts with `{`, else PEM. */
export function parseTrustBundle(text: string, options: { trustDomain?: string } = {}): TrustBundle {
  return text.trimStart().startsWith('{') ? parseTrustBundleJwks(text, options) : parseTrustBundlePem(text, options);
}
