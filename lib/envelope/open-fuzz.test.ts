// Property tests: whatever bytes open is given — random, DER-shaped, or a real envelope with
// bytes flipped, cut, or inserted — it returns the original payload or throws an EnvelopeError.
// Nothing else: no TypeError, RangeError, OpenSSL error or hang.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { encode, node, prim, seq, type DerPart } from '../der/index.ts';
import { EnvelopeError, createKeyring, createSealingContext, createSigner, open, seal, type Keyring } from './index.ts';
import { OID_DER } from './oids.ts';

let pki: TestPki;
let signer: TestIdentity;
let ec: TestIdentity;
let rsa: TestIdentity;
let keyring: Keyring;
const payload = Buffer.from('fuzz payload 0123456789');
const envelopes: Record<string, Buffer> = {};

beforeAll(() => {
  pki = makeTestPki();
  signer = pki.issue({ path: '/ns/a/sa/signer' });
  ec = pki.issue({ path: '/ns/a/sa/ec', keyIndex: 1 });
  rsa = pki.issue({ path: '/ns/a/sa/rsa', keyType: 'rsa-2048' });
  keyring = createKeyring([{ certificate: ec.cert, key: ec.key }, { certificate: rsa.cert, key: rsa.key }]);
  const s = createSigner({ certificates: signer.chain, key: signer.key });
  const destination = { queueManager: 'QM', queue: 'Q' };
  envelopes.integrity = seal(payload, { qop: 'integrity', signer: s, destination });
  envelopes.privacy = seal(payload, { qop: 'privacy', signer: s, destination, recipients: [ec.cert, rsa.cert] });
  envelopes.confidentiality = seal(payload, { qop: 'confidentiality', context: createSealingContext({ recipients: [ec.cert, rsa.cert], count: 100, maxAgeSeconds: 60 }) });
});

function outcome(bytes: Uint8Array, withKeyring = keyring): 'opened' | 'refused' {
  try {
    const opened = open(bytes, { keyring: withKeyring, trustBundle: pki.bundle, destination: { queueManager: 'QM', queue: 'Q' } });
    // Something that opens after a mutation must still be the authentic payload.
    expect(opened.payload.equals(payload)).toBe(true);
    return 'opened';
  } catch (err) {
    if (!(err instanceof EnvelopeError)) throw new Error(`untyped failure: ${String(err)}`, { cause: err });
    return 'refused';
  }
}

const mutation = (length: number) => fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(length - 1), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(length - 1) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(length - 1), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(length - 1), value: fc.constantFrom(0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff) }),
);

function apply(buf: Buffer, m: { kind: string; at: number; mask?: number; bytes?: Uint8Array; value?: number }): Buffer {
  const copy = Buffer.from(buf);
  switch (m.kind) {
    case 'flip': copy[m.at] = (copy[m.at] as number) ^ (m.mask as number); return copy;
    case 'cut': return copy.subarray(0, m.at);
    case 'insert': return Buffer.concat([copy.subarray(0, m.at), m.bytes as Uint8Array, copy.subarray(m.at)]);
    default: copy[m.at] = m.value as number; return copy;
  }
}

// DER-shaped noise: nested TLVs with CMS-ish tags, so the parser gets past the first checks.
const tags = [0x02, 0x04, 0x05, 0x06, 0x0c, 0x17, 0x30, 0x31, 0x80, 0x81, 0xa0, 0xa1, 0xa2, 0x03];
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...tags), fc.uint8Array({ maxLength: 12 })).map(([t, v]) => prim(t, v) as DerPart),
    fc.constantFrom<DerPart>(...Object.values(OID_DER)),
    fc.tuple(fc.constantFrom(0x30, 0x31, 0xa0, 0xa1, 0xa2), fc.array(tie('tree'), { maxLength: 5 })).map(([t, kids]) => node(t, kids as DerPart[]) as DerPart),
  ),
}));

describe('open under fuzzing', () => {
  it.each(['integrity', 'privacy', 'confidentiality'])('returns the payload or an EnvelopeError for mutated %s envelopes', (qop) => {
    const original = envelopes[qop] as Buffer;
    expect(outcome(original)).toBe('opened');
    fc.assert(fc.property(fc.array(mutation(original.length), { minLength: 1, maxLength: 3 }), (ms) => {
      let bytes = original;
      for (const m of ms) if (bytes.length > 0) bytes = apply(bytes, { ...m, at: Math.min(m.at, bytes.length - 1) });
      outcome(bytes);
    }), { numRuns: 400 });
  });

  it('returns an EnvelopeError for random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(outcome(bytes)).toBe('refused');
    }), { numRuns: 1000 });
  });

  it.each(['signedData', 'authEnvelopedData', 'envelopedData', 'data'] as const)('returns an EnvelopeError for DER-shaped noise inside a %s ContentInfo', (type) => {
    fc.assert(fc.property(fc.array(tree, { maxLength: 6 }), (kids) => {
      const bytes = encode(seq(OID_DER[type], node(0xa0, [seq(...kids)])));
      expect(outcome(bytes)).toBe('refused');
    }), { numRuns: 500 });
  });

  it('stays fast on a hostile length field (no quadratic work, no huge allocation)', () => {
    const bytes = Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), OID_DER.signedData, Buffer.alloc(64)]);
    const started = process.hrtime.bigint();
    expect(outcome(bytes)).toBe('refused');
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });

  it('a stranger keyring gets NOT_A_RECIPIENT, never a crash, for mutated encrypted envelopes', () => {
    const strangerKeyring = createKeyring([{ certificate: signer.cert, key: signer.key }]);
    fc.assert(fc.property(mutation((envelopes.privacy as Buffer).length), (m) => {
      expect(outcome(apply(envelopes.privacy as Buffer, m), strangerKeyring)).toBe('refused');
    }), { numRuns: 300 });
  });
});
