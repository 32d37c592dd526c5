import { describe, expect, it } from 'vitest';
import { DerError } from './der-error.ts';
import { children, contentOf, readElement, readOid, readSmallInt, readWhole } from './reader.ts';
import { TAG } from './tag.ts';
import {
  NULL, TRUE, algorithm, bitString, ctx, encode, headerSize, integer, node, octets, oid, prim, retag, seq, set, setOf, time, unsignedInteger,
  utf8, writeHeader,
} from './writer.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('DER writer', () => {
  it.each([
    [0x7f, '047f'],
    [0x80, '048180'],
    [0xff, '0481ff'],
    [0x100, '04820100'],
    [0xffff, '0482ffff'],
    [0x10000, '0483010000'],
    [0x1000000, '048401000000'],
  ])('writes a %i-octet value with a minimal length', (n, header) => {
    const der = encode(octets(new Uint8Array(n)));
    expect(hex(der.subarray(0, header.length / 2))).toBe(header);
    expect(der.length).toBe(headerSize(n) + n);
    const out = Buffer.alloc(headerSize(n));
    expect(writeHeader(out, 0, TAG.octetString, n)).toBe(headerSize(n));
    expect(hex(out)).toBe(header);
  });

  it('writes INTEGERs with a sign octet only when needed', () => {
    expect(hex(encode(unsignedInteger(Uint8Array.of(0x80))))).toBe('02020080');
    expect(hex(encode(unsignedInteger(Uint8Array.of(0x00, 0x00, 0x7f))))).toBe('02017f');
    expect(hex(encode(unsignedInteger(Uint8Array.of(0x00, 0x00))))).toBe('020100');
    expect(hex(encode(unsignedInteger(new Uint8Array(0))))).toBe('020100');
    expect(hex(encode(integer(0)))).toBe('020100');
    expect(hex(encode(integer(256)))).toBe('02020100');
    expect(hex(encode(integer(128)))).toBe('02020080');
    expect(hex(encode(integer(2n ** 64n)))).toBe('0209010000000000000000');
    expect(() => integer(-1)).toThrow(DerError);
    expect(() => integer(1.5)).toThrow(DerError);
  });

  it('writes UTCTime for 1950–2049 and GeneralizedTime otherwise, in whole seconds', () => {
    expect(encode(time(new Date('2049-12-31T23:59:59.900Z'))).toString('latin1', 2)).toBe('491231235959Z');
    expect(encode(time(new Date('2049-12-31T23:59:59Z')))[0]).toBe(TAG.utcTime);
    expect(encode(time(new Date('1950-01-01T00:00:00Z')))[0]).toBe(TAG.utcTime);
    expect(encode(time(new Date('2050-01-01T00:00:00Z'))).toString('latin1', 2)).toBe('20500101000000Z');
    expect(encode(time(new Date('1949-12-31T23:59:59Z'))).toString('latin1', 2)).toBe('19491231235959Z');
    expect(() => time(new Date('+010000-01-01T00:00:00Z'))).toThrow(DerError);
    expect(() => time(new Date(Number.NaN))).toThrow(DerError);
  });

  it('writes object identifiers and refuses what is not one', () => {
    expect(hex(oid('1.2.840.113549.1.7.2'))).toBe('06092a864886f70d010702');
    expect(oid('2.5.29.14')).toBe(oid('2.5.29.14'));
    for (const bad of ['', '1', '3.1', '1.40', '1.2.', '1..2', '1.2.-3', 'a.b']) expect(() => oid(bad)).toThrow(DerError);
  });

  it('sorts SET OF by encoding', () => {
    const s = encode(setOf([octets(Buffer.from([2])), octets(Buffer.from([1, 1])), octets(Buffer.from([1]))]));
    expect([...s]).toEqual([0x31, 10, 0x04, 1, 1, 0x04, 1, 2, 0x04, 2, 1, 1]);
  });

  it('re-tags an encoded element, keeping its value', () => {
    const attrs = encode(set(octets(Buffer.alloc(200, 1))));
    const tagged = encode(retag(attrs, TAG.ctx(0)));
    expect(tagged[0]).toBe(0xa0);
    expect(tagged.subarray(1).equals(attrs.subarray(1))).toBe(true);
  });

  it('splices pre-encoded parts and passes a lone buffer through without copying', () => {
    const params = encode(seq(integer(5)));
    expect(hex(algorithm('1.2.3', params))).toBe(`3009${hex(oid('1.2.3'))}${hex(params)}`);
    expect(hex(algorithm('1.2.3'))).toBe(`3004${hex(oid('1.2.3'))}`);
    const raw = new Uint8Array([1, 2, 3]);
    const out = encode(raw);
    expect(Buffer.isBuffer(out) && out.buffer === raw.buffer).toBe(true);
    expect(hex(NULL)).toBe('0500');
    expect(hex(TRUE)).toBe('0101ff');
    expect(hex(encode(bitString(Uint8Array.of(0x80), 7)))).toBe('03020780');
    expect(hex(encode(utf8('é')))).toBe('0c02c3a9');
    expect(hex(encode(ctx(3, NULL)))).toBe('a3020500');
  });

  it('nests nodes that the reader reads back', () => {
    const der = encode(seq(seq(integer(5)), oid('1.2.3'), node(TAG.ctx(1), [prim(TAG.octetString, Buffer.from('x'))])));
    const [inner, id, tagged] = children(der, readWhole(der, TAG.sequence, 'outer'), 'outer');
    expect(readSmallInt(der, children(der, inner!, 'inner')[0]!, 'n')).toBe(5);
    expect(readOid(der, id!, 'oid')).toBe('1.2.3');
    const octet = readElement(der, tagged!.valueStart, tagged!.end, 'octets');
    expect(contentOf(der, octet).toString()).toBe('x');
  });
});
