import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecPublicKeyBits } from './recipient-info.ts';

const CURVES = [
  { curve: 'P-256', pointLength: 65 },
  { curve: 'P-384', pointLength: 97 },
] as const;

/** The BIT STRING content at the end of the key's SPKI: what OpenSSL itself encodes. */
function spkiBits(key: KeyObject, pointLength: number): Buffer {
  const spki = key.export({ type: 'spki', format: 'der' });
  return spki.subarray(spki.length - pointLength - 1);
}

describe.each(CURVES)('EC points on $curve', ({ curve, pointLength }) => {
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
});
