import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DerCursor, TAG, decodeOid, readElement, readSmallInt, readTime, readWhole } from './der-reader.ts';
import { encode, integer, octets, oid, prim, seq, setOf, time } from './der-writer.ts';
import { EnvelopeError } from './envelope-error.ts';

const reason = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof EnvelopeError ? err.reason : `untyped: ${String(err)}`;
  }
  return undefined;
};

describe('DER reader', () => {
  it('reads short and long definite lengths', () => {
    const small = encode(octets(Buffer.alloc(5)));
    expect(readWhole(small, TAG.octetString, 'x')).toMatchObject({ valueStart: 2, end: 7 });
    const big = encode(octets(Buffer.alloc(300)));
    expect(big.subarray(0, 4)).toEqual(Buffer.from([0x04, 0x82, 0x01, 0x2c]));
    expect(readWhole(big, TAG.octetString, 'x')).toMatchObject({ valueStart: 4, end: 304 });
  });

  it.each([
    ['indefinite length', [0x30, 0x80, 0x00, 0x00]],
    ['non-minimal long form', [0x04, 0x81, 0x05, 1, 2, 3, 4, 5]],
    ['leading zero in length', [0x04, 0x82, 0x00, 0x85]],
    ['length past the end', [0x04, 0x05, 1, 2]],
    ['five length octets', [0x04, 0x85, 1, 0, 0, 0, 0]],
    ['high tag number form', [0x1f, 0x81, 0x01, 0x00]],
    ['truncated header', [0x04]],
  ])('refuses %s as MALFORMED', (_name, bytes) => {
    expect(reason(() => readElement(Buffer.from(bytes), 0, bytes.length, 'x'))).toBe('MALFORMED');
  });

  it('walks children and refuses trailing data', () => {
    const buf = encode(seq(integer(3), octets(Buffer.from('hi'))));
    const outer = readWhole(buf, TAG.sequence, 'outer');
    const c = DerCursor.inside(buf, outer, 'outer');
    expect(readSmallInt(buf, c.next(TAG.integer, 'v'), 'v')).toBe(3);
    expect(c.optional(TAG.integer, 'n')).toBeUndefined();
    expect(c.next(TAG.octetString, 'o').end).toBe(buf.length);
    c.finish('outer');
    expect(reason(() => readWhole(Buffer.concat([buf, Buffer.from([0])]), TAG.sequence, 'x'))).toBe('MALFORMED');
  });

  it('reads integers strictly', () => {
    const int = (bytes: number[]) => {
      const buf = Buffer.from([0x02, bytes.length, ...bytes]);
      return readSmallInt(buf, readWhole(buf, TAG.integer, 'i'), 'i');
    };
    expect(int([0x00, 0x80])).toBe(128);
    expect(int([0x7f])).toBe(127);
    expect(reason(() => int([0x00, 0x01]))).toBe('MALFORMED');
    expect(reason(() => int([0xff]))).toBe('MALFORMED');
    expect(reason(() => int([]))).toBe('MALFORMED');
  });

  it('round-trips OIDs, including large arcs', () => {
    for (const dotted of ['1.2.840.113549.1.7.2', '2.25.228207219992711071742205157662068166138.1.1', '2.999.3', '0.9.2342']) {
      expect(decodeOid(oid(dotted).subarray(2))).toBe(dotted);
    }
  });

  it('round-trips times as UTCTime or GeneralizedTime and refuses impossible dates', () => {
    for (const iso of ['2026-11-23T10:00:01Z', '1950-01-01T00:00:00Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '1949-06-30T12:00:00Z']) {
      const buf = encode(time(new Date(iso)));
      expect(readTime(buf, readWhole(buf, buf[0] as number, 't'), 't').toISOString()).toBe(new Date(iso).toISOString());
    }
    const bad = encode(prim(TAG.utcTime, Buffer.from('261331000000Z')));
    expect(reason(() => readTime(bad, readWhole(bad, TAG.utcTime, 't'), 't'))).toBe('MALFORMED');
    const frac = encode(prim(TAG.generalizedTime, Buffer.from('20261123100001.5Z')));
    expect(reason(() => readTime(frac, readWhole(frac, TAG.generalizedTime, 't'), 't'))).toBe('MALFORMED');
  });

  it('sorts SET OF by encoding', () => {
    const s = encode(setOf([octets(Buffer.from([2])), octets(Buffer.from([1, 1])), octets(Buffer.from([1]))]));
    expect([...s]).toEqual([0x31, 10, 0x04, 1, 1, 0x04, 1, 2, 0x04, 2, 1, 1]);
  });

  it('never throws anything but a MALFORMED EnvelopeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const walk = (start: number, end: number, depth: number): void => {
          const c = new DerCursor(buf, start, end);
          while (!c.done) {
            const el = c.any('x');
            if (el.tag & 0x20 && depth < 8) walk(el.valueStart, el.end, depth + 1);
          }
        };
        const r = reason(() => walk(0, buf.length, 0));
        expect(r === undefined || r === 'MALFORMED').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
