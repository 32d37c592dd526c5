// A fresh content key and its RecipientInfos: the asymmetric work of Privacy and of each key
// generation in Confidentiality.
import { createSecretKey, randomBytes, type KeyObject, type X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { CONTENT_KEY_LENGTH, type ContentEncryption } from './algorithms.ts';
import { cmsCertificate, type CmsCertificate } from './cms-certificate.ts';
import { encode, setOf } from '../der/index.ts';
import { EnvelopeError } from './envelope-error.ts';
import { MAX_RECIPIENTS } from './limits.ts';
import { wrapContentKey } from './recipient-info.ts';

export interface ContentKeyMaterial {
  readonly cek: KeyObject;
  /** Encoded SET OF RecipientInfo, one per recipient. */
  readonly recipientInfos: Buffer;
}

/**
 * The CMS view of each recipient certificate.
 * @throws AppError ERR_INVALID_ARGUMENT for no or too many recipients; EnvelopeError
 * CERTIFICATE_INVALID / STRENGTH_MISMATCH for an unusable certificate.
 */
export function recipientCertificates(recipients: readonly (X509Certificate | Uint8Array)[] | undefined): CmsCertificate[] {
  if (recipients === undefined || recipients.length === 0) throw new AppError('ERR_INVALID_ARGUMENT', 'encryption needs at least one recipient certificate');
  if (recipients.length > MAX_RECIPIENTS) throw new AppError('ERR_INVALID_ARGUMENT', `at most ${MAX_RECIPIENTS} recipients`);
  return recipients.map((r) => cmsCertificate(r));
}

/**
 * Wraps a new random content key for every recipient, refusing certificates outside their
 * validity at `now`.
 * @throws EnvelopeError CERTIFICATE_INVALID
 */
export function newContentKey(recipients: readonly CmsCertificate[], encryption: ContentEncryption, now: Date): ContentKeyMaterial {
  for (const r of recipients) {
    if (now < r.notBefore || now > r.notAfter) {
      throw new EnvelopeError('CERTIFICATE_INVALID', `recipient certificate ${r.x509.subject} is not valid at ${now.toISOString()}`);
    }
  }
  const key = randomBytes(CONTENT_KEY_LENGTH[encryption]);
  const recipientInfos = encode(setOf(recipients.map((r) => wrapContentKey(r, key))));
  return { cek: createSecretKey(key), recipientInfos };
}
