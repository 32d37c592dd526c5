// Property tests of the DER module: whatever bytes the reader is given — random, DER-shaped, or a
// valid encoding mutated — every reader function returns or throws a DerError, nothing else; and
// what the writer writes, the reader reads back exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DerError } from './der-error.ts';
import {
  DerCursor, children, contentOf, decodeOid, readBitString, readBoolean, readElement, readOid, readSmallInt, readTime, readWhole,
  type DerElement,
} from './reader.ts';
import { CONSTRUCTED, TAG } from './tag.ts';
import { encode, integer, node, oid, prim, time, unsignedInteger, type DerPart } from './writer.ts';

/** Every reader function applied to every element reachable from `buf`, depth first. */
function readEverything(buf: Buffer): void {
  const visit = (el: DerElement, depth: number): void => {
    for (const read of [readSmallInt, readBoolean, readBitString, readOid, readTime]) {
      try {
        read(buf, el, 'x');
      } catch (err) {
        if (!(err instanceof DerError)) throw err;
      }
    }
    decodeOid(contentOf(buf, el));
    if ((el.tag & CONSTRUCTED) !== 0 && depth < 32) for (const child of children(buf, el, 'x')) visit(child, depth + 1);
  };
  const c = new DerCursor(buf, 0, buf.length);
  while (!c.done) visit(c.any('x'), 0);
}

/** 'ok', or the DerError's message; anything else fails the property. */
function outcome(buf: Buffer): string {
  try {
    readEverything(buf);
    return 'ok';
  } catch (err) {
    if (err instanceof DerError) return err.message;
    throw new Error(`untyped failure: ${String(err)}`, { cause: err });
  }
}

// DER-shaped noise: nested TLVs with the tags X.509 and CMS use, some values valid, some not.
const TAGS = [TAG.boolean, TAG.integer, TAG.bitString, TAG.octetString, TAG.null, TAG.oid, TAG.utf8String, TAG.utcTime, TAG.generalizedTime, 0x80, 0x81, 0x86];
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(fc.constantFrom(...TAGS), fc.uint8Array({ maxLength: 20 })).map(([t, v]) => prim(t, v) as DerPart),
    fc.nat({ max: 2 ** 40 }).map((n) => integer(n) as DerPart),
    fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => time(d) as DerPart),
    fc.tuple(fc.constantFrom(TAG.sequence, TAG.set, 0xa0, 0xa1, 0xa3), fc.array(tie('tree'), { maxLength: 5 })).map(([t, kids]) => node(t, kids as DerPart[]) as DerPart),
  ),
}));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('length' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff) }),
);

function mutate(buf: Buffer, m: { kind: string; at: number; mask?: number; bytes?: Uint8Array; value?: number }): Buffer {
  if (buf.length === 0) return buf;
  const at = m.at % buf.length;
  const copy = Buffer.from(buf);
  switch (m.kind) {
    case 'flip': copy[at] = (copy[at] as number) ^ (m.mask as number); return copy;
    case 'cut': return copy.subarray(0, at);
    case 'insert': return Buffer.concat([copy.subarray(0, at), m.bytes as Uint8Array, copy.subarray(at)]);
    default: copy[at] = m.value as number; return copy;
  }
}

describe('DER reader under fuzzing', () => {
  it('returns or throws a DerError for random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      outcome(Buffer.from(bytes));
    }), { numRuns: 3000 });
  });

  it('reads DER-shaped noise without any other failure', () => {
    fc.assert(fc.property(fc.array(tree, { maxLength: 4 }), (parts) => {
      expect(outcome(encode(node(TAG.sequence, parts)))).toBeTypeOf('string');
    }), { numRuns: 1000 });
  });

  it('returns or throws a DerError for mutated encodings', () => {
    fc.assert(fc.property(tree, fc.array(mutation, { minLength: 1, maxLength: 3 }), (part, ms) => {
      let buf = encode(part);
      for (const m of ms) buf = mutate(buf, m);
      outcome(buf);
    }), { numRuns: 2000 });
  });

  it('refuses a hostile length at once, without allocating or walking it', () => {
    const hostile = Buffer.concat([Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(64)]);
    expect(outcome(hostile)).toBe('x: length runs past its container');
  });
});

/** The tree the reader finds in `buf`: tags and, for primitive elements, value bytes. */
type Shape = { tag: number; value?: string; kids?: Shape[] };
function shapeOf(buf: Buffer, el: DerElement): Shape {
  if ((el.tag & CONSTRUCTED) === 0) return { tag: el.tag, value: contentOf(buf, el).toString('hex') };
  return { tag: el.tag, kids: children(buf, el, 'x').map((c) => shapeOf(buf, c)) };
}
function shapeOfPart(part: DerPart): Shape {
  if (part instanceof Uint8Array) {
    const buf = Buffer.from(part);
    return shapeOf(buf, readWhole(buf, buf[0] as number, 'x'));
  }
  if ((part.tag & CONSTRUCTED) === 0) return { tag: part.tag, value: Buffer.concat(part.parts.map((p) => encode(p))).toString('hex') };
  return { tag: part.tag, kids: part.parts.map(shapeOfPart) };
}

describe('writer → reader round trips', () => {
  it('reads back every tree the writer writes, element for element', () => {
    fc.assert(fc.property(tree, (part) => {
      const buf = encode(part);
      expect(shapeOf(buf, readWhole(buf, buf[0] as number, 'x'))).toEqual(shapeOfPart(part));
    }), { numRuns: 1000 });
  });

  it('round-trips lengths across every header size', () => {
    fc.assert(fc.property(fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 65_000, max: 70_000 })), (n) => {
      const buf = encode(prim(TAG.octetString, Buffer.alloc(n)));
      const el = readWhole(buf, TAG.octetString, 'x');
      expect(el.end - el.valueStart).toBe(n);
    }), { numRuns: 300 });
  });

  it('round-trips non-negative integers up to the largest safe integer, and refuses larger ones', () => {
    fc.assert(fc.property(fc.oneof(fc.nat(), fc.maxSafeNat()), (n) => {
      const buf = encode(integer(n));
      expect(readSmallInt(buf, readWhole(buf, TAG.integer, 'i'), 'i')).toBe(n);
    }));
    fc.assert(fc.property(fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 2n ** 200n }), (n) => {
      const buf = encode(integer(n));
      expect(() => readSmallInt(buf, readWhole(buf, TAG.integer, 'i'), 'i')).toThrow(DerError);
    }));
  });

  it('writes any magnitude as a minimal non-negative INTEGER of the same value', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (magnitude) => {
      const buf = encode(unsignedInteger(magnitude));
      const value = contentOf(buf, readWhole(buf, TAG.integer, 'i'));
      expect((value[0] as number) & 0x80).toBe(0);
      if (value.length > 1) expect(value[0] !== 0 || ((value[1] as number) & 0x80) !== 0).toBe(true);
      const asBig = (b: Uint8Array) => b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
      expect(asBig(value)).toBe(asBig(magnitude));
    }));
  });

  it('round-trips object identifiers, arcs of any size', () => {
    const arc = fc.oneof(fc.nat({ max: 2 ** 40 }).map(BigInt), fc.bigInt({ min: 0n, max: 2n ** 128n }));
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc, { maxLength: 3 }), (a, b, rest) => {
      const dotted = [a, b, ...rest].join('.');
      const der = oid(dotted);
      expect(readOid(der, readWhole(der, TAG.oid, 'o'), 'o')).toBe(dotted);
      expect(decodeOid(der.subarray(2))).toBe(dotted);
    }));
  });

  it('round-trips times, whole seconds, years 0 to 9999', () => {
    fc.assert(fc.property(fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
      const buf = encode(time(d));
      const el = readElement(buf, 0, buf.length, 't');
      expect(readTime(buf, el, 't').getTime()).toBe(Math.floor(d.getTime() / 1000) * 1000);
    }), { numRuns: 2000 });
  });
});
