// Whether the certificates carried in a SignedData make a signer the trust bundle vouches for at
// the signing time, and which SPIFFE id it is. Results are remembered per bundle and chain, with
// the window in which they hold, so a stream of messages from one signer validates once.
import { X509Certificate } from 'node:crypto';
import { parseSpiffeId } from '../identity/index.ts';
import { cmsCertificate, cmsIdentifiers, type CmsCertificate, type CmsIdentifiers } from './cms-certificate.ts';
import { EnvelopeError } from './envelope-error.ts';
import { LruCache } from './lru-cache.ts';

/** The roots a signer must chain to. */
export interface TrustBundle {
  readonly roots: readonly X509Certificate[];
}

export interface TrustedSigner {
  readonly spiffeId: string;
  readonly certificate: CmsCertificate;
  /** The window (intersection of the path's validity periods) in which this result holds. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A carried certificate that cannot serve, with why (it matters only if it is the signer's). */
interface Unusable extends CmsIdentifiers {
  readonly error: EnvelopeError;
}

/** Parsed certificates of one `certificates` field, and signers validated from it. */
export interface ChainEntry {
  readonly certificates: readonly CmsCertificate[];
  readonly unusable: readonly Unusable[];
  readonly signers: Map<string, TrustedSigner>;
}

const CHAINS_PER_BUNDLE = 256;

interface BundleCache {
  readonly chains: LruCache<string, ChainEntry>;
  /** The last field seen and its entry: a stream from one signer skips even the map look-up. */
  last?: { readonly field: Buffer; readonly entry: ChainEntry };
}

const chainCache = new WeakMap<TrustBundle, BundleCache>();

function cacheFor(bundle: TrustBundle): BundleCache {
  let cache = chainCache.get(bundle);
  if (cache === undefined) chainCache.set(bundle, (cache = { chains: new LruCache(CHAINS_PER_BUNDLE) }));
  return cache;
}

function invalid(message: string, cause?: unknown): EnvelopeError {
  return new EnvelopeError('CERTIFICATE_INVALID', message, cause === undefined ? {} : { cause });
}

/** The certificates of a `certificates` field, parsed once per distinct field. */
export function carriedCertificates(bundle: TrustBundle, field: Buffer | undefined, certificates: readonly Buffer[]): ChainEntry {
  const cache = cacheFor(bundle);
  const fieldBytes = field ?? Buffer.alloc(0);
  if (cache.last !== undefined && cache.last.field.equals(fieldBytes)) return cache.last.entry;
  const key = fieldBytes.toString('latin1');
  let entry = cache.chains.get(key);
  if (entry === undefined) {
    const parsed: CmsCertificate[] = [];
    const unusable: Unusable[] = [];
    for (const der of certificates) {
      try {
        parsed.push(cmsCertificate(new X509Certificate(der)));
      } catch (err) {
        // A certificate node:crypto cannot read, or with a key the envelope refuses, may be an
        // irrelevant extra; it never joins a path, and its fault is reported only if it signed.
        const error = err instanceof EnvelopeError ? err : invalid('a carried certificate cannot be read', err);
        try {
          unusable.push({ ...cmsIdentifiers(der), error });
        } catch {
          // Not even a certificate's outline: it cannot be the signer's either.
        }
      }
    }
    entry = { certificates: parsed, unusable, signers: new Map() };
    cache.chains.set(key, entry);
  }
  // A copy: the field is a view into the caller's envelope, which the caller may reuse.
  cache.last = { field: Buffer.from(fieldBytes), entry };
  return entry;
}

function build(leaf: CmsCertificate, pool: readonly CmsCertificate[], bundle: TrustBundle, at: number): TrustedSigner {
  const path: X509Certificate[] = [leaf.x509];
  let current = leaf.x509;
  for (let depth = 0; depth <= pool.length; depth++) {
    const root = bundle.roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
    if (root !== undefined) {
      path.push(root);
      for (const c of path) {
        if (at < c.validFromDate.getTime() || at > c.validToDate.getTime()) {
          throw invalid(`certificate ${c.subject.replaceAll('\n', ', ')} on the signer's path is not valid at the signing time ${new Date(at).toISOString()}`);
        }
      }
      for (const c of path.slice(1)) if (!c.ca) throw invalid('an issuer on the signer\'s path is not a CA');
      const uris = (leaf.x509.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:'));
      if (uris.length !== 1) throw invalid('the signer certificate must carry exactly one URI SAN (its SPIFFE id)');
      let spiffeId: string;
      try {
        spiffeId = parseSpiffeId((uris[0] as string).slice(4)).toString();
      } catch (err) {
        throw invalid('the signer certificate does not carry a valid SPIFFE id', err);
      }
      return {
        spiffeId,
        certificate: leaf,
        notBefore: Math.max(...path.map((c) => c.validFromDate.getTime())),
        notAfter: Math.min(...path.map((c) => c.validToDate.getTime())),
      };
    }
    const next = pool.find((c) => c.x509 !== current && current.checkIssued(c.x509) && current.verify(c.publicKey));
    if (next === undefined) break;
    path.push(next.x509);
    current = next.x509;
  }
  throw invalid('the signer certificate does not chain to the trust bundle');
}

/**
 * Validates the signer at time `at` (the signing time), from cache when the chain was validated
 * before and `at` falls in its window.
 * @throws EnvelopeError CERTIFICATE_INVALID
 */
export function trustSigner(entry: ChainEntry, signer: CmsCertificate, bundle: TrustBundle, at: Date): TrustedSigner {
  const t = at.getTime();
  const key = signer.issuerAndSerial.toString('latin1');
  const cached = entry.signers.get(key);
  if (cached !== undefined && t >= cached.notBefore && t <= cached.notAfter) return cached;
  const trusted = build(signer, entry.certificates.filter((c) => c !== signer), bundle, t);
  entry.signers.set(key, trusted);
  return trusted;
}
