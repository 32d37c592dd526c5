// CMS AuthEnvelopedData (RFC 5083) with AES-GCM (RFC 5084), as qshield writes and reads it:
// content type id-data, 12-byte nonce, 16-byte tag, no authenticated attributes (OpenSSL 3.0
// cannot read them; docs/envelope.md). Content is released only after the tag verifies.
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { CONTENT_ENCRYPTIONS, CONTENT_KEY_LENGTH, type ContentEncryption } from './algorithms.ts';
import { readAlgorithm, describe } from './algorithm-identifier.ts';
import { bytesOf, contentOf, DerCursor, encode, headerSize, isEncoding, node, octets, prim, readSmallInt, seq, TAG, writeHeader, type DerElement } from '../der/index.ts';
import { EnvelopeError, envelopeFault, malformed } from './envelope-error.ts';
import { OID_DER } from './oids.ts';

export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

const VERSION_0 = Buffer.from([0x02, 0x01, 0x00]);
const ICV_LEN_16 = Buffer.from([0x02, 0x01, TAG_LENGTH]);
const GCM_OID: Readonly<Record<ContentEncryption, Buffer>> = { 'aes128-gcm': OID_DER.aes128Gcm, 'aes192-gcm': OID_DER.aes192Gcm, 'aes256-gcm': OID_DER.aes256Gcm };
const CIPHER: Readonly<Record<ContentEncryption, 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm'>> = { 'aes128-gcm': 'aes-128-gcm', 'aes192-gcm': 'aes-192-gcm', 'aes256-gcm': 'aes-256-gcm' };
const GCM_OPTIONS = Object.freeze({ authTagLength: TAG_LENGTH });
const MAC_HEADER = Buffer.from([TAG.octetString, TAG_LENGTH]);

/**
 * The constant middle of an authEncryptedContentInfo, per encryption: content type id-data, then
 * the AlgorithmIdentifier { GCM OID, GCMParameters { OCTET STRING (12 bytes) … } } up to the
 * nonce's value. Written with one copy per message instead of one per element.
 */
const ALGORITHM_BLOCK: Readonly<Record<ContentEncryption, Buffer>> = Object.fromEntries(CONTENT_ENCRYPTIONS.map((e) => {
  const whole = encode(seq(OID_DER.data, seq(GCM_OID[e], seq(octets(Buffer.alloc(NONCE_LENGTH)), ICV_LEN_16))));
  // Without the outer SEQUENCE header (its length depends on the payload) and from the nonce on.
  const outerHeader = (whole[1] as number) < 0x80 ? 2 : 2 + ((whole[1] as number) & 0x7f);
  return [e, whole.subarray(outerHeader, whole.length - ICV_LEN_16.length - NONCE_LENGTH)];
})) as Record<ContentEncryption, Buffer>;

/**
 * Encrypts `plaintext` under `cek` with `nonce` and returns ContentInfo { id-ct-authEnvelopedData }.
 * `recipientInfos` is the encoded SET OF RecipientInfo. The nonce is the caller's to keep unique.
 *
 * This is the Confidentiality hot path, so the structure is laid out by hand: every length is
 * known from the payload length, the output is allocated once and the ciphertext and tag are
 * copied into it once (encodeAuthEnvelopedDataGeneric, the DER-writer form, is the reference).
 */
export function encodeAuthEnvelopedData(recipientInfos: Uint8Array, encryption: ContentEncryption, cek: KeyObject | Buffer, nonce: Buffer, plaintext: Uint8Array): Buffer {
  const algBlock = ALGORITHM_BLOCK[encryption];
  const n = plaintext.length;
  const eciLength = algBlock.length + NONCE_LENGTH + ICV_LEN_16.length + headerSize(n) + n;
  const aedLength = VERSION_0.length + recipientInfos.length + headerSize(eciLength) + eciLength + MAC_HEADER.length + TAG_LENGTH;
  const wrapperLength = headerSize(aedLength) + aedLength;
  const ciLength = OID_DER.authEnvelopedData.length + headerSize(wrapperLength) + wrapperLength;
  const out = Buffer.allocUnsafe(headerSize(ciLength) + ciLength);

  let pos = writeHeader(out, 0, TAG.sequence, ciLength);
  pos = put(out, pos, OID_DER.authEnvelopedData);
  pos = writeHeader(out, pos, TAG.ctx(0), wrapperLength);
  pos = writeHeader(out, pos, TAG.sequence, aedLength);
  pos = put(out, pos, VERSION_0);
  pos = put(out, pos, recipientInfos);
  pos = writeHeader(out, pos, TAG.sequence, eciLength);
  pos = put(out, pos, algBlock);
  pos = put(out, pos, nonce);
  pos = put(out, pos, ICV_LEN_16);
  pos = writeHeader(out, pos, TAG.ctxPrim(0), n);
  const cipher = createCipheriv(CIPHER[encryption], cek, nonce, GCM_OPTIONS);
  pos = put(out, pos, cipher.update(plaintext));
  pos = put(out, pos, cipher.final());
  pos = put(out, pos, MAC_HEADER);
  pos = put(out, pos, cipher.getAuthTag());
  if (pos !== out.length) throw new Error('AuthEnvelopedData layout error');
  return out;
}

function put(out: Buffer, pos: number, bytes: Uint8Array): number {
  out.set(bytes, pos);
  return pos + bytes.length;
}

/** The same encoding through the generic DER writer: the reference the hand layout is tested against. */
export function encodeAuthEnvelopedDataGeneric(recipientInfos: Uint8Array, encryption: ContentEncryption, cek: KeyObject | Buffer, nonce: Buffer, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv(CIPHER[encryption], cek, nonce, { authTagLength: TAG_LENGTH });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const aed = seq(
    VERSION_0,
    recipientInfos,
    seq(OID_DER.data, seq(GCM_OID[encryption], seq(octets(nonce), ICV_LEN_16)), prim(TAG.ctxPrim(0), ciphertext)),
    octets(cipher.getAuthTag()),
  );
  return encode(seq(OID_DER.authEnvelopedData, node(TAG.ctx(0), [aed])));
}

// AES-256-GCM, the default, first: the three OIDs differ only in their last byte.
const GCM_BY_LIKELIHOOD: readonly ContentEncryption[] = ['aes256-gcm', 'aes128-gcm', 'aes192-gcm'];

function gcmNamed(buf: Buffer, algOid: DerElement): ContentEncryption | undefined {
  for (const e of GCM_BY_LIKELIHOOD) if (isEncoding(buf, algOid, GCM_OID[e])) return e;
  return undefined;
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


/**
 * Reads the AuthEnvelopedData inside a ContentInfo's [0] EXPLICIT wrapper.
 * @throws EnvelopeError MALFORMED for structure faults; STRENGTH_MISMATCH for tags under 16 bytes.
 */
export function readAuthEnvelopedData(buf: Buffer, wrapper: DerElement): AuthEnvelopedView {
  try {
    return readAuthEnvelopedView(buf, wrapper);
  } catch (err) {
    throw envelopeFault(err);
  }
}

function readAuthEnvelopedView(buf: Buffer, wrapper: DerElement): AuthEnvelopedView {
  const outer = DerCursor.inside(buf, wrapper, 'AuthEnvelopedData wrapper');
  const aedEl = outer.next(TAG.sequence, 'AuthEnvelopedData');
  outer.finish('AuthEnvelopedData wrapper');
  const c = DerCursor.inside(buf, aedEl, 'AuthEnvelopedData');
  if (readSmallInt(buf, c.next(TAG.integer, 'AuthEnvelopedData version'), 'AuthEnvelopedData version') !== 0) throw malformed('AuthEnvelopedData version must be 0');
  c.optional(TAG.ctx(0), 'originatorInfo');
  const recipientInfos = c.next(TAG.set, 'recipientInfos');
  const eci = DerCursor.inside(buf, c.next(TAG.sequence, 'authEncryptedContentInfo'), 'authEncryptedContentInfo');
  const contentTypeEl = eci.next(TAG.oid, 'content type');
  const algEl = eci.next(TAG.sequence, 'contentEncryptionAlgorithm');
  const contentEl = eci.optional(TAG.ctxPrim(0), 'encryptedContent');
  eci.finish('authEncryptedContentInfo');
  const authAttrs = c.optional(TAG.ctx(1), 'authAttrs');
  const macEl = c.next(TAG.octetString, 'mac');
  c.optional(TAG.ctx(2), 'unauthAttrs');
  c.finish('AuthEnvelopedData');

  if (!isEncoding(buf, contentTypeEl, OID_DER.data)) throw malformed('encrypted content type is not id-data');
  if (contentEl === undefined) throw malformed('encryptedContent is missing');
  const a = DerCursor.inside(buf, algEl, 'contentEncryptionAlgorithm');
  const algOid = a.next(TAG.oid, 'contentEncryptionAlgorithm');
  const encryption = gcmNamed(buf, algOid);
  if (encryption === undefined) throw malformed(`unsupported content encryption ${describe(readAlgorithm(buf, algEl, 'contentEncryptionAlgorithm'))}`);
  const params = a.next(TAG.sequence, 'GCM parameters');
  a.finish('contentEncryptionAlgorithm');
  const p = DerCursor.inside(buf, params, 'GCMParameters');
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
  try {
    const decipher = createDecipheriv(CIPHER[view.encryption], cek, view.nonce, GCM_OPTIONS);
    decipher.setAuthTag(view.mac);
    if (view.aad !== undefined) decipher.setAAD(view.aad);
    const head = decipher.update(view.ciphertext);
    const last = decipher.final();
    return last.length === 0 ? head : Buffer.concat([head, last]);
  } catch (err) {
    // node:crypto refuses a key of the wrong length for the cipher before decrypting anything.
    const why = cek.symmetricKeySize !== CONTENT_KEY_LENGTH[view.encryption] ? 'the unwrapped content key has the wrong length for the content encryption' : 'the content failed its authentication tag';
    throw new EnvelopeError('DECRYPTION_FAILED', why, { cause: err });
  }
}
