// Whether the certificates carried in a SignedData make the signer an X.509-SVID the trust bundle
// vouches for at the signing time (lib/identity's validateSvid decides), and which SPIFFE id it
// is. Results are remembered per bundle and chain with the window in which they hold, so a
// stream of messages from one signer validates once.
import { X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { validateSvid, type TrustBundle } from '../identity/index.ts';
import { cmsCertificate, cmsIdentifiers, type CmsCertificate, type CmsIdentifiers } from './cms-certificate.ts';
import { EnvelopeError } from './envelope-error.ts';
import { LruCache } from './lru-cache.ts';
import { readCertificates } from './signed-data.ts';

export type { TrustBundle };

export interface TrustedSigner {
  readonly spiffeId: string;
  readonly certificate: CmsCertificate;
  /** The window (intersection of the path's validity periods, ms) in which this result holds. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A carried certificate that cannot sign, with why (it matters only if it is the signer's). */
interface Unusable extends CmsIdentifiers {
  readonly error: EnvelopeError;
}

/** The certificates of one `certificates` field, and the signers validated from it. */
export interface ChainEntry {
  /** Every carried certificate node:crypto can read: the pool a path is built from. */
  readonly pool: readonly X509Certificate[];
  /** Those whose key the envelope can verify signatures with: the signer candidates. */
  readonly certificates: readonly CmsCertificate[];
  readonly unusable: readonly Unusable[];
  readonly signers: Map<string, TrustedSigner>;
}

export const CHAINS_PER_BUNDLE = 256;

interface BundleCache {
  readonly chains: LruCache<string, ChainEntry>;
  /** The last field seen and its entry: a stream from one signer skips even the map look-up. */
  last?: { readonly field: Buffer; readonly entry: ChainEntry };
}

// Per bundle, so that a new bundle (a rotated root) starts afresh and an old one is collected.
const chainCache = new WeakMap<TrustBundle, BundleCache>();

function cacheFor(bundle: TrustBundle): BundleCache {
  let cache = chainCache.get(bundle);
  if (cache === undefined) chainCache.set(bundle, (cache = { chains: new LruCache(CHAINS_PER_BUNDLE) }));
  return cache;
}

function invalid(message: string, cause?: unknown, details?: Record<string, unknown>): EnvelopeError {
  return new EnvelopeError('CERTIFICATE_INVALID', message, { ...(cause === undefined ? {} : { cause }), ...(details === undefined ? {} : { details }) });
}

function parseField(certificates: readonly Buffer[]): ChainEntry {
  const pool: X509Certificate[] = [];
  const parsed: CmsCertificate[] = [];
  const unusable: Unusable[] = [];
  for (const der of certificates) {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(der);
    } catch {
      continue; // not a certificate OpenSSL can read: it can be neither signer nor issuer
    }
    pool.push(x509);
    try {
      parsed.push(cmsCertificate(x509));
    } catch (err) {
      // A key the envelope refuses (RSA under 2048 bits, another curve) is reported only if
      // that certificate turns out to be the signer's.
      const error = err instanceof EnvelopeError ? err : invalid('a carried certificate cannot be read', err);
      try {
        unusable.push({ ...cmsIdentifiers(x509), error });
      } catch {
        // Not even a certificate's outline: it cannot be the signer's.
      }
    }
  }
  return { pool, certificates: parsed, unusable, signers: new Map() };
}

/** Distinct certificates fields remembered for `bundle` (at most CHAINS_PER_BUNDLE): for tests and diagnostics. */
export function cachedChains(bundle: TrustBundle): number {
  return chainCache.get(bundle)?.chains.size ?? 0;
}

/**
 * The certificates of a SignedData's certificates field, read and parsed once per distinct field
 * and bundle.
 * @throws EnvelopeError MALFORMED when a field not seen before is broken.
 */
export function carriedCertificates(bundle: TrustBundle, field: Buffer): ChainEntry {
  const cache = cacheFor(bundle);
  if (cache.last !== undefined && cache.last.field.equals(field)) return cache.last.entry;
  const key = field.toString('latin1');
  let entry = cache.chains.get(key);
  if (entry === undefined) {
    entry = parseField(readCertificates(field));
    cache.chains.set(key, entry);
  }
  // A copy: the field is a view into the caller's envelope, which the caller may reuse.
  cache.last = { field: Buffer.from(field), entry };
  return entry;
}

/**
 * Validates the signer at time `at` (the signing time) as an X.509-SVID of the bundle's trust
 * domain, from cache when this chain was validated before and `at` falls in its window.
 * @throws EnvelopeError CERTIFICATE_INVALID, with the SVID rule broken in `details.svidCode`.
 */
export function trustSigner(entry: ChainEntry, signer: CmsCertificate, bundle: TrustBundle, at: Date): TrustedSigner {
  const t = at.getTime();
  const key = signer.issuerAndSerialKey;
  const cached = entry.signers.get(key);
  if (cached !== undefined && t >= cached.notBefore && t <= cached.notAfter) return cached;
  let validated;
  try {
    // Message identities are SVIDs (DESIGN.md, Identity); the signer is the message's client.
    validated = validateSvid([signer.x509, ...entry.pool.filter((c) => c !== signer.x509)], bundle, { purpose: 'client', now: at });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    throw invalid(`the signer's certificate is not valid at the signing time ${at.toISOString()}: ${err.message}`, err, { svidCode: err.code });
  }
  const trusted: TrustedSigner = {
    spiffeId: validated.spiffeId.toString(),
    certificate: signer,
    notBefore: Math.max(...validated.path.map((c) => c.validFromDate.getTime())),
    notAfter: validated.notAfter.getTime(),
  };
  entry.signers.set(key, trusted);
  return trusted;
}
