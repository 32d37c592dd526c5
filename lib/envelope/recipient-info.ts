// Content-key transport per recipient: RSAES-OAEP key transport (KeyTransRecipientInfo) for RSA
// certificates, ECDH ephemeral-static with the X9.63 KDF and AES key wrap (KeyAgreeRecipientInfo,
// RFC 5753) for EC certificates. Writing and unwrapping, each through node:crypto KeyObjects.
import { constants, createCipheriv, createDecipheriv, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync, privateDecrypt, publicEncrypt, type Cipheriv, type Decipheriv, type KeyObject } from 'node:crypto';
import type { DigestName, KeyKind } from './algorithms.ts';
import { paramsAbsentOrNull, readAlgorithm, describe, type AlgorithmId } from './algorithm-identifier.ts';
import type { CmsCertificate } from './cms-certificate.ts';
import { algorithm, bytesOf, contentOf, ctx, DerCursor, encode, integer, node, octets, prim, readSmallInt, seq, soleChild, TAG, type DerElement, type DerPart } from '../der/index.ts';
import { EnvelopeError, envelopeFault, malformed } from './envelope-error.ts';
import { OID, OID_DER, type OidName } from './oids.ts';
import { DIGEST_ALGORITHM_ID } from './signature.ts';
import { x963Kdf } from './x963-kdf.ts';

const AES_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex'); // RFC 3394 2.2.3.1 default IV

/** RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (RFC 8017, RFC 4055 4.1). */
const OAEP_SHA256_ID = algorithm(OID.rsaesOaep, seq(
  ctx(0, DIGEST_ALGORITHM_ID.sha256),
  ctx(1, algorithm(OID.mgf1, DIGEST_ALGORITHM_ID.sha256)),
));

const AES256_WRAP_ID = algorithm(OID.aes256Wrap);

type EcCurve = Extract<KeyKind, { type: 'ec' }>['curve'];

const KDF_FOR_CURVE = { 'P-256': { digest: 'sha256', oid: OID.ecdhSha256Kdf, curve: OID_DER.p256, pointLength: 65 }, 'P-384': { digest: 'sha384', oid: OID.ecdhSha384Kdf, curve: OID_DER.p384, pointLength: 97 } } as const;

/** The KeyAgreeRecipientInfo keyEncryptionAlgorithm for each curve: the KDF scheme and AES-256 wrap. */
const KARI_ALG_ID = {
  'P-256': algorithm(OID.ecdhSha256Kdf, AES256_WRAP_ID),
  'P-384': algorithm(OID.ecdhSha384Kdf, AES256_WRAP_ID),
} as const;

const EC_PUBLIC_KEY_ID = algorithm(OID.ecPublicKey);

const AES_WRAP_CIPHER: Readonly<Record<number, string>> = { 16: 'id-aes128-wrap', 24: 'id-aes192-wrap', 32: 'id-aes256-wrap' };

/**
 * The AES key wrap cipher under a KEK. The KEK goes in as a KeyObject: node:crypto takes a
 * Buffer key through a slow path (it tries, and fails, to read it as a KeyObject and as a
 * CryptoKey first), which costs more than the wrap itself.
 */
function aesWrap(kek: Buffer, direction: 'wrap' | 'unwrap'): Cipheriv | Decipheriv {
  const cipher = AES_WRAP_CIPHER[kek.length] as string;
  const key = createSecretKey(kek);
  return direction === 'wrap' ? createCipheriv(cipher, key, AES_WRAP_IV) : createDecipheriv(cipher, key, AES_WRAP_IV);
}

/** ECC-CMS-SharedInfo (RFC 5753 7.2) for a KEK of `kekBytes` under the wrap algorithm `wrapId`. */
function sharedInfo(wrapId: Uint8Array, ukm: Uint8Array | undefined, kekBytes: number): Buffer {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(kekBytes * 8);
  const parts: DerPart[] = [wrapId];
  if (ukm !== undefined) parts.push(ctx(0, octets(ukm)));
  parts.push(ctx(2, octets(bits)));
  return encode(seq(...parts));
}

/** SharedInfo for the one wrap algorithm qshield writes, AES-256 wrap without ukm: encoded once. */
const SHARED_INFO_AES256 = sharedInfo(AES256_WRAP_ID, undefined, 32);

/** The DER of an EC SubjectPublicKeyInfo up to the point, per curve: the point is appended as it arrives. */
const SPKI_PREFIX: Readonly<Record<EcCurve, Buffer>> = {
  'P-256': spkiPrefix('P-256'),
  'P-384': spkiPrefix('P-384'),
};

function spkiPrefix(curve: EcCurve): Buffer {
  const { curve: curveOid, pointLength } = KDF_FOR_CURVE[curve];
  const whole = encode(seq(seq(OID_DER.ecPublicKey, curveOid), prim(TAG.bitString, Buffer.alloc(1 + pointLength))));
  return whole.subarray(0, whole.length - pointLength);
}

/**
 * The content of an EC public key's BIT STRING (RFC 5480 2.2): no unused bits, then the
 * uncompressed point 04 || x || y, each coordinate padded to the field length. Taken from the
 * JWK export, whose x and y are the point's coordinates: OpenSSL's SPKI encoder, the other way
 * to the point, costs ~25 µs more per key (bench/RESULTS.md).
 */
export function ecPublicKeyBits(publicKey: KeyObject, pointLength: number): Buffer {
  const { x, y } = publicKey.export({ format: 'jwk' });
  const field = (pointLength - 1) / 2;
  const bits = Buffer.alloc(1 + pointLength);
  bits[1] = 0x04;
  putCoordinate(bits, 2, field, x);
  putCoordinate(bits, 2 + field, field, y);
  return bits;
}

/** Writes a base64url coordinate right-aligned into `field` bytes at `at` (the rest stays zero). */
function putCoordinate(bits: Buffer, at: number, field: number, coordinate: string | undefined): void {
  const value = Buffer.from(coordinate ?? '', 'base64url');
  if (value.length === 0 || value.length > field) throw new Error(`EC public key coordinate of ${value.length} bytes for a ${field}-byte field`);
  value.copy(bits, at + field - value.length);
}

const PEM_HEAD = '-----BEGIN PUBLIC KEY-----\n';
const PEM_TAIL = '\n-----END PUBLIC KEY-----\n';
/** 64 characters followed by more: where RFC 7468 breaks a line. */
const PEM_LINES = /.{64}(?=.)/g;

/**
 * The originator's ephemeral public key from its uncompressed point. OpenSSL's import refuses a
 * point off the curve or with a coordinate not below the field prime (invalid-curve attacks), and
 * this throws then. The SPKI goes in as a PEM string: node:crypto takes any object or Buffer key
 * argument through brand checks that throw and catch (four for `{ key, format: 'der' }`), which
 * cost more than OpenSSL's import itself, and a string skips them; JWK, the raw point or an ECDH
 * object are no faster than DER (bench/RESULTS.md, 2026-12-03).
 */
export function originatorPublicKey(curve: EcCurve, point: Uint8Array): KeyObject {
  const base64 = Buffer.concat([SPKI_PREFIX[curve], point]).toString('base64');
  return createPublicKey(PEM_HEAD + base64.replace(PEM_LINES, '$&\n') + PEM_TAIL);
}

/** Wraps `cek` for one recipient certificate and returns the encoded RecipientInfo. */
export function wrapContentKey(recipient: CmsCertificate, cek: Buffer): Buffer {
  const kind = recipient.keyKind;
  if (kind.type === 'rsa') {
    const encrypted = publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
    return encode(seq(integer(0), recipient.issuerAndSerial, OAEP_SHA256_ID, octets(encrypted)));
  }
  const params = KDF_FOR_CURVE[kind.curve];
  const ephemeral = generateKeyPairSync('ec', { namedCurve: kind.curve });
  const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.publicKey });
  const kek = x963Kdf(params.digest, z, SHARED_INFO_AES256, 32);
  const wrap = aesWrap(kek, 'wrap');
  const wrapped = Buffer.concat([wrap.update(cek), wrap.final()]);
  const originatorKey = node(TAG.ctx(1), [EC_PUBLIC_KEY_ID, prim(TAG.bitString, ecPublicKeyBits(ephemeral.publicKey, params.pointLength))]);
  return encode(node(TAG.ctx(1), [
    integer(3),
    ctx(0, originatorKey),
    KARI_ALG_ID[kind.curve],
    seq(seq(recipient.issuerAndSerial, octets(wrapped))),
  ]));
}

// === Reading ===

/** How a RecipientInfo names its recipient. */
export type RecipientId = { readonly kind: 'issuerAndSerial' | 'subjectKeyId'; readonly value: Buffer };

/** One key the keyring may unwrap: an identifier and how to unwrap with the matching key. */
export interface WrappedKey {
  readonly rid: RecipientId;
  /**
   * Why this key may not be used under `options` (a refused or unsupported algorithm), if any;
   * consulted only when the recipient is ours, so a stranger's odd algorithm harms nobody.
   */
  refusal(options: UnwrapOptions): EnvelopeError | undefined;
  /**
   * Unwraps with the recipient's private key. Returns undefined when it fails: a wrong key or
   * tampered bytes look the same, on purpose (no oracle).
   */
  unwrap(privateKey: KeyObject, certificate: CmsCertificate, options: UnwrapOptions): Buffer | undefined;
}

export interface UnwrapOptions {
  /** Permit RSA PKCS#1 v1.5 key transport (refused by default: padding-oracle risk). */
  readonly allowRsaPkcs1KeyTransport: boolean;
}

const HASHES: Partial<Record<OidName, DigestName>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
const WEAK_HASHES: ReadonlySet<OidName | undefined> = new Set<OidName | undefined>(['sha1', 'md5', 'sha224']);

function hashOf(buf: Buffer, alg: AlgorithmId, what: string): DigestName | EnvelopeError {
  const h = alg.name === undefined ? undefined : HASHES[alg.name];
  if (h !== undefined && paramsAbsentOrNull(buf, alg)) return h;
  if (WEAK_HASHES.has(alg.name)) return new EnvelopeError('STRENGTH_MISMATCH', `${what} ${describe(alg)} is refused as too weak`);
  throw malformed(`${what}: unsupported ${describe(alg)}`);
}

interface OaepParams { readonly hash: DigestName; readonly label: Buffer | undefined }

function readOaepParams(buf: Buffer, alg: AlgorithmId): OaepParams | EnvelopeError {
  // Absent parameters mean SHA-1 throughout (RFC 8017 A.2.1).
  if (alg.params === undefined || alg.params.tag !== TAG.sequence) return new EnvelopeError('STRENGTH_MISMATCH', 'RSAES-OAEP with the default SHA-1 is refused as too weak');
  const c = DerCursor.inside(buf, alg.params, 'RSAES-OAEP parameters');
  const hashEl = c.optional(TAG.ctx(0), 'OAEP hashFunc');
  const mgfEl = c.optional(TAG.ctx(1), 'OAEP maskGenFunc');
  const sourceEl = c.optional(TAG.ctx(2), 'OAEP pSourceFunc');
  c.finish('RSAES-OAEP parameters');
  if (hashEl === undefined || mgfEl === undefined) return new EnvelopeError('STRENGTH_MISMATCH', 'RSAES-OAEP with the default SHA-1 is refused as too weak');
  const hash = hashOf(buf, readAlgorithm(buf, soleChild(buf, hashEl, 'OAEP hashFunc'), 'OAEP hashFunc'), 'OAEP hash');
  if (hash instanceof EnvelopeError) return hash;
  const mgf = readAlgorithm(buf, soleChild(buf, mgfEl, 'OAEP maskGenFunc'), 'OAEP maskGenFunc');
  if (mgf.name !== 'mgf1' || mgf.params === undefined) throw malformed('OAEP maskGenFunc is not MGF1');
  const mgfHash = hashOf(buf, readAlgorithm(buf, mgf.params, 'OAEP MGF1 hash'), 'OAEP MGF1 hash');
  if (mgfHash instanceof EnvelopeError) return mgfHash;
  // node:crypto (like most libraries) uses the OAEP hash for MGF1 too.
  if (mgfHash !== hash) throw malformed('OAEP with an MGF1 hash different from the OAEP hash is not supported');
  let label: Buffer | undefined;
  if (sourceEl !== undefined) {
    const source = readAlgorithm(buf, soleChild(buf, sourceEl, 'OAEP pSourceFunc'), 'OAEP pSourceFunc');
    if (source.name !== 'pSpecified' || source.params === undefined || source.params.tag !== TAG.octetString) throw malformed('OAEP pSourceFunc is not pSpecified');
    const value = contentOf(buf, source.params);
    label = value.length > 0 ? Buffer.from(value) : undefined;
  }
  return { hash, label };
}

function readRecipientId(buf: Buffer, el: DerElement, what: string): RecipientId {
  if (el.tag === TAG.sequence) return { kind: 'issuerAndSerial', value: bytesOf(buf, el) };
  if (el.tag === TAG.ctxPrim(0)) return { kind: 'subjectKeyId', value: contentOf(buf, el) };
  throw malformed(`${what}: unsupported recipient identifier`);
}

function unsupported(rid: RecipientId, why: string): WrappedKey {
  const refusal = malformed(why);
  return { rid, refusal: () => refusal, unwrap: () => undefined };
}

function readKtri(buf: Buffer, el: DerElement): WrappedKey {
  const c = DerCursor.inside(buf, el, 'KeyTransRecipientInfo');
  const version = readSmallInt(buf, c.next(TAG.integer, 'ktri version'), 'ktri version');
  const rid = readRecipientId(buf, c.any('ktri rid'), 'ktri rid');
  if ((version === 0) !== (rid.kind === 'issuerAndSerial') || (version !== 0 && version !== 2)) throw malformed('ktri version and rid disagree');
  const alg = readAlgorithm(buf, c.next(TAG.sequence, 'keyEncryptionAlgorithm'), 'keyEncryptionAlgorithm');
  const encryptedKey = contentOf(buf, c.next(TAG.octetString, 'encryptedKey'));
  c.finish('KeyTransRecipientInfo');

  if (alg.name === 'rsaEncryption') {
    if (!paramsAbsentOrNull(buf, alg)) throw malformed('rsaEncryption parameters must be NULL');
    const refusal = new EnvelopeError('STRENGTH_MISMATCH', 'RSA PKCS#1 v1.5 key transport is refused (padding-oracle risk); the sender must use RSAES-OAEP');
    return {
      rid,
      refusal: (options) => (options.allowRsaPkcs1KeyTransport ? undefined : refusal),
      unwrap(privateKey, _cert, options) {
        if (!options.allowRsaPkcs1KeyTransport) return undefined;
        try {
          // OpenSSL 3.2+ (under Node 24) answers a bad padding with a random key (implicit
          // rejection), so the failure surfaces only as a failed GCM tag: no oracle.
          return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, encryptedKey);
        } catch {
          return undefined;
        }
      },
    };
  }
  if (alg.name !== 'rsaesOaep') return unsupported(rid, `unsupported key transport algorithm ${describe(alg)}`);
  const params = readOaepParams(buf, alg);
  return {
    rid,
    refusal: () => (params instanceof EnvelopeError ? params : undefined),
    unwrap(privateKey, cert) {
      if (params instanceof EnvelopeError || cert.keyKind.type !== 'rsa') return undefined;
      try {
        return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: params.hash, ...(params.label ? { oaepLabel: params.label } : {}) }, encryptedKey);
      } catch {
        return undefined;
      }
    },
  };
}

const KDFS: Partial<Record<OidName, DigestName | 'weak'>> = {
  ecdhSha256Kdf: 'sha256', ecdhSha384Kdf: 'sha384', ecdhSha512Kdf: 'sha512', ecdhSha1Kdf: 'weak', ecdhSha224Kdf: 'weak',
};
const WRAPS: Partial<Record<OidName, number>> = { aes128Wrap: 16, aes192Wrap: 24, aes256Wrap: 32 };

function readKari(buf: Buffer, el: DerElement, room: number): WrappedKey[] {
  const c = DerCursor.inside(buf, el, 'KeyAgreeRecipientInfo');
  if (readSmallInt(buf, c.next(TAG.integer, 'kari version'), 'kari version') !== 3) throw malformed('kari version must be 3');
  const originator = soleChild(buf, c.next(TAG.ctx(0), 'kari originator'), 'kari originator');
  if (originator.tag !== TAG.ctx(1)) throw malformed('kari originator must be an ephemeral public key (originatorKey)');
  const ok = DerCursor.inside(buf, originator, 'originatorKey');
  const okAlg = readAlgorithm(buf, ok.next(TAG.sequence, 'originatorKey algorithm'), 'originatorKey algorithm');
  const okBits = ok.next(TAG.bitString, 'originatorKey publicKey');
  ok.finish('originatorKey');
  if (okAlg.name !== 'ecPublicKey') throw malformed(`originator key algorithm ${describe(okAlg)} is not id-ecPublicKey`);
  const bits = contentOf(buf, okBits);
  if (bits.length < 2 || bits[0] !== 0 || bits[1] !== 0x04) throw malformed('originator public key must be an uncompressed EC point');
  const point = bits.subarray(1);
  const ukmEl = c.optional(TAG.ctx(1), 'kari ukm');
  const ukm = ukmEl === undefined ? undefined : (() => {
    const inner = soleChild(buf, ukmEl, 'kari ukm');
    if (inner.tag !== TAG.octetString) throw malformed('kari ukm must be an OCTET STRING');
    return contentOf(buf, inner);
  })();
  const kdfAlg = readAlgorithm(buf, c.next(TAG.sequence, 'kari keyEncryptionAlgorithm'), 'kari keyEncryptionAlgorithm');
  const keys = DerCursor.inside(buf, c.next(TAG.sequence, 'recipientEncryptedKeys'), 'recipientEncryptedKeys');
  c.finish('KeyAgreeRecipientInfo');
  const kdf = kdfAlg.name === undefined ? undefined : KDFS[kdfAlg.name];
  const wrapEl = kdfAlg.params?.tag === TAG.sequence ? kdfAlg.params : undefined;
  const wrapAlg = wrapEl === undefined ? undefined : readAlgorithm(buf, wrapEl, 'key wrap algorithm');
  const kekLength = wrapAlg?.name === undefined ? undefined : WRAPS[wrapAlg.name];
  let refused: EnvelopeError | undefined;
  if (kdf === undefined) refused = malformed(`unsupported key agreement algorithm ${describe(kdfAlg)}`);
  else if (wrapAlg === undefined || kekLength === undefined || wrapAlg.params !== undefined) refused = malformed(`unsupported key wrap algorithm ${wrapAlg === undefined ? 'none' : describe(wrapAlg)}`);
  else if (kdf === 'weak') refused = new EnvelopeError('STRENGTH_MISMATCH', `key agreement ${describe(kdfAlg)} uses a SHA-1 or SHA-224 KDF, refused as too weak`);
  const wrapId = wrapEl === undefined ? Buffer.alloc(0) : bytesOf(buf, wrapEl);

  const out: WrappedKey[] = [];
  while (!keys.done) {
    if (out.length >= room) throw malformed('too many recipients');
    const rek = DerCursor.inside(buf, keys.next(TAG.sequence, 'RecipientEncryptedKey'), 'RecipientEncryptedKey');
    const ridEl = rek.any('kari rid');
    let rid: RecipientId;
    if (ridEl.tag === TAG.ctx(0)) {
      const rk = DerCursor.inside(buf, ridEl, 'rKeyId');
      rid = { kind: 'subjectKeyId', value: contentOf(buf, rk.next(TAG.octetString, 'rKeyId subjectKeyIdentifier')) };
    } else {
      rid = readRecipientId(buf, ridEl, 'kari rid');
    }
    const encryptedKey = contentOf(buf, rek.next(TAG.octetString, 'kari encryptedKey'));
    rek.finish('RecipientEncryptedKey');
    out.push({
      rid,
      refusal: () => refused,
      unwrap(privateKey, cert) {
        if (refused !== undefined || kdf === undefined || kdf === 'weak' || kekLength === undefined || cert.keyKind.type !== 'ec') return undefined;
        const curve = KDF_FOR_CURVE[cert.keyKind.curve];
        if (point.length !== curve.pointLength) return undefined;
        if (okAlg.params !== undefined && !paramsAbsentOrNull(buf, okAlg) && !bytesOf(buf, okAlg.params).equals(curve.curve)) return undefined;
        try {
          const z = diffieHellman({ privateKey, publicKey: originatorPublicKey(cert.keyKind.curve, point) });
          const info = ukm === undefined && kekLength === 32 && wrapId.equals(AES256_WRAP_ID) ? SHARED_INFO_AES256 : sharedInfo(wrapId, ukm, kekLength);
          const kek = x963Kdf(kdf, z, info, kekLength);
          const unwrap = aesWrap(kek, 'unwrap');
          return Buffer.concat([unwrap.update(encryptedKey), unwrap.final()]);
        } catch {
          return undefined;
        }
      },
    });
  }
  return out;
}

/**
 * Reads every RecipientInfo this implementation understands; kekri, pwri and ori are skipped.
 * RecipientInfos and the recipients inside key-agreement ones count towards `maxRecipients`.
 * @throws EnvelopeError MALFORMED on structure faults or too many recipients.
 */
export function readRecipientInfos(buf: Buffer, el: DerElement, maxRecipients: number): WrappedKey[] {
  try {
    return readEach(buf, el, maxRecipients);
  } catch (err) {
    throw envelopeFault(err);
  }
}

function readEach(buf: Buffer, el: DerElement, maxRecipients: number): WrappedKey[] {
  const c = DerCursor.inside(buf, el, 'recipientInfos');
  const out: WrappedKey[] = [];
  let count = 0;
  while (!c.done) {
    if (++count > maxRecipients || out.length >= maxRecipients) throw malformed(`more than ${maxRecipients} recipients`);
    const ri = c.any('RecipientInfo');
    if (ri.tag === TAG.sequence) out.push(readKtri(buf, ri));
    else if (ri.tag === TAG.ctx(1)) out.push(...readKari(buf, ri, maxRecipients - out.length));
  }
  if (count === 0) throw malformed('no RecipientInfo');
  return out;
}
