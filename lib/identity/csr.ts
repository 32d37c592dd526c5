// PKCS#10 certificate signing requests: reading one safely (strict DER, signature verified,
// only its public key kept — never the names it asks for) and making one for a workload key.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { AppError, hasCode } from '../errors/index.ts';
import { DerError, TAG, asBuffer, bitString, bytesOf, children, encode, expectTag, integer, node, readBitString, readOid, readSmallInt, readWhole, seq, type DerElement } from '../der/index.ts';
import { keyTypeOfSpki, type KeyType } from './keys.ts';
import { SIGNATURE_ALGORITHMS } from './oids.ts';
import { decodePem, encodePem } from './pem.ts';
import { encodeName, signatureAlgorithmFor, spkiDer } from './x509-builder.ts';

export interface VerifiedCsr {
  /** The requester's public key: the only thing taken from a CSR. */
  readonly publicKey: KeyObject;
  /** The same key as SPKI DER, exactly as the CSR carried it. */
  readonly spki: Buffer;
  readonly keyType: KeyType;
}

/** Largest CSR accepted (an RSA-3072 CSR is about 1 KiB); refuses junk before parsing it. */
export const MAX_CSR_BYTES = 16 * 1024;

function malformed(reason: string, message: string, cause?: unknown): AppError {
  return new AppError('ERR_CSR_MALFORMED', `not a valid certificate signing request: ${message}`, { cause, details: { reason } });
}

function toDer(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return asBuffer(input);
  const [block] = decodePem(input, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  return (block as { der: Buffer }).der;
}

/**
 * Reads a PKCS#10 CSR (PEM text or DER bytes), checks its self-signature and returns its
 * public key. Subject, SANs and requested extensions are ignored on purpose: the CA decides
 * the identity.
 * @throws AppError ERR_PEM_INVALID (bad PEM), ERR_CSR_MALFORMED (bad structure, unsupported
 *   signature algorithm; `details.reason`), ERR_KEY_UNSUPPORTED (key type), ERR_CSR_SIGNATURE_INVALID.
 */
export function verifyCsr(input: string | Uint8Array): VerifiedCsr {
  const der = toDer(input);
  if (der.length > MAX_CSR_BYTES) throw malformed('too-large', `larger than ${MAX_CSR_BYTES} bytes`);
  let info: DerElement, spki: DerElement, algorithm: string, signature: Uint8Array, algParams: DerElement | undefined;
  try {
    const [infoEl, algEl, sigEl, extra] = children(der, readWhole(der, TAG.sequence, 'CertificationRequest'), 'CertificationRequest');
    if (!infoEl || !algEl || !sigEl || extra) throw new DerError('CertificationRequest: a CSR has exactly three parts');
    info = expectTag(infoEl, TAG.sequence, 'CertificationRequestInfo');
    const [version, subject, spkiEl, attributes, more] = children(der, info, 'CertificationRequestInfo');
    if (!version || !subject || !spkiEl || !attributes || more) throw new DerError('CertificationRequestInfo: has four parts');
    if (readSmallInt(der, version, 'version') !== 0) throw new DerError('version: unknown CSR version');
    expectTag(subject, TAG.sequence, 'subject');
    spki = expectTag(spkiEl, TAG.sequence, 'subjectPKInfo');
    expectTag(attributes, TAG.ctx(0), 'attributes');
    children(der, attributes, 'attributes');
    const [algOid, params, extraParam] = children(der, expectTag(algEl, TAG.sequence, 'signatureAlgorithm'), 'signatureAlgorithm');
    if (!algOid || extraParam) throw new DerError('signatureAlgorithm: bad signature algorithm');
    algorithm = readOid(der, algOid, 'signatureAlgorithm');
    algParams = params;
    const bits = readBitString(der, sigEl, 'signature');
    if (bits.unusedBits !== 0) throw new DerError('signature: has unused bits');
    signature = bits.bytes;
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw malformed('encoding', err instanceof Error ? err.message : String(err), err);
  }
  const alg = SIGNATURE_ALGORITHMS[algorithm];
  if (!alg) throw malformed('signature-algorithm', `unsupported signature algorithm ${algorithm} (use ECDSA or RSA PKCS#1 v1.5 with SHA-2)`);
  if (algParams && !(alg.key === 'rsa' && algParams.tag === TAG.null && algParams.end === algParams.valueStart)) {
    throw malformed('signature-algorithm', 'unexpected signature algorithm parameters');
  }
  const spkiBytes = Buffer.from(bytesOf(der, spki));
  let keyType: KeyType;
  try {
    keyType = keyTypeOfSpki(spkiBytes);
  } catch (err) {
    if (hasCode(err, 'ERR_KEY_INVALID')) throw malformed('public-key', 'its public key cannot be read', err);
    throw err;
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: spkiBytes, format: 'der', type: 'spki' });
  } catch (err) {
    throw malformed('public-key', 'its public key cannot be read', err);
  }
  if (publicKey.asymmetricKeyType !== alg.key) throw new AppError('ERR_CSR_SIGNATURE_INVALID', 'the CSR signature algorithm does not fit its key');
  let ok: boolean;
  try {
    ok = verify(alg.hash, bytesOf(der, info), publicKey, signature);
  } catch {
    ok = false; // a signature that is not even DER fails like a wrong one
  }
  if (!ok) throw new AppError('ERR_CSR_SIGNATURE_INVALID', 'the CSR signature does not verify: it was not made with the key it carries');
  return { publicKey, spki: spkiBytes, keyType };
}

/**
 * Makes a CSR for a key pair, as a workload does before asking for its SVID. The subject is
 * empty and no extensions are requested: the CA sets the identity.
 * @returns DER bytes; wrap with `csrToPem` for text.
 */
export function createCsr(privateKey: KeyObject): Buffer {
  const publicKey = createPublicKey(privateKey);
  const info = encode(seq(integer(0), encodeName([]), spkiDer(publicKey), node(TAG.ctx(0), [])));
  const algorithm = signatureAlgorithmFor(privateKey);
  return encode(seq(info, algorithm, bitString(sign('sha256', info, privateKey))));
}

export function csrToPem(der: Uint8Array): string {
  return encodePem('CERTIFICATE REQUEST', der);
}
