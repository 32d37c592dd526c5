// inspect(): what protection an envelope claims, read from its structure without any key and
// without verifying anything: what a gateway can learn of a put. Privacy and Confidentiality
// look alike from outside (both are AuthEnvelopedData), and a Privacy signer sits inside the
// encryption, so only the message's recipients can check those.
import type { ContentEncryption } from './algorithms.ts';
import { readAuthEnvelopedData } from './auth-enveloped-data.ts';
import { EnvelopeError, malformed } from './envelope-error.ts';
import { MAX_ENVELOPE_BYTES, MAX_RECIPIENTS } from './limits.ts';
import { readContentInfo } from './open.ts';
import { readRecipientInfos } from './recipient-info.ts';
import { readSignedData } from './signed-data.ts';

export interface Inspection {
  /**
   * `none`: the bytes do not begin like CMS (an unprotected message); `signed`: a SignedData
   * (Integrity); `encrypted`: an AuthEnvelopedData (Privacy or Confidentiality).
   */
  readonly kind: 'none' | 'signed' | 'encrypted';
  /** `encrypted`: the content encryption. */
  readonly encryption?: ContentEncryption;
  /** `encrypted`: how many RecipientInfos the envelope carries. */
  readonly recipients?: number;
}

/**
 * Reads an envelope's structure. Well-formedness is checked as open() checks it; nothing is
 * decrypted or verified.
 * @throws EnvelopeError SIZE_MISMATCH, MALFORMED (begins like CMS, then breaks),
 *   STRENGTH_MISMATCH (EnvelopedData, short GCM tags).
 */
export function inspect(bytes: Uint8Array, options: { maxEnvelopeBytes?: number } = {}): Inspection {
  const limit = Math.min(options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES, MAX_ENVELOPE_BYTES);
  if (bytes.length > limit) throw new EnvelopeError('SIZE_MISMATCH', `envelope of ${bytes.length} bytes exceeds the ${limit}-byte limit`);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cms = readContentInfo(buf);
  if (cms === undefined) return { kind: 'none' };
  if (cms.name === 'signedData') {
    readSignedData(buf, cms.wrapper);
    return { kind: 'signed' };
  }
  if (cms.name === 'envelopedData') {
    throw new EnvelopeError('STRENGTH_MISMATCH', 'EnvelopedData (encryption without authentication, e.g. AES-CBC) is refused; AuthEnvelopedData with AES-GCM is required');
  }
  if (cms.name !== 'authEnvelopedData') throw malformed(`unsupported CMS content type ${cms.name ?? 'unknown'}`);
  const view = readAuthEnvelopedData(buf, cms.wrapper);
  const recipients = readRecipientInfos(buf, view.recipientInfos, MAX_RECIPIENTS).length;
  return { kind: 'encrypted', encryption: view.encryption, recipients };
}
