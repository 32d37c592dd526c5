import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { testKeyPair } from '../../test/pki/index.ts';
import { keyTypeOf, keyTypeOfSpki, loadPrivateKey, loadPublicKey, parseKeyType, privateKeyToPem } from './keys.ts';
import { spkiDer } from './x509-builder.ts';

function code(fn: () => unknown): unknown {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
}

describe('key types', () => {
  it.each(['ec-p256', 'rsa-2048', 'rsa-3072'] as const)('recognises %s from the key object and from its SPKI bytes', (keyType) => {
    const { privateKey, publicKey } = testKeyPair(keyType);
    expect(keyTypeOf(privateKey)).toBe(keyType);
    expect(keyTypeOf(publicKey)).toBe(keyType);
    expect(keyTypeOfSpki(spkiDer(publicKey))).toBe(keyType);
    expect(keyTypeOf(loadPrivateKey(privateKeyToPem(privateKey)))).toBe(keyType);
  });

  it.each([
    ['ed25519', () => generateKeyPairSync('ed25519')],
    ['EC P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['RSA 1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 })],
  ])('refuses %s with ERR_KEY_UNSUPPORTED', (_name, make) => {
    const { privateKey, publicKey } = make();
    expect(code(() => keyTypeOf(privateKey))).toBe('ERR_KEY_UNSUPPORTED');
    expect(code(() => keyTypeOfSpki(spkiDer(publicKey)))).toBe('ERR_KEY_UNSUPPORTED');
    expect(code(() => loadPrivateKey(privateKeyToPem(privateKey)))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('names the key types it knows', () => {
    expect(parseKeyType('rsa-3072')).toBe('rsa-3072');
    expect(code(() => parseKeyType('rsa-4096'))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('refuses unreadable and encrypted keys with ERR_KEY_INVALID', () => {
    expect(code(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'))).toBe('ERR_KEY_INVALID');
    const encrypted = testKeyPair().privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }) as string;
    let err: unknown;
    try {
      loadPrivateKey(encrypted);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'ERR_KEY_INVALID') && err.details.reason).toBe('encrypted');
    expect(code(() => loadPublicKey(Buffer.from([0x30, 0x00])))).toBe('ERR_KEY_INVALID');
    expect(code(() => keyTypeOfSpki(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])))).toBe('ERR_KEY_INVALID');
  });
});
