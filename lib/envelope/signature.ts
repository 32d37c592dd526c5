// Signing and verifying the DER of signed attributes with node:crypto KeyObjects, and the
// AlgorithmIdentifiers that name each scheme in a SignerInfo (RFC 5754, RFC 4056, RFC 8017).
import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { DIGEST_LENGTH, schemeOf, type DigestName, type SignatureAlgorithm } from './algorithms.ts';
import { algorithm, ctx, integer, NULL, seq } from '../der/index.ts';
import { OID } from './oids.ts';

/** AlgorithmIdentifier of each digest, parameters absent (RFC 5754 2). */
export const DIGEST_ALGORITHM_ID: Readonly<Record<DigestName, Buffer>> = {
  sha256: algorithm(OID.sha256),
  sha384: algorithm(OID.sha384),
  sha512: algorithm(OID.sha512),
};

function pssParams(digest: DigestName): Buffer {
  // RSASSA-PSS-params (RFC 4055 3.1): hash and MGF1 hash the same, salt as long as the hash,
  // trailer field left at its default.
  return algorithm(OID.rsassaPss, seq(
    ctx(0, DIGEST_ALGORITHM_ID[digest]),
    ctx(1, algorithm(OID.mgf1, DIGEST_ALGORITHM_ID[digest])),
    ctx(2, integer(DIGEST_LENGTH[digest])),
  ));
}

/** The signatureAlgorithm written in a SignerInfo for each algorithm. */
export const SIGNATURE_ALGORITHM_ID: Readonly<Record<SignatureAlgorithm, Buffer>> = {
  'ecdsa-sha256': algorithm(OID.ecdsaWithSha256),
  'ecdsa-sha384': algorithm(OID.ecdsaWithSha384),
  'rsa-pkcs1-sha256': algorithm(OID.sha256WithRSA, NULL),
  'rsa-pkcs1-sha384': algorithm(OID.sha384WithRSA, NULL),
  'rsa-pkcs1-sha512': algorithm(OID.sha512WithRSA, NULL),
  'rsa-pss-sha256': pssParams('sha256'),
  'rsa-pss-sha384': pssParams('sha384'),
  'rsa-pss-sha512': pssParams('sha512'),
};

/** Signs `data` (the DER of the signed attributes) with the scheme `alg` names. */
export function signWith(alg: SignatureAlgorithm, key: KeyObject, data: Uint8Array): Buffer {
  const { kind, digest } = schemeOf(alg);
  if (kind === 'ecdsa') return sign(digest, data, key);
  if (kind === 'rsa-pkcs1') return sign(digest, data, { key, padding: constants.RSA_PKCS1_PADDING });
  return sign(digest, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: DIGEST_LENGTH[digest] });
}

/** Verifies a signature; `saltLength` is the PSS salt the parameters announced. Never throws. */
export function verifyWith(alg: SignatureAlgorithm, key: KeyObject, data: Uint8Array, signature: Uint8Array, saltLength?: number): boolean {
  const { kind, digest } = schemeOf(alg);
  try {
    if (kind === 'ecdsa') return verify(digest, data, key, signature);
    if (kind === 'rsa-pkcs1') return verify(digest, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return verify(digest, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength ?? DIGEST_LENGTH[digest] }, signature);
  } catch {
    // A signature that OpenSSL cannot even decode (bad DER in an ECDSA value, wrong length)
    // is simply not valid.
    return false;
  }
}
