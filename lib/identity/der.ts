// A small, strict DER reader and writer for the structures identity handles on hot paths
// (certificates, CSRs). docs/adr/0004 explains why this is not the ASN.1 schema library:
// measured, its parse/serialize cost ~0.3–0.8 ms per certificate against a few µs here.
// The reader accepts DER only: definite, minimal lengths; one-byte tags; bounded nesting.

/** A DER encoding fault; callers wrap it in the AppError of their area. */
export class DerError extends Error {}

export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly valueStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Context-specific tag `[n]`, constructed (EXPLICIT or a constructed IMPLICIT type) or primitive. */
export const ctx = (n: number, constructed: boolean): number => 0x80 | (constructed ? 0x20 : 0) | n;

// --- reading ---

/** Reads the TLV at `offset`, which must end at or before `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated: no room for a tag and length');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
  let length = buf[offset + 1] as number;
  let valueStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new DerError('indefinite length is not DER');
    if (octets > 4) throw new DerError('length too large');
    if (valueStart + octets > limit) throw new DerError('truncated length');
    if (buf[valueStart] === 0) throw new DerError('length not minimally encoded');
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (buf[valueStart + i] as number);
    if (length < 0x80) throw new DerError('length not minimally encoded');
    valueStart += octets;
  }
  const end = valueStart + length;
  if (end > limit) throw new DerError('truncated: value runs past its container');
  return { tag, start: offset, valueStart, end };
}

/** Reads one TLV that must fill `buf` exactly. */
export function readTop(buf: Uint8Array, tag: number): Tlv {
  const tlv = expectTag(readTlv(buf, 0), tag);
  if (tlv.end !== buf.length) throw new DerError('trailing bytes after the outer element');
  return tlv;
}

export function expectTag(tlv: Tlv, tag: number): Tlv {
  if (tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The elements inside a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  if (!(parent.tag & 0x20)) throw new DerError('primitive element where a constructed one was expected');
  const out: Tlv[] = [];
  for (let at = parent.valueStart; at < parent.end;) {
    const tlv = readTlv(buf, at, parent.end);
    out.push(tlv);
    at = tlv.end;
    if (out.length > 10_000) throw new DerError('too many elements');
  }
  return out;
}

export function value(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.valueStart, tlv.end);
}

export function whole(buf: Uint8Array, tlv: Tlv): Uint8Array {
  return buf.subarray(tlv.start, tlv.end);
}

export function readOid(buf: Uint8Array, tlv: Tlv): string {
  expectTag(tlv, TAG.oid);
  const bytes = value(buf, tlv);
  if (bytes.length === 0 || bytes.length > 64) throw new DerError('bad object identifier length');
  const arcs: number[] = [];
  let arc = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (arc === 0 && b === 0x80) throw new DerError('object identifier arc not minimally encoded');
    arc = arc * 128 + (b & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) throw new DerError('object identifier arc too large');
    if (!(b & 0x80)) {
      arcs.push(arc);
      arc = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError('truncated object identifier');
    }
  }
  const first = arcs[0] as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

export function readBoolean(buf: Uint8Array, tlv: Tlv): boolean {
  expectTag(tlv, TAG.boolean);
  if (tlv.end - tlv.valueStart !== 1) throw new DerError('bad boolean length');
  const b = buf[tlv.valueStart];
  if (b !== 0x00 && b !== 0xff) throw new DerError('boolean not DER-encoded');
  return b === 0xff;
}

/** A non-negative INTEGER small enough for a number (path lengths, versions). */
export function readSmallInteger(buf: Uint8Array, tlv: Tlv): number {
  expectTag(tlv, TAG.integer);
  const bytes = value(buf, tlv);
  if (bytes.length === 0 || bytes.length > 6) throw new DerError('integer out of range');
  if ((bytes[0] as number) & 0x80) throw new DerError('negative integer');
  if (bytes.length > 1 && bytes[0] === 0 && !((bytes[1] as number) & 0x80)) throw new DerError('integer not minimally encoded');
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

/** A BIT STRING's bytes and its count of unused trailing bits. */
export function readBitString(buf: Uint8Array, tlv: Tlv): { bytes: Uint8Array; unusedBits: number } {
  expectTag(tlv, TAG.bitString);
  const content = value(buf, tlv);
  if (content.length === 0) throw new DerError('empty bit string');
  const unusedBits = content[0] as number;
  if (unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) throw new DerError('bad unused-bits count');
  return { bytes: content.subarray(1), unusedBits };
}

// --- writing ---

function lengthOctets(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out);
}

/** Encodes one element from its tag and content. */
export function encode(tag: number, ...content: Uint8Array[]): Buffer {
  const length = content.reduce((n, c) => n + c.length, 0);
  return Buffer.concat([Uint8Array.of(tag), lengthOctets(length), ...content]);
}

export const seq = (...items: Uint8Array[]): Buffer => encode(TAG.sequence, ...items);
export const set = (...items: Uint8Array[]): Buffer => encode(TAG.set, ...items);
export const explicit = (n: number, inner: Uint8Array): Buffer => encode(ctx(n, true), inner);
export const octetString = (bytes: Uint8Array): Buffer => encode(TAG.octetString, bytes);
export const utf8 = (text: string): Buffer => encode(TAG.utf8String, Buffer.from(text, 'utf8'));
export const ia5 = (text: string): Buffer => encode(TAG.ia5String, Buffer.from(text, 'ascii'));
export const NULL: Buffer = Buffer.from([TAG.null, 0]);
export const TRUE: Buffer = Buffer.from([TAG.boolean, 1, 0xff]);

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, sign octet added). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  const body = trimmed.length === 0 ? Uint8Array.of(0) : ((trimmed[0] as number) & 0x80 ? Buffer.concat([Uint8Array.of(0), trimmed]) : trimmed);
  return encode(TAG.integer, body);
}

export const smallInteger = (n: number): Buffer => {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return unsignedInteger(Uint8Array.from(bytes.length ? bytes : [0]));
};

export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return encode(TAG.bitString, Uint8Array.of(unusedBits), bytes);
}

const oidCache = new Map<string, Buffer>();

/** Encodes a dotted object identifier (cached: the same few OIDs recur in every certificate). */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  const encoded = encode(TAG.oid, Uint8Array.from(out));
  oidCache.set(dotted, encoded);
  return encoded;
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), whole seconds, Zulu. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // 2026-11-23T18:33:00.000Z
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new DerError(`year ${year} cannot be encoded in a certificate`);
  return year < 2050 ? encode(TAG.utcTime, Buffer.from(digits.slice(2), 'ascii')) : encode(TAG.generalizedTime, Buffer.from(digits, 'ascii'));
}
