// Key types of qshield identities (EC P-256 by default, RSA 2048/3072), key generation, and
// loading keys from PEM. Keys stay KeyObjects: a PEM string per operation is ~15x slower.
import { createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { AppError } from '../errors/index.ts';
import { DerError, TAG, asBuffer, children, contentOf, expectTag, readBitString, readElement, readOid, readWhole } from '../der/index.ts';

const generate = promisify(generateKeyPairCb);

export const KEY_TYPES = ['ec-p256', 'rsa-2048', 'rsa-3072'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const DEFAULT_KEY_TYPE: KeyType = 'ec-p256';

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Checks a key type name, e.g. from the command line.
 * @throws AppError ERR_KEY_UNSUPPORTED for names other than ec-p256, rsa-2048, rsa-3072.
 */
export function parseKeyType(name: string): KeyType {
  if ((KEY_TYPES as readonly string[]).includes(name)) return name as KeyType;
  throw new AppError('ERR_KEY_UNSUPPORTED', `unknown key type "${String(name).slice(0, 40)}" (use ${KEY_TYPES.join(', ')})`, { details: { keyType: String(name).slice(0, 40) } });
}

/** Makes a new key pair. EC P-256 takes well under a millisecond; RSA 3072 can take a second. */
export async function generateKeyPair(keyType: KeyType = DEFAULT_KEY_TYPE): Promise<KeyPair> {
  switch (keyType) {
    case 'ec-p256': return generate('ec', { namedCurve: 'P-256' });
    case 'rsa-2048': return generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    case 'rsa-3072': return generate('rsa', { modulusLength: 3072, publicExponent: 0x10001 });
    default: throw parseKeyType(keyType);
  }
}

/**
 * The qshield key type of a key (public or private).
 * @throws AppError ERR_KEY_UNSUPPORTED for any other algorithm, curve or size.
 */
export function keyTypeOf(key: KeyObject): KeyType {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') return 'ec-p256';
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength === 2048) return 'rsa-2048';
  if (key.asymmetricKeyType === 'rsa' && details.modulusLength === 3072) return 'rsa-3072';
  const what = [key.asymmetricKeyType, details.namedCurve, details.modulusLength].filter((x) => x !== undefined).join(' ');
  throw new AppError('ERR_KEY_UNSUPPORTED', `unsupported key (${what || 'unknown'}): qshield uses ${KEY_TYPES.join(', ')}`, { details: { key: what } });
}

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const PRIME256V1 = '1.2.840.10045.3.1.7';
const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/**
 * The qshield key type of a public key given as SPKI DER, read from the bytes (no OpenSSL
 * round trip: asking a fresh KeyObject for its details costs more than an EC signature).
 * @throws AppError ERR_KEY_UNSUPPORTED for other algorithms, curves or sizes; ERR_KEY_INVALID
 *   when the DER is not an SPKI.
 */
export function keyTypeOfSpki(input: Uint8Array): KeyType {
  let algorithm: string, parameter: string | undefined, modulusBits = 0;
  try {
    const spki = asBuffer(input);
    const [alg, bits] = children(spki, readWhole(spki, TAG.sequence, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
    if (!alg || !bits) throw new DerError('SubjectPublicKeyInfo: has two parts');
    const [algOid, params] = children(spki, expectTag(alg, TAG.sequence, 'algorithm'), 'algorithm');
    if (!algOid) throw new DerError('algorithm: empty');
    algorithm = readOid(spki, algOid, 'algorithm');
    parameter = params?.tag === TAG.oid ? readOid(spki, params, 'algorithm parameters') : undefined;
    if (algorithm === RSA_ENCRYPTION) {
      const key = readBitString(spki, bits, 'subjectPublicKey').bytes;
      const rsaKey = expectTag(readElement(key, 0, key.length, 'RSAPublicKey'), TAG.sequence, 'RSAPublicKey');
      const [n] = children(key, rsaKey, 'RSAPublicKey');
      if (!n) throw new DerError('RSAPublicKey: empty');
      const modulus = contentOf(key, expectTag(n, TAG.integer, 'RSA modulus'));
      let i = 0;
      while (i < modulus.length && modulus[i] === 0) i++;
      modulusBits = (modulus.length - i) * 8;
    }
  } catch (err) {
    throw new AppError('ERR_KEY_INVALID', 'not a readable public key', { cause: err, details: { reason: 'unreadable' } });
  }
  if (algorithm === EC_PUBLIC_KEY && parameter === PRIME256V1) return 'ec-p256';
  if (algorithm === RSA_ENCRYPTION && modulusBits === 2048) return 'rsa-2048';
  if (algorithm === RSA_ENCRYPTION && modulusBits === 3072) return 'rsa-3072';
  const what = algorithm === EC_PUBLIC_KEY ? `ec ${parameter ?? ''}` : algorithm === RSA_ENCRYPTION ? `rsa ${modulusBits}` : algorithm;
  throw new AppError('ERR_KEY_UNSUPPORTED', `unsupported key (${what}): qshield uses ${KEY_TYPES.join(', ')}`, { details: { key: what } });
}

/**
 * Loads a private key from PEM (PKCS#8, SEC1 or PKCS#1, unencrypted) or DER PKCS#8.
 * @throws AppError ERR_KEY_INVALID when it cannot be read, ERR_KEY_UNSUPPORTED for other types.
 */
export function loadPrivateKey(input: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = typeof input === 'string'
      ? createPrivateKey({ key: input, format: 'pem' })
      : createPrivateKey({ key: Buffer.from(input), format: 'der', type: 'pkcs8' });
  } catch (err) {
    const encrypted = typeof input === 'string' && input.includes('ENCRYPTED');
    throw new AppError('ERR_KEY_INVALID', encrypted ? 'the private key is encrypted; qshield reads unencrypted keys (protect the file instead)' : 'not a readable private key', { cause: err, details: { reason: encrypted ? 'encrypted' : 'unreadable' } });
  }
  keyTypeOf(key);
  return key;
}

/** Loads a public key from SPKI DER or PEM. @throws AppError ERR_KEY_INVALID, ERR_KEY_UNSUPPORTED. */
export function loadPublicKey(input: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = typeof input === 'string'
      ? createPublicKey({ key: input, format: 'pem' })
      : createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
  } catch (err) {
    throw new AppError('ERR_KEY_INVALID', 'not a readable public key', { cause: err, details: { reason: 'unreadable' } });
  }
  keyTypeOf(key);
  return key;
}

/** Private key as PKCS#8 PEM, the form qshield writes. */
export function privateKeyToPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** True when the private key and public key are the two halves of one pair. */
export function keysMatch(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return derived.equals(publicKey.export({ format: 'der', type: 'spki' }));
}
