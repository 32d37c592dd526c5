import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AppError } from '../errors/index.ts';
import { testKeyPair } from '../../test/pki/index.ts';
import { createCsr, csrToPem, verifyCsr } from './csr.ts';
import { bitString, encode, integer, node, prim, seq, TAG } from '../der/index.ts';
import { keysMatch } from './keys.ts';
import { encodeName, signatureAlgorithmFor, spkiDer } from './x509-builder.ts';

const KNOWN = new Set(['ERR_CSR_MALFORMED', 'ERR_CSR_SIGNATURE_INVALID', 'ERR_KEY_UNSUPPORTED', 'ERR_PEM_INVALID']);

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

describe('createCsr / verifyCsr', () => {
  it.each(['ec-p256', 'rsa-2048', 'rsa-3072'] as const)('round-trips a %s CSR, PEM and DER, keeping only its key', (keyType) => {
    const { privateKey, publicKey } = testKeyPair(keyType);
    const der = createCsr(privateKey);
    for (const input of [der, csrToPem(der)]) {
      const csr = verifyCsr(input);
      expect(csr.keyType).toBe(keyType);
      expect(keysMatch(privateKey, csr.publicKey)).toBe(true);
      expect(csr.spki.equals(spkiDer(publicKey))).toBe(true);
    }
    // An independent decoder reads the same structure.
    const parsed = AsnConvert.parse(der, CertificationRequest);
    expect(parsed.certificationRequestInfo.version).toBe(0);
  });

  it('refuses a CSR whose signature was made by another key', () => {
    const other = testKeyPair().privateKey;
    const info = encode(seq(integer(0), encodeName([]), spkiDer(testKeyPair().publicKey), node(TAG.ctx(0), [])));
    const forged = encode(seq(info, signatureAlgorithmFor(other), bitString(sign('sha256', info, other))));
    expect(outcome(() => verifyCsr(forged))).toBe('ERR_CSR_SIGNATURE_INVALID');
  });

  it('refuses a CSR signed with an algorithm it does not support', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const info = encode(seq(integer(0), encodeName([]), spkiDer(publicKey), node(TAG.ctx(0), [])));
    const ed = encode(seq(info, seq(prim(TAG.oid, Buffer.from([0x2b, 0x65, 0x70]))), bitString(sign(null, info, privateKey))));
    let err: unknown;
    try {
      verifyCsr(ed);
    } catch (e) {
      err = e;
    }
    expect((err as AppError).code).toBe('ERR_CSR_MALFORMED');
    expect((err as AppError).details.reason).toBe('signature-algorithm');
  });

  it('refuses a CSR for an unsupported key even when its signature is fine', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const info = encode(seq(integer(0), encodeName([]), spkiDer(p384.publicKey), node(TAG.ctx(0), [])));
    const csr = encode(seq(info, signatureAlgorithmFor(p384.privateKey), bitString(sign('sha256', info, p384.privateKey))));
    expect(outcome(() => verifyCsr(csr))).toBe('ERR_KEY_UNSUPPORTED');
  });

  it('refuses junk, oversize input and the wrong PEM label', () => {
    expect(outcome(() => verifyCsr(Buffer.from('not a csr')))).toBe('ERR_CSR_MALFORMED');
    expect(outcome(() => verifyCsr(Buffer.alloc(20_000)))).toBe('ERR_CSR_MALFORMED');
    expect(outcome(() => verifyCsr('-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n'))).toBe('ERR_PEM_INVALID');
  });

  it('gives a clear error, never a crash, for any corruption of a good CSR (fuzz)', () => {
    const good = createCsr(testKeyPair().privateKey);
    const seen = new Set<string>();
    fc.assert(fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(3), (at, xor, cut) => {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ xor;
      const mangled = cut ? Buffer.concat([bad.subarray(0, at), bad.subarray(at + cut)]) : bad;
      const result = outcome(() => verifyCsr(mangled));
      seen.add(result);
      expect(KNOWN.has(result) || result === 'accepted', result).toBe(true);
    }), { numRuns: 3000 });
    // Every byte of a CSR is either signed or strict DER framing: no corruption is accepted.
    expect(seen.has('accepted')).toBe(false);
    expect(seen.has('ERR_CSR_MALFORMED')).toBe(true);
    expect(seen.has('ERR_CSR_SIGNATURE_INVALID')).toBe(true);
  });

  it('gives a clear error for arbitrary bytes and arbitrary text (fuzz)', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 200 })), (input) => {
      expect(KNOWN.has(outcome(() => verifyCsr(input)))).toBe(true);
    }), { numRuns: 2000 });
  });
});
