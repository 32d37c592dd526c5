// A signer prepared once from a certificate chain and its private key: every constant part of
// the SignedData it writes (certificates, identifiers, algorithm identifiers) is encoded here,
// so sealing a message only hashes, signs and splices.
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { defaultSignatureAlgorithm, schemeOf, SIGNATURE_ALGORITHMS, type DigestName, type SignatureAlgorithm } from './algorithms.ts';
import { cmsCertificate, type CmsCertificate } from './cms-certificate.ts';
import { encode, node, TAG } from '../der/index.ts';
import { MAX_CERTIFICATES } from './limits.ts';
import { DIGEST_ALGORITHM_ID } from './signature.ts';
import { signerConstants } from './signed-data.ts';

export interface SignerOptions {
  /** The signer's certificate first, then the intermediates up to (not including) the root. */
  readonly certificates: readonly (X509Certificate | Uint8Array)[];
  /** The private key of the first certificate. */
  readonly key: KeyObject;
  /** Defaults to ECDSA with the curve's hash for EC keys, RSA-PSS SHA-256 for RSA keys. */
  readonly algorithm?: SignatureAlgorithm;
}

/** A prepared signer; create once with createSigner and reuse for every message. */
export interface Signer {
  readonly key: KeyObject;
  readonly certificate: CmsCertificate;
  readonly chain: readonly CmsCertificate[];
  readonly algorithm: SignatureAlgorithm;
  readonly digest: DigestName;
  /** @internal Encoded [0] IMPLICIT SET OF Certificate. */
  readonly certificatesField: Buffer;
  /** @internal Encoded SET { digestAlgorithm }. */
  readonly digestAlgorithms: Buffer;
  /** @internal Encoded version, sid and digestAlgorithm of the SignerInfo. */
  readonly signerInfoHead: Buffer;
  /** @internal Encoded signatureAlgorithm. */
  readonly signatureAlgorithmId: Buffer;
}

function invalid(message: string): AppError {
  return new AppError('ERR_INVALID_ARGUMENT', message);
}

/**
 * Prepares a signer.
 * @throws AppError ERR_INVALID_ARGUMENT when the key is not the private key of the first
 * certificate or the algorithm does not fit the key; EnvelopeError CERTIFICATE_INVALID or
 * STRENGTH_MISMATCH when a certificate's key is unusable.
 */
export function createSigner(options: SignerOptions): Signer {
  const { certificates, key } = options;
  if (certificates.length === 0 || certificates.length > MAX_CERTIFICATES) throw invalid(`a signer needs 1 to ${MAX_CERTIFICATES} certificates`);
  if (key.type !== 'private') throw invalid('the signer key must be a private KeyObject');
  const chain = certificates.map((c) => cmsCertificate(c));
  const leaf = chain[0] as CmsCertificate;
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(leaf.publicKey))) throw invalid('the signer key does not belong to the first certificate');
  const algorithm = options.algorithm ?? defaultSignatureAlgorithm(leaf.keyKind);
  if (!SIGNATURE_ALGORITHMS.includes(algorithm)) throw invalid(`unknown signature algorithm ${String(algorithm)}`);
  const scheme = schemeOf(algorithm);
  if ((scheme.kind === 'ecdsa') !== (leaf.keyKind.type === 'ec')) throw invalid(`signature algorithm ${algorithm} does not fit a ${leaf.keyKind.type.toUpperCase()} key`);
  const constants = signerConstants(leaf.issuerAndSerial, DIGEST_ALGORITHM_ID[scheme.digest], algorithm);
  const certs = chain.map((c) => c.der).sort(Buffer.compare);
  return Object.freeze({
    key,
    certificate: leaf,
    chain: Object.freeze(chain),
    algorithm,
    digest: scheme.digest,
    certificatesField: encode(node(TAG.ctx(0), certs)),
    digestAlgorithms: constants.digestAlgorithms,
    signerInfoHead: constants.head,
    signatureAlgorithmId: constants.signatureAlgorithmId,
  });
}
