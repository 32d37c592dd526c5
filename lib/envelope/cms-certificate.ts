// What CMS needs of a certificate, computed once: its DER, public key, key kind and the two
// ways CMS names it (IssuerAndSerialNumber, SubjectKeyIdentifier). Cached per X509Certificate so
// that nothing is parsed per message.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { keyKindOf, type KeyKind } from './algorithms.ts';
import { DerCursor, TAG, bytesOf, contentOf, oidKey, readWhole, type DerElement } from './der-reader.ts';
import { encode, seq } from './der-writer.ts';
import { EnvelopeError } from './envelope-error.ts';
import { oidName } from './oids.ts';

export interface CmsCertificate {
  readonly x509: X509Certificate;
  readonly der: Buffer;
  readonly publicKey: KeyObject;
  readonly keyKind: KeyKind;
  /** DER of IssuerAndSerialNumber (RFC 5652 10.2.4), as SignerIdentifier and RecipientIdentifier use it. */
  readonly issuerAndSerial: Buffer;
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
 * Reads the identifiers from a certificate's DER.
 * @throws EnvelopeError MALFORMED when the DER is not a certificate.
 */
export function cmsIdentifiers(bytes: Uint8Array): CmsIdentifiers {
  const der = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cert = DerCursor.inside(der, readWhole(der, TAG.sequence, 'certificate'), 'certificate');
  const tbs = DerCursor.inside(der, cert.next(TAG.sequence, 'tbsCertificate'), 'tbsCertificate');
  tbs.optional(TAG.ctx(0), 'version');
  const serial = tbs.next(TAG.integer, 'serialNumber');
  tbs.next(TAG.sequence, 'signature');
  const issuer = tbs.next(TAG.sequence, 'issuer');
  tbs.next(TAG.sequence, 'validity');
  tbs.next(TAG.sequence, 'subject');
  tbs.next(TAG.sequence, 'subjectPublicKeyInfo');
  tbs.optional(TAG.ctxPrim(1), 'issuerUniqueID');
  tbs.optional(TAG.ctxPrim(2), 'subjectUniqueID');
  const extensions = tbs.optional(TAG.ctx(3), 'extensions');
  return {
    issuerAndSerial: encode(seq(bytesOf(der, issuer), bytesOf(der, serial))),
    subjectKeyId: extensions === undefined ? undefined : findSubjectKeyId(der, extensions),
  };
}

function parse(x509: X509Certificate): CmsCertificate {
  const ids = cmsIdentifiers(x509.raw);
  const publicKey = x509.publicKey;
  return Object.freeze({
    x509,
    der: x509.raw,
    publicKey,
    keyKind: keyKindOf(publicKey, `certificate ${x509.subject.replaceAll('\n', ', ')}`),
    issuerAndSerial: ids.issuerAndSerial,
    subjectKeyId: ids.subjectKeyId,
    notBefore: x509.validFromDate,
    notAfter: x509.validToDate,
  });
}

function findSubjectKeyId(der: Buffer, extensions: DerElement): Buffer | undefined {
  const outer = DerCursor.inside(der, extensions, 'extensions');
  const list = DerCursor.inside(der, outer.next(TAG.sequence, 'extensions'), 'extensions');
  while (!list.done) {
    const ext = DerCursor.inside(der, list.next(TAG.sequence, 'extension'), 'extension');
    const id = oidKey(der, ext.next(TAG.oid, 'extnID'), 'extnID');
    ext.optional(TAG.boolean, 'critical');
    const value = ext.next(TAG.octetString, 'extnValue');
    if (oidName(id) === 'subjectKeyIdentifier') {
      const inner = contentOf(der, value);
      return Buffer.from(contentOf(inner, readWhole(inner, TAG.octetString, 'keyIdentifier')));
    }
  }
  return undefined;
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
