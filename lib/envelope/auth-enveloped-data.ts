// CMS AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084), as qshield writes and reads it:
// content type id-data, 12-byte nonce, 16-byte tag, no authenticated attributes (OpenSSL 3.0
// cannot read them; docs/envelope.md). Content is released only after the tag verifies.
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CONTENT_KEY_LENGTH, type ContentEncryption } from './algorithms.ts';
import { readAlgorithm, describe } from './algorithm-identifier.ts';
import { DerCursor, TAG, bytesOf, contentOf, oidKey, readSmallInt, type DerElement } from './der-reader.ts';
import { encode, node, octets, prim, seq } from './der-writer.ts';
import { EnvelopeError, malformed } from './envelope-error.ts';
import { OID_DER, type OidName } from './oids.ts';

export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

const VERSION_0 = Buffer.from([0x02, 0x01, 0x00]);
const ICV_LEN_16 = Buffer.from([0x02, 0x01, TAG_LENGTH]);
const GCM_OID: Readonly<Record<ContentEncryption, Buffer>> = { 'aes128-gcm': OID_DER.aes128Gcm, 'aes192-gcm': OID_DER.aes192Gcm, 'aes256-gcm': OID_DER.aes256Gcm };
const CIPHER: Readonly<Record<ContentEncryption, 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'>> = { 'aes128-gcm': 'aes-128-gcm', 'aes192-gcm': 'aes-192-gcm', 'aes256-gcm': 'aes-256-gcm' };

/**
 * Encrypts `plaintext` under `cek` with `nonce` and returns ContentInfo { id-ct-authEnvelopedData }.
 * `recipientInfos` is the encoded SET OF RecipientInfo. The nonce is the caller's to keep unique.
 */
export function encodeAuthEnvelopedData(recipientInfos: Uint8Array, encryption: ContentEncryption, cek: KeyObject | Buffer, nonce: Buffer, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv(CIPHER[encryption], cek, nonce, { authTagLength: TAG_LENGTH });
  const head = cipher.update(plaintext);
  const last = cipher.final();
  const ciphertext = last.length === 0 ? head : Buffer.concat([head, last]);
  const mac = cipher.getAuthTag();
  const aed = seq(
    VERSION_0,
    recipientInfos,
    seq(OID_DER.data, seq(GCM_OID[encryption], seq(octets(nonce), ICV_LEN_16)), prim(TAG.ctxPrim(0), ciphertext)),
    octets(mac),
  );
  return encode(seq(OID_DER.authEnvelopedData, node(TAG.ctx(0), [aed])));
}

/** What open needs of an AuthEnvelopedData, located in the input buffer. */
export interface AuthEnvelopedView {
  readonly recipientInfos: DerElement;
  readonly encryption: ContentEncryption;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly mac: Buffer;
  /** The DER of authAttrs re-tagged as SET OF: the GCM additional data (RFC 5083 2.1), if present. */
  readonly aad: Buffer | undefined;
}

const GCM: Partial<Record<OidName, ContentEncryption>> = { aes128Gcm: 'aes128-gcm', aes192Gcm: 'aes192-gcm', aes256Gcm: 'aes256-gcm' };
const DATA_KEY = OID_DER.data.subarray(2).toString('latin1');

/**
 * Reads the AuthEnvelopedData inside a ContentInfo's [0] EXPLICIT wrapper.
 * @throws EnvelopeError MALFORMED for structure faults; STRENGTH_MISMATCH for tags under 16 bytes.
 */
export function readAuthEnvelopedData(buf: Uint8Array, wrapper: DerElement): AuthEnvelopedView {
  const outer = DerCursor.inside(buf, wrapper, 'AuthEnvelopedData wrapper');
  const aedEl = outer.next(TAG.sequence, 'AuthEnvelopedData');
  outer.finish('AuthEnvelopedData wrapper');
  const c = DerCursor.inside(buf, aedEl, 'AuthEnvelopedData');
  if (readSmallInt(buf, c.next(TAG.integer, 'AuthEnvelopedData version'), 'AuthEnvelopedData version') !== 0) throw malformed('AuthEnvelopedData version must be 0');
  c.optional(TAG.ctx(0), 'originatorInfo');
  const recipientInfos = c.next(TAG.set, 'recipientInfos');
  const eci = DerCursor.inside(buf, c.next(TAG.sequence, 'authEncryptedContentInfo'), 'authEncryptedContentInfo');
  const contentType = oidKey(buf, eci.next(TAG.oid, 'content type'), 'content type');
  const alg = readAlgorithm(buf, eci.next(TAG.sequence, 'contentEncryptionAlgorithm'), 'contentEncryptionAlgorithm');
  const contentEl = eci.optional(TAG.ctxPrim(0), 'encryptedContent');
  eci.finish('authEncryptedContentInfo');
  const authAttrs = c.optional(TAG.ctx(1), 'authAttrs');
  const macEl = c.next(TAG.octetString, 'mac');
  c.optional(TAG.ctx(2), 'unauthAttrs');
  c.finish('AuthEnvelopedData');

  if (contentType !== DATA_KEY) throw malformed('encrypted content type is not id-data');
  if (contentEl === undefined) throw malformed('encryptedContent is missing');
  const encryption = alg.name === undefined ? undefined : GCM[alg.name];
  if (encryption === undefined) throw malformed(`unsupported content encryption ${describe(alg)}`);
  if (alg.params === undefined || alg.params.tag !== TAG.sequence) throw malformed('GCM parameters missing');
  const p = DerCursor.inside(buf, alg.params, 'GCMParameters');
  const nonce = contentOf(buf, p.next(TAG.octetString, 'GCM nonce'));
  const icvEl = p.optional(TAG.integer, 'GCM ICV length');
  p.finish('GCMParameters');
  const icvLen = icvEl === undefined ? 12 : readSmallInt(buf, icvEl, 'GCM ICV length');
  if (nonce.length !== NONCE_LENGTH) throw malformed(`GCM nonce must be ${NONCE_LENGTH} bytes`);
  if (icvLen < 12 || icvLen > 16) throw malformed('GCM ICV length must be 12 to 16');
  if (icvLen !== TAG_LENGTH) throw new EnvelopeError('STRENGTH_MISMATCH', `a ${icvLen}-byte GCM tag is refused; ${TAG_LENGTH} bytes are required`);
  const mac = contentOf(buf, macEl);
  if (mac.length !== icvLen) throw malformed('mac length differs from the GCM ICV length');
  let aad: Buffer | undefined;
  if (authAttrs !== undefined) {
    aad = Buffer.from(bytesOf(buf, authAttrs));
    aad[0] = TAG.set;
  }
  return { recipientInfos, encryption, nonce, ciphertext: contentOf(buf, contentEl), mac, aad };
}

/**
 * Decrypts and authenticates the content.
 * @throws EnvelopeError DECRYPTION_FAILED when the key has the wrong length or the tag fails.
 */
export function decryptContent(view: AuthEnvelopedView, cek: KeyObject): Buffer {
  if (cek.symmetricKeySize !== CONTENT_KEY_LENGTH[view.encryption]) throw new EnvelopeError('DECRYPTION_FAILED', 'the unwrapped content key has the wrong length for the content encryption');
  try {
    const decipher = createDecipheriv(CIPHER[view.encryption], cek, view.nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(view.mac);
    if (view.aad !== undefined) decipher.setAAD(view.aad);
    const head = decipher.update(view.ciphertext);
    const last = decipher.final();
    return last.length === 0 ? head : Buffer.concat([head, last]);
  } catch (err) {
    throw new EnvelopeError('DECRYPTION_FAILED', 'the content failed its authentication tag', { cause: err });
  }
}
