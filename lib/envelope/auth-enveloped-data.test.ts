import { createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAuthEnvelopedData, encodeAuthEnvelopedDataGeneric } from './auth-enveloped-data.ts';

describe('AuthEnvelopedData encoding', () => {
  it('lays out by hand exactly what the generic DER writer produces, at every length boundary', () => {
    const key = createSecretKey(randomBytes(32));
    const nonce = randomBytes(12);
    const sizes = [0, 1, 15, 16, 60, 90, 127, 128, 200, 255, 256, 65_000, 65_535, 65_536, 70_000];
    for (const riSize of [20, 120, 300]) {
      const recipientInfos = Buffer.concat([Buffer.from([0x31, 0x82, (riSize - 4) >> 8, (riSize - 4) & 0xff]), randomBytes(riSize - 4)]);
      for (const size of sizes) {
        const payload = randomBytes(size);
        for (const alg of ['aes128-gcm', 'aes256-gcm'] as const) {
          const k = alg === 'aes128-gcm' ? createSecretKey(randomBytes(16)) : key;
          expect(encodeAuthEnvelopedData(recipientInfos, alg, k, nonce, payload).equals(encodeAuthEnvelopedDataGeneric(recipientInfos, alg, k, nonce, payload))).toBe(true);
        }
      }
    }
  });

  it('agrees with the generic writer for any payload length (property)', () => {
    const key = createSecretKey(randomBytes(32));
    const nonce = randomBytes(12);
    const recipientInfos = Buffer.from([0x31, 0x03, 0x04, 0x01, 0x00]);
    fc.assert(fc.property(fc.integer({ min: 0, max: 20_000 }), (size) => {
      const payload = Buffer.alloc(size, 7);
      expect(encodeAuthEnvelopedData(recipientInfos, 'aes256-gcm', key, nonce, payload).equals(encodeAuthEnvelopedDataGeneric(recipientInfos, 'aes256-gcm', key, nonce, payload))).toBe(true);
    }), { numRuns: 200 });
  });
});
