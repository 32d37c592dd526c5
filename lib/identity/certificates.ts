// Turning PEM text and DER bytes into node:crypto X509Certificates, with specific errors, and
// the per-certificate facts SVID checks need (read once per certificate object).
import { X509Certificate, type KeyObject } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { decodePem, encodePem } from './pem.ts';
import { readCertificateFacts, type CertificateFacts } from './x509-facts.ts';

export type CertificateInput = X509Certificate | Uint8Array;

function malformed(message: string, cause: unknown, index?: number): AppError {
  return new AppError('ERR_CERT_MALFORMED', message, { cause, details: index === undefined ? {} : { index } });
}

// Parsed certificates by their exact DER. The same intermediates (and, on reconnects, the same
// leaves) arrive on every connection; parsing one costs ~50 µs. X509Certificate is immutable,
// so sharing is safe. Bounded in count and in the size of what is kept.
const parsed = new Map<string, X509Certificate>();
const PARSED_LIMIT = 1024;
const CACHEABLE_BYTES = 4096;

/**
 * One certificate from DER bytes (or passed through when already parsed).
 * @throws AppError ERR_CERT_MALFORMED when the bytes are not an X.509 certificate.
 */
export function toCertificate(input: CertificateInput, index?: number): X509Certificate {
  if (input instanceof X509Certificate) return input;
  const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const key = der.length <= CACHEABLE_BYTES ? der.toString('latin1') : undefined;
  const hit = key === undefined ? undefined : parsed.get(key);
  if (hit) return hit;
  try {
    const cert = new X509Certificate(der);
    if (key !== undefined) {
      if (parsed.size >= PARSED_LIMIT) parsed.clear();
      parsed.set(key, cert);
    }
    return cert;
  } catch (err) {
    throw malformed(`${index === undefined ? 'the' : `certificate #${index + 1}:`} data is not a readable X.509 certificate`, err, index);
  }
}

/**
 * Every certificate in PEM text, in order (a chain file: leaf first).
 * @throws AppError ERR_PEM_INVALID (no CERTIFICATE block, other labels, bad base64),
 *   ERR_CERT_MALFORMED (a block that is not a certificate; `details.index`).
 */
export function parseCertificatesPem(text: string): X509Certificate[] {
  return decodePem(text, ['CERTIFICATE']).map((block, i) => toCertificate(block.der, i));
}

export function certificateToPem(cert: X509Certificate | Uint8Array): string {
  return encodePem('CERTIFICATE', cert instanceof X509Certificate ? cert.raw : cert);
}

const factsCache = new WeakMap<X509Certificate, CertificateFacts>();

/**
 * The extension facts of a certificate, read from its DER once per object.
 * @throws AppError ERR_CERT_MALFORMED when OpenSSL accepted it but its extensions are not
 *   well-formed DER (duplicate extension, bad encoding).
 */
export function factsOf(cert: X509Certificate): CertificateFacts {
  let facts = factsCache.get(cert);
  if (!facts) {
    try {
      facts = readCertificateFacts(cert.raw);
    } catch (err) {
      throw malformed(`certificate ${cert.serialNumber} has malformed extensions: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    factsCache.set(cert, facts);
  }
  return facts;
}

/**
 * A certificate's public key.
 * @throws AppError ERR_CERT_MALFORMED when OpenSSL parsed the certificate but cannot decode its key.
 */
export function publicKeyOf(cert: X509Certificate): KeyObject {
  try {
    return cert.publicKey;
  } catch (err) {
    throw new AppError('ERR_CERT_MALFORMED', `certificate ${cert.serialNumber} has an unreadable public key`, { cause: err });
  }
}
