import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DerError, TAG, children, encode, oid, readOid, readSmallInteger, readTlv, readTop, seq, smallInteger, time, unsignedInteger } from './der.ts';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('DER reader', () => {
  it.each([
    ['indefinite length', bytes(0x30, 0x80, 0x00, 0x00)],
    ['non-minimal long length', bytes(0x04, 0x81, 0x05, 1, 2, 3, 4, 5)],
    ['length with a leading zero octet', bytes(0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0))],
    ['value past the end', bytes(0x04, 0x05, 1, 2)],
    ['truncated length octets', bytes(0x04, 0x82, 0x01)],
    ['multi-byte tag', bytes(0x1f, 0x81, 0x01, 0x00)],
    ['a lone tag', bytes(0x30)],
  ])('refuses %s', (_name, input) => {
    expect(() => readTop(input, input[0] as number)).toThrow(DerError);
  });

  it('refuses bytes after the outer element', () => {
    expect(() => readTop(bytes(0x05, 0x00, 0x00), TAG.null)).toThrow(/trailing/);
  });

  it('refuses a child that runs past its parent', () => {
    const outer = bytes(0x30, 0x03, 0x04, 0x05, 0x01);
    expect(() => children(outer, readTlv(outer, 0))).toThrow(DerError);
  });

  it('refuses non-minimal and negative integers', () => {
    const nonMinimal = bytes(0x02, 0x02, 0x00, 0x01);
    expect(() => readSmallInteger(nonMinimal, readTlv(nonMinimal, 0))).toThrow(/minimally/);
    const negative = bytes(0x02, 0x01, 0xff);
    expect(() => readSmallInteger(negative, readTlv(negative, 0))).toThrow(/negative/);
  });

  it('only ever throws DerError on arbitrary bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (input) => {
      try {
        const top = readTlv(input, 0);
        if (top.tag & 0x20) children(input, top);
        if (top.tag === TAG.oid) readOid(input, top);
        if (top.tag === TAG.integer) readSmallInteger(input, top);
      } catch (err) {
        expect(err).toBeInstanceOf(DerError);
      }
    }), { numRuns: 3000 });
  });
});

describe('DER writer', () => {
  it('encodes long lengths minimally', () => {
    expect([...encode(TAG.octetString, new Uint8Array(0x7f)).subarray(0, 2)]).toEqual([0x04, 0x7f]);
    expect([...encode(TAG.octetString, new Uint8Array(0x80)).subarray(0, 3)]).toEqual([0x04, 0x81, 0x80]);
    expect([...encode(TAG.octetString, new Uint8Array(0x100)).subarray(0, 4)]).toEqual([0x04, 0x82, 0x01, 0x00]);
  });

  it('encodes integers with a sign octet only when needed', () => {
    expect([...unsignedInteger(bytes(0x80))]).toEqual([0x02, 0x02, 0x00, 0x80]);
    expect([...unsignedInteger(bytes(0x00, 0x00, 0x7f))]).toEqual([0x02, 0x01, 0x7f]);
    expect([...smallInteger(0)]).toEqual([0x02, 0x01, 0x00]);
    expect([...smallInteger(256)]).toEqual([0x02, 0x02, 0x01, 0x00]);
  });

  it('round-trips object identifiers (property)', () => {
    const arc = fc.nat({ max: 2 ** 40 });
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 39 }), fc.array(arc, { maxLength: 8 }), (a, b, rest) => {
      const dotted = [a, b, ...rest].join('.');
      const der = oid(dotted);
      expect(readOid(der, readTop(der, TAG.oid))).toBe(dotted);
    }));
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050', () => {
    expect(time(new Date('2049-12-31T23:59:59.900Z')).toString('latin1')).toContain('491231235959Z');
    expect(time(new Date('2049-12-31T23:59:59Z'))[0]).toBe(TAG.utcTime);
    expect(time(new Date('2050-01-01T00:00:00Z'))[0]).toBe(TAG.generalizedTime);
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toContain('20500101000000Z');
  });

  it('nests sequences that the reader reads back', () => {
    const der = seq(seq(smallInteger(5)), oid('1.2.3'));
    const [inner, id] = children(der, readTop(der, TAG.sequence));
    expect(readSmallInteger(der, children(der, inner!)[0]!)).toBe(5);
    expect(readOid(der, id!)).toBe('1.2.3');
  });
});
