// What CMS needs of a certificate, computed once: its DER, public key, key kind and the two
// ways CMS names it (IssuerAndSerialNumber, SubjectKeyIdentifier). Cached per X509Certificate so
// that nothing is parsed per message.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { keyKindOf, type KeyKind } from './algorithms.ts';
import { factsOf } from '../identity/index.ts';
import { bytesOf, DerCursor, encode, readWhole, seq, TAG, type DerElement } from '../der/index.ts';
import { EnvelopeError, envelopeFault } from './envelope-error.ts';

export interface CmsCertificate {
  readonly x509: X509Certificate;
  readonly der: Buffer;
  readonly publicKey: KeyObject;
  readonly keyKind: KeyKind;
  /** DER of IssuerAndSerialNumber (RFC 5652 10.2.4), as SignerIdentifier and RecipientIdentifier use it. */
  readonly issuerAndSerial: Buffer;
  /** The same bytes as a string, for Map keys (made once, not per message). */
  readonly issuerAndSerialKey: string;
  /** The subjectKeyIdentifier extension's key identifier, when present. */
  readonly subjectKeyId: Buffer | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const cache = new WeakMap<X509Certificate, CmsCertificate>();

/** How CMS names a certificate: IssuerAndSerialNumber and SubjectKeyIdentifier. */
export interface CmsIdentifiers {
  readonly issuerAndSerial: Buffer;
  readonly subjectKeyId: Buffer | undefined;
}

/**
 * Reads the identifiers: issuer and serial number as the exact DER the certificate carries (the
 * bytes another CMS implementation copies into its identifiers), the key identifier from the
 * certificate's facts (lib/identity).
 * @throws EnvelopeError MALFORMED, AppError ERR_CERT_MALFORMED when the DER is not a certificate.
 */
export function cmsIdentifiers(x509: X509Certificate): CmsIdentifiers {
  const der = x509.raw;
  let serial: DerElement;
  let issuer: DerElement;
  try {
    const cert = DerCursor.inside(der, readWhole(der, TAG.sequence, 'certificate'), 'certificate');
    const tbs = DerCursor.inside(der, cert.next(TAG.sequence, 'tbsCertificate'), 'tbsCertificate');
    tbs.optional(TAG.ctx(0), 'version');
    serial = tbs.next(TAG.integer, 'serialNumber');
    tbs.next(TAG.sequence, 'signature');
    issuer = tbs.next(TAG.sequence, 'issuer');
  } catch (err) {
    throw envelopeFault(err);
  }
  return {
    issuerAndSerial: encode(seq(bytesOf(der, issuer), bytesOf(der, serial))),
    subjectKeyId: factsOf(x509).subjectKeyId,
  };
}

function parse(x509: X509Certificate): CmsCertificate {
  const ids = cmsIdentifiers(x509);
  const publicKey = x509.publicKey;
  return Object.freeze({
    x509,
    der: x509.raw,
    publicKey,
    keyKind: keyKindOf(publicKey, `certificate ${x509.subject.replaceAll('\n', ', ')}`),
    issuerAndSerial: ids.issuerAndSerial,
    issuerAndSerialKey: ids.issuerAndSerial.toString('latin1'),
    subjectKeyId: ids.subjectKeyId,
    notBefore: x509.validFromDate,
    notAfter: x509.validToDate,
  });
}

/**
 * The CMS view of a certificate, parsed once and cached for the certificate object's lifetime.
 * @throws EnvelopeError CERTIFICATE_INVALID when the certificate cannot be read or its key is
 * not one the envelope uses; STRENGTH_MISMATCH for an RSA key under 2048 bits.
 */
export function cmsCertificate(cert: X509Certificate | Uint8Array): CmsCertificate {
  let x509: X509Certificate;
  try {
    x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  } catch (err) {
    throw new EnvelopeError('CERTIFICATE_INVALID', 'certificate cannot be parsed', { cause: err });
  }
  let info = cache.get(x509);
  if (info === undefined) {
    try {
      info = parse(x509);
    } catch (err) {
      if (err instanceof EnvelopeError && err.reason !== 'MALFORMED') throw err;
      throw new EnvelopeError('CERTIFICATE_INVALID', `certificate ${x509.subject} cannot be read`, { cause: err });
    }
    cache.set(x509, info);
  }
  return info;
}
