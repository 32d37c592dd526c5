import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecPublicKeyBits, originatorPublicKey } from './recipient-info.ts';

const CURVES = [
  { curve: 'P-256', pointLength: 65, prime: BigInt('0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff'), b: BigInt('0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b') },
  { curve: 'P-384', pointLength: 97, prime: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n, b: BigInt('0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef') },
] as const;

/** The BIT STRING content at the end of the key's SPKI: what OpenSSL itself encodes. */
function spkiBits(key: KeyObject, pointLength: number): Buffer {
  const spki = key.export({ type: 'spki', format: 'der' });
  return spki.subarray(spki.length - pointLength - 1);
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  let a = base % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * a) % m;
    a = (a * a) % m;
  }
  return r;
}

/** The smallest x > 0 on the curve y² = x³ − 3x + b, with a y (both primes are 3 mod 4). */
function smallPoint(prime: bigint, b: bigint): { x: bigint; y: bigint } {
  for (let x = 1n; ; x++) {
    const rhs = (((x * x * x - 3n * x + b) % prime) + prime) % prime;
    const y = modPow(rhs, (prime + 1n) / 4n, prime);
    if ((y * y) % prime === rhs) return { x, y };
  }
}

function uncompressed(x: bigint, y: bigint, field: number): Buffer {
  const hex = (v: bigint) => v.toString(16).padStart(field * 2, '0');
  return Buffer.from(`04${hex(x)}${hex(y)}`, 'hex');
}

describe.each(CURVES)('EC points on $curve', ({ curve, pointLength, prime, b }) => {
  const field = (pointLength - 1) / 2;

  it('writes the public key as OpenSSL encodes it, also when a coordinate starts with zero bytes', () => {
    // One key in 256 has a zero first byte in x, one in 256 in y: keep going until both were seen.
    let leadingZeroX = false;
    let leadingZeroY = false;
    for (let i = 0; i < 10_000 && !(leadingZeroX && leadingZeroY); i++) {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const expected = spkiBits(publicKey, pointLength);
      expect(ecPublicKeyBits(publicKey, pointLength)).toEqual(expected);
      leadingZeroX ||= expected[2] === 0;
      leadingZeroY ||= expected[2 + field] === 0;
    }
    expect([leadingZeroX, leadingZeroY]).toEqual([true, true]);
  });

  it('reads an originator point back into the same key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const point = spkiBits(publicKey, pointLength).subarray(1);
    expect(originatorPublicKey(curve, point).equals(publicKey)).toBe(true);
  });

  it('refuses an originator point off the curve', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const point = Buffer.from(spkiBits(publicKey, pointLength).subarray(1));
    point[pointLength - 1] = (point[pointLength - 1] as number) ^ 0x01;
    expect(() => originatorPublicKey(curve, point)).toThrow();
  });

  it('refuses the all-zero point and a point with a coordinate at or above the field prime', () => {
    const { x, y } = smallPoint(prime, b);
    expect(originatorPublicKey(curve, uncompressed(x, y, field)).asymmetricKeyDetails?.namedCurve).toBeDefined();
    // (x + p, y) names the same point, but not in the one encoding SEC 1 allows.
    expect(() => originatorPublicKey(curve, uncompressed(x + prime, y, field))).toThrow();
    expect(() => originatorPublicKey(curve, uncompressed(0n, 0n, field))).toThrow();
  });
});
