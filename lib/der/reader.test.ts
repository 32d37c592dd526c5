import { describe, expect, it } from 'vitest';
import { DerError } from './der-error.ts';
import {
  DerCursor, MAX_CHILDREN, children, decodeOid, expectTag, isEncoding, oidKey, readBitString, readBoolean, readElement, readOid, readSmallInt,
  readTime, readWhole, soleChild,
} from './reader.ts';
import { TAG } from './tag.ts';
import { ctx, encode, integer, node, octets, oid, prim, seq, time } from './writer.ts';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

/** The DerError message `fn` throws, or a note that it threw something else or nothing. */
const fault = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return err instanceof DerError ? err.message : `untyped: ${String(err)}`;
  }
  return 'no error';
};

const whole = (buf: Buffer) => readElement(buf, 0, buf.length, 'x');

describe('readElement', () => {
  it('reads short and long definite lengths', () => {
    const small = encode(octets(Buffer.alloc(5)));
    expect(readWhole(small, TAG.octetString, 'x')).toMatchObject({ tag: TAG.octetString, start: 0, valueStart: 2, end: 7 });
    const big = encode(octets(Buffer.alloc(300)));
    expect(big.subarray(0, 4)).toEqual(bytes(0x04, 0x82, 0x01, 0x2c));
    expect(readWhole(big, TAG.octetString, 'x')).toMatchObject({ valueStart: 4, end: 304 });
  });

  it.each([
    ['indefinite length', [0x30, 0x80, 0x00, 0x00], 'indefinite length'],
    ['non-minimal long form', [0x04, 0x81, 0x05, 1, 2, 3, 4, 5], 'non-minimal length'],
    ['leading zero in a long length', [0x04, 0x82, 0x00, 0x81, ...new Array(0x81).fill(0)], 'non-minimal length'],
    ['value past the end', [0x04, 0x05, 1, 2], 'length runs past its container'],
    ['five length octets', [0x04, 0x85, 1, 0, 0, 0, 0], 'length too large'],
    ['truncated length octets', [0x04, 0x82, 0x01], 'truncated length'],
    ['high tag number form', [0x1f, 0x81, 0x01, 0x00], 'multi-byte tags'],
    ['a lone tag', [0x30], 'truncated'],
    ['nothing at all', [], 'truncated'],
  ])('refuses %s with a DerError that names the element', (_name, input, message) => {
    const m = fault(() => whole(Buffer.from(input)));
    expect(m.startsWith('x: ')).toBe(true);
    expect(m).toContain(message);
  });

  it('never reads past the limit it is given, even when the buffer goes on', () => {
    const buf = bytes(0x04, 0x03, 1, 2, 3);
    expect(fault(() => readElement(buf, 0, 4, 'x'))).toBe('x: length runs past its container');
    expect(readElement(buf, 0, 5, 'x').end).toBe(5);
  });
});

describe('DerCursor, readWhole, children', () => {
  it('walks children in order and refuses trailing data', () => {
    const buf = encode(seq(integer(3), octets(Buffer.from('hi'))));
    const c = DerCursor.inside(buf, readWhole(buf, TAG.sequence, 'outer'), 'outer');
    expect(readSmallInt(buf, c.next(TAG.integer, 'v'), 'v')).toBe(3);
    expect(c.optional(TAG.integer, 'n')).toBeUndefined();
    expect(c.peekTag()).toBe(TAG.octetString);
    expect(c.next(TAG.octetString, 'o').end).toBe(buf.length);
    expect(c.done).toBe(true);
    expect(c.peekTag()).toBe(-1);
    c.finish('outer');
    expect(fault(() => c.next(TAG.integer, 'more'))).toBe('more: missing');
    expect(fault(() => readWhole(Buffer.concat([buf, bytes(0)]), TAG.sequence, 'x'))).toBe('x: unexpected trailing data');
  });

  it('refuses an unexpected tag and a primitive element where a constructed one is needed', () => {
    const buf = encode(seq(integer(1)));
    expect(fault(() => readWhole(buf, TAG.set, 'x'))).toBe('x: unexpected tag 0x30');
    const int = encode(integer(1));
    expect(fault(() => DerCursor.inside(int, whole(int), 'x'))).toBe('x: expected a constructed element');
    expect(fault(() => children(int, whole(int), 'x'))).toBe('x: expected a constructed element');
    expect(fault(() => expectTag(whole(int), TAG.sequence, 'x'))).toBe('x: expected tag 0x30, found 0x2');
  });

  it('refuses a child that runs past its parent', () => {
    const outer = bytes(0x30, 0x03, 0x04, 0x05, 0x01);
    expect(fault(() => children(outer, readElement(outer, 0, outer.length, 'outer'), 'outer'))).toBe('outer: length runs past its container');
  });

  it('reads the sole child of an EXPLICIT tag, and refuses none or two', () => {
    const one = encode(ctx(0, integer(7)));
    expect(readSmallInt(one, soleChild(one, whole(one), 'x'), 'i')).toBe(7);
    const none = encode(ctx(0));
    expect(fault(() => soleChild(none, whole(none), 'x'))).toBe('x: truncated');
    const two = encode(ctx(0, integer(7), integer(8)));
    expect(fault(() => soleChild(two, whole(two), 'x'))).toBe('x: unexpected trailing data');
  });

  it('lists children, and refuses more than MAX_CHILDREN', () => {
    const three = encode(seq(integer(1), integer(2), integer(3)));
    expect(children(three, whole(three), 'x').map((el) => readSmallInt(three, el, 'i'))).toEqual([1, 2, 3]);
    const nulls = (n: number) => encode(node(TAG.sequence, new Array(n).fill(Buffer.from([0x05, 0x00]))));
    const atLimit = nulls(MAX_CHILDREN);
    expect(children(atLimit, whole(atLimit), 'x')).toHaveLength(MAX_CHILDREN);
    const over = nulls(MAX_CHILDREN + 1);
    expect(fault(() => children(over, whole(over), 'x'))).toContain('more than');
  });
});

describe('primitive values', () => {
  const int = (content: number[]) => {
    const buf = Buffer.from([0x02, content.length, ...content]);
    return readSmallInt(buf, whole(buf), 'i');
  };

  it('reads INTEGERs strictly, up to the largest safe integer', () => {
    expect(int([0x00])).toBe(0);
    expect(int([0x7f])).toBe(127);
    expect(int([0x00, 0x80])).toBe(128);
    expect(int([0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).toBe(Number.MAX_SAFE_INTEGER);
    expect(fault(() => int([0x00, 0x01]))).toBe('i: non-minimal INTEGER');
    expect(fault(() => int([0xff]))).toBe('i: negative');
    expect(fault(() => int([]))).toBe('i: expected an INTEGER');
    expect(fault(() => int([0x20, 0, 0, 0, 0, 0, 0]))).toBe('i: too large');
    expect(fault(() => int([0x01, 0, 0, 0, 0, 0, 0, 0]))).toBe('i: too large');
    const notInt = encode(octets(bytes(1)));
    expect(fault(() => readSmallInt(notInt, whole(notInt), 'i'))).toBe('i: expected an INTEGER');
  });

  it('reads BOOLEANs in DER form only', () => {
    const bool = (content: number[]) => {
      const buf = Buffer.from([0x01, content.length, ...content]);
      return readBoolean(buf, whole(buf), 'b');
    };
    expect(bool([0xff])).toBe(true);
    expect(bool([0x00])).toBe(false);
    expect(fault(() => bool([0x01]))).toBe('b: BOOLEAN not DER-encoded');
    expect(fault(() => bool([0xff, 0xff]))).toBe('b: expected a BOOLEAN');
    expect(fault(() => bool([]))).toBe('b: expected a BOOLEAN');
  });

  it('reads BIT STRINGs and their unused bits', () => {
    const bits = (content: number[]) => {
      const buf = Buffer.from([0x03, content.length, ...content]);
      return readBitString(buf, whole(buf), 'k');
    };
    expect(bits([0x07, 0x80])).toEqual({ bytes: bytes(0x80), unusedBits: 7 });
    expect(bits([0x00])).toEqual({ bytes: Buffer.alloc(0), unusedBits: 0 });
    expect(fault(() => bits([]))).toBe('k: expected a BIT STRING');
    expect(fault(() => bits([0x08, 0x00]))).toBe('k: bad unused-bits count');
    expect(fault(() => bits([0x01]))).toBe('k: bad unused-bits count');
  });

  it('reads OBJECT IDENTIFIERs strictly, arcs of any size', () => {
    for (const dotted of ['1.2.840.113549.1.7.2', '2.25.228207219992711071742205157662068166138.1.1', '2.999.3', '0.9.2342', '1.3', '2.5.29.14']) {
      const der = oid(dotted);
      expect(readOid(der, whole(der), 'o')).toBe(dotted);
      expect(decodeOid(der.subarray(2))).toBe(dotted);
    }
    const read = (content: number[]) => {
      const buf = Buffer.from([0x06, content.length, ...content]);
      return readOid(buf, whole(buf), 'o');
    };
    expect(fault(() => read([0x2a, 0x80, 0x01]))).toBe('o: object identifier arc not minimally encoded');
    expect(fault(() => read([0x2a, 0x86]))).toBe('o: truncated object identifier');
    expect(fault(() => read([]))).toBe('o: bad object identifier length');
    expect(fault(() => read(new Array(65).fill(0x01)))).toBe('o: bad object identifier length');
    const notOid = encode(integer(1));
    expect(fault(() => readOid(notOid, whole(notOid), 'o'))).toBe('o: expected an object identifier');
  });

  it('decodes OIDs leniently for messages: an unfinished last arc is dropped', () => {
    expect(decodeOid(bytes(0x2a, 0x03, 0x86))).toBe('1.2.3');
    expect(decodeOid(bytes())).toBe('0.0');
  });

  it('matches known OIDs by their bytes', () => {
    const der = encode(seq(oid('1.2.840.113549.1.7.1')));
    const el = children(der, whole(der), 'x')[0]!;
    expect(isEncoding(der, el, oid('1.2.840.113549.1.7.1'))).toBe(true);
    expect(isEncoding(der, el, oid('1.2.840.113549.1.7.2'))).toBe(false);
    expect(oidKey(der, el, 'x')).toBe(oid('1.2.840.113549.1.7.1').subarray(2).toString('latin1'));
    expect(fault(() => oidKey(der, whole(der), 'x'))).toBe('x: expected an object identifier');
  });

  it('reads UTCTime and GeneralizedTime and refuses other forms and impossible dates', () => {
    for (const iso of ['2026-11-23T10:00:01Z', '1950-01-01T00:00:00Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '1949-06-30T12:00:00Z', '0001-02-03T04:05:06Z']) {
      const buf = encode(time(new Date(iso)));
      expect(readTime(buf, whole(buf), 't').toISOString()).toBe(new Date(iso).toISOString());
    }
    const t = (tag: number, text: string) => {
      const buf = encode(prim(tag, Buffer.from(text, 'latin1')));
      return readTime(buf, whole(buf), 't');
    };
    expect(t(TAG.utcTime, '240229000000Z').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(fault(() => t(TAG.utcTime, '230229000000Z'))).toBe('t: invalid time');
    expect(fault(() => t(TAG.utcTime, '261331000000Z'))).toBe('t: invalid time');
    expect(fault(() => t(TAG.utcTime, '2611231000+0100'))).toBe('t: expected UTCTime or GeneralizedTime in DER form');
    expect(fault(() => t(TAG.utcTime, '261123100001X'))).toBe('t: invalid time');
    expect(fault(() => t(TAG.generalizedTime, '20261123100001.5Z'))).toBe('t: expected UTCTime or GeneralizedTime in DER form');
    expect(fault(() => t(TAG.generalizedTime, '2026112324000 Z'))).toBe('t: invalid time');
  });
});
