// The algorithms an envelope may use and their order of strength. A policy names a minimum in
// each list; anything earlier in the list is refused (STRENGTH_MISMATCH). docs/envelope.md
// explains the order.
import type { KeyObject } from 'node:crypto';
import { EnvelopeError } from './envelope-error.ts';

export type DigestName = 'sha256' | 'sha384' | 'sha512';

export const DIGEST_LENGTH: Readonly<Record<DigestName, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/**
 * Signature algorithms, weakest first: by digest (SHA-256 < SHA-384 < SHA-512, the order of AMS's
 * SIGNALG), then by scheme (RSA PKCS#1 v1.5, which has no security proof, < ECDSA < RSA-PSS).
 */
export const SIGNATURE_ALGORITHMS = [
  'rsa-pkcs1-sha256',
  'ecdsa-sha256',
  'rsa-pss-sha256',
  'rsa-pkcs1-sha384',
  'ecdsa-sha384',
  'rsa-pss-sha384',
  'rsa-pkcs1-sha512',
  'rsa-pss-sha512',
] as const;

export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** Content encryption algorithms, weakest first (AES-GCM per RFC 5084, 16-byte tags). */
export const CONTENT_ENCRYPTIONS = ['aes128-gcm', 'aes192-gcm', 'aes256-gcm'] as const;

export type ContentEncryption = (typeof CONTENT_ENCRYPTIONS)[number];

/** Key sizes of the content encryption algorithms, in bytes. */
export const CONTENT_KEY_LENGTH: Readonly<Record<ContentEncryption, number>> = { 'aes128-gcm': 16, 'aes192-gcm': 24, 'aes256-gcm': 32 };

export interface SignatureScheme {
  readonly kind: 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss';
  readonly digest: DigestName;
}

const SCHEMES = Object.fromEntries(SIGNATURE_ALGORITHMS.map((alg) => {
  const digest = alg.slice(-6) as DigestName;
  const kind = alg.startsWith('ecdsa') ? 'ecdsa' : alg.startsWith('rsa-pss') ? 'rsa-pss' : 'rsa-pkcs1';
  return [alg, Object.freeze({ kind, digest })];
})) as Readonly<Record<SignatureAlgorithm, SignatureScheme>>;

export function schemeOf(alg: SignatureAlgorithm): SignatureScheme {
  return SCHEMES[alg];
}

export function signatureAlgorithmOf(scheme: SignatureScheme): SignatureAlgorithm | undefined {
  const name = `${scheme.kind}-${scheme.digest}`;
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(name) ? (name as SignatureAlgorithm) : undefined;
}

/** True when `actual` is at least as strong as `minimum`. */
export function atLeast<T extends string>(order: readonly T[], actual: T, minimum: T | undefined): boolean {
  return minimum === undefined || order.indexOf(actual) >= order.indexOf(minimum);
}

/** The smallest RSA modulus accepted anywhere (NIST SP 800-57: 2048 bits ≈ 112-bit strength). */
export const MIN_RSA_BITS = 2048;

/** The key types the envelope signs and encrypts with. */
export type KeyKind = { readonly type: 'ec'; readonly curve: 'P-256' | 'P-384' } | { readonly type: 'rsa'; readonly bits: number };

const CURVES: Readonly<Record<string, 'P-256' | 'P-384'>> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/**
 * What kind of key this is, refusing what the envelope does not use.
 * @throws EnvelopeError STRENGTH_MISMATCH for RSA keys under 2048 bits; CERTIFICATE_INVALID for
 * other key types or curves.
 */
export function keyKindOf(key: KeyObject, whose: string): KeyKind {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[details.namedCurve ?? ''];
    if (curve === undefined) throw new EnvelopeError('CERTIFICATE_INVALID', `${whose}: EC curve ${details.namedCurve ?? '?'} is not supported (P-256, P-384)`);
    return { type: 'ec', curve };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new EnvelopeError('STRENGTH_MISMATCH', `${whose}: RSA key of ${bits} bits is under the ${MIN_RSA_BITS}-bit minimum`);
    return { type: 'rsa', bits };
  }
  throw new EnvelopeError('CERTIFICATE_INVALID', `${whose}: key type ${key.asymmetricKeyType ?? '?'} is not supported (EC, RSA)`);
}

/** The signature algorithm used when the caller names none: ECDSA for EC keys, RSA-PSS for RSA. */
export function defaultSignatureAlgorithm(kind: KeyKind): SignatureAlgorithm {
  if (kind.type === 'ec') return kind.curve === 'P-384' ? 'ecdsa-sha384' : 'ecdsa-sha256';
  return 'rsa-pss-sha256';
}
