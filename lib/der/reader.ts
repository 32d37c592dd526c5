// A strict, zero-copy DER reader over offsets into a Buffer: definite lengths only (BER's
// indefinite form is refused), minimal length encodings, one-byte tags, and no read outside the
// element it was given. Every fault is a DerError whose message starts with the caller's `what`.
// Shared by lib/identity (certificates, CSRs, keys) and lib/envelope (CMS on the message path),
// so it is written for the hot path: no copies, no closures, plain loops.
import { DerError } from './der-error.ts';
import { CONSTRUCTED, TAG } from './tag.ts';

/** One tag-length-value element located inside a buffer (offsets, no copies). */
export interface DerElement {
  /** The identifier octet: class, constructed bit and tag number. */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first value octet. */
  readonly valueStart: number;
  /** Offset just past the value. */
  readonly end: number;
}

/** Most children `children` returns: a bound on work for hostile input. */
export const MAX_CHILDREN = 10_000;

/** A Buffer view of any Uint8Array, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads the element that starts at `pos` and must end by `limit`.
 * @throws DerError on any encoding fault.
 */
export function readElement(buf: Buffer, pos: number, limit: number, what: string): DerElement {
  if (pos + 2 > limit) throw new DerError(`${what}: truncated`);
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`${what}: multi-byte tags are not used by X.509 or CMS`);
  const first = buf[pos + 1] as number;
  let valueStart = pos + 2;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError(`${what}: indefinite length (BER) is not DER`);
    if (count > 4) throw new DerError(`${what}: length too large`);
    if (valueStart + count > limit) throw new DerError(`${what}: truncated length`);
    if (buf[valueStart] === 0) throw new DerError(`${what}: non-minimal length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[valueStart + i] as number);
    if (length < 0x80) throw new DerError(`${what}: non-minimal length`);
    valueStart += count;
  }
  const end = valueStart + length;
  if (end > limit) throw new DerError(`${what}: length runs past its container`);
  return { tag, start: pos, valueStart, end };
}

/** Walks the children of one constructed element (or a whole buffer) in order. */
export class DerCursor {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** A cursor over the children of a constructed element. */
  static inside(buf: Buffer, el: DerElement, what: string): DerCursor {
    if ((el.tag & CONSTRUCTED) === 0) throw new DerError(`${what}: expected a constructed element`);
    return new DerCursor(buf, el.valueStart, el.end);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The identifier octet of the next child, or -1 when there is none. */
  peekTag(): number {
    return this.pos < this.end ? (this.buf[this.pos] as number) : -1;
  }

  /** The next child, whatever its tag. */
  any(what: string): DerElement {
    const el = readElement(this.buf, this.pos, this.end, what);
    this.pos = el.end;
    return el;
  }

  /** The next child, which must carry `tag`. */
  next(tag: number, what: string): DerElement {
    if (this.pos >= this.end) throw new DerError(`${what}: missing`);
    if (this.buf[this.pos] !== tag) throw new DerError(`${what}: unexpected tag 0x${(this.buf[this.pos] as number).toString(16)}`);
    return this.any(what);
  }

  /** The next child if it carries `tag`, else undefined (nothing consumed). */
  optional(tag: number, what: string): DerElement | undefined {
    return this.peekTag() === tag ? this.any(what) : undefined;
  }

  /** Asserts that every child was consumed. */
  finish(what: string): void {
    if (this.pos !== this.end) throw new DerError(`${what}: unexpected trailing data`);
  }
}

// V8 forgets the hidden class of objects that have no live instance at a full garbage collection
// and deoptimizes every function compiled against it; on the message path that would be all of
// the reader, after every full GC. One live element and one cursor, made by the code above, keep
// both hidden classes (and the optimized readers) alive.
export const LIVE_SHAPES: readonly object[] = Object.freeze([readElement(Buffer.from([TAG.null, 0]), 0, 2, 'shape'), new DerCursor(Buffer.alloc(0), 0, 0)]);

/** Reads exactly one element, carrying `tag`, spanning all of `buf`. */
export function readWhole(buf: Buffer, tag: number, what: string): DerElement {
  const cursor = new DerCursor(buf, 0, buf.length);
  const el = cursor.next(tag, what);
  cursor.finish(what);
  return el;
}

/** The one child of a constructed element, e.g. the value inside an EXPLICIT tag. */
export function soleChild(buf: Buffer, parent: DerElement, what: string): DerElement {
  const c = DerCursor.inside(buf, parent, what);
  const child = c.any(what);
  c.finish(what);
  return child;
}

/** All children of a constructed element, at most MAX_CHILDREN. */
export function children(buf: Buffer, parent: DerElement, what: string): DerElement[] {
  const c = DerCursor.inside(buf, parent, what);
  const out: DerElement[] = [];
  while (!c.done) {
    if (out.length >= MAX_CHILDREN) throw new DerError(`${what}: more than ${MAX_CHILDREN} elements`);
    out.push(c.any(what));
  }
  return out;
}

/** The element itself, after checking its tag. */
export function expectTag(el: DerElement, tag: number, what: string): DerElement {
  if (el.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${el.tag.toString(16)}`);
  return el;
}

/** The value octets of an element, without copying. */
export function contentOf(buf: Buffer, el: DerElement): Buffer {
  return buf.subarray(el.valueStart, el.end);
}

/** The whole encoding (identifier, length, value) of an element, without copying. */
export function bytesOf(buf: Buffer, el: DerElement): Buffer {
  return buf.subarray(el.start, el.end);
}

/** A string key for an OID's value octets, for Map look-ups against known OIDs. */
export function oidKey(buf: Buffer, el: DerElement, what: string): string {
  if (el.tag !== TAG.oid || el.end === el.valueStart) throw new DerError(`${what}: expected an object identifier`);
  return buf.toString('latin1', el.valueStart, el.end);
}

/**
 * True when the element's whole encoding is exactly `der`: a known OID or algorithm identifier
 * recognised by a byte loop, without a string or a map look-up.
 */
export function isEncoding(buf: Buffer, el: DerElement, der: Uint8Array): boolean {
  const n = el.end - el.start;
  if (n !== der.length) return false;
  for (let i = 0; i < n; i++) if (buf[el.start + i] !== der[i]) return false;
  return true;
}

// An arc above this cannot take another 7 bits as a safe integer: continue in BigInt.
const SAFE_ARC = 2 ** 46;

function firstArcs(first: number | bigint): string {
  if (typeof first === 'bigint') return first < 80n ? `${first / 40n}.${first % 40n}` : `2.${first - 80n}`;
  return first < 40 ? `0.${first}` : first < 80 ? `1.${first - 40}` : `2.${first - 80}`;
}

/**
 * The dotted form of OID value octets, for messages and unknown algorithms. Lenient (an
 * unfinished last arc is dropped) and exact for arcs of any size (2.25.<UUID> arcs need BigInt).
 */
export function decodeOid(value: Uint8Array): string {
  let out = '';
  let arc: number | bigint = 0;
  let first = true;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i] as number;
    if (typeof arc === 'number' && arc >= SAFE_ARC) arc = BigInt(arc);
    arc = typeof arc === 'number' ? arc * 128 + (byte & 0x7f) : (arc << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      out += first ? firstArcs(arc) : `.${arc}`;
      first = false;
      arc = 0;
    }
  }
  return first ? '0.0' : out;
}

/** Longest OID `readOid` accepts, in value octets. */
export const MAX_OID_BYTES = 64;

/**
 * The dotted form of an OBJECT IDENTIFIER, strictly: minimal arcs, last arc complete.
 * @throws DerError for any other encoding.
 */
export function readOid(buf: Buffer, el: DerElement, what: string): string {
  if (el.tag !== TAG.oid) throw new DerError(`${what}: expected an object identifier`);
  const length = el.end - el.valueStart;
  if (length === 0 || length > MAX_OID_BYTES) throw new DerError(`${what}: bad object identifier length`);
  let arcStart = true;
  for (let i = el.valueStart; i < el.end; i++) {
    const b = buf[i] as number;
    if (arcStart && b === 0x80) throw new DerError(`${what}: object identifier arc not minimally encoded`);
    arcStart = (b & 0x80) === 0;
  }
  if (!arcStart) throw new DerError(`${what}: truncated object identifier`);
  return decodeOid(contentOf(buf, el));
}

/**
 * A non-negative INTEGER that fits a safe integer (versions, lengths, path lengths).
 * @throws DerError when it is negative, not minimal, or too large.
 */
export function readSmallInt(buf: Buffer, el: DerElement, what: string): number {
  const len = el.end - el.valueStart;
  if (el.tag !== TAG.integer || len === 0) throw new DerError(`${what}: expected an INTEGER`);
  const b0 = buf[el.valueStart] as number;
  if (b0 & 0x80) throw new DerError(`${what}: negative`);
  if (len > 1 && b0 === 0 && ((buf[el.valueStart + 1] as number) & 0x80) === 0) throw new DerError(`${what}: non-minimal INTEGER`);
  // Seven octets hold 2^53 - 1 only when the first is at most 0x1f.
  if (len > 7 || (len === 7 && b0 > 0x1f)) throw new DerError(`${what}: too large`);
  let n = 0;
  for (let i = el.valueStart; i < el.end; i++) n = n * 256 + (buf[i] as number);
  return n;
}

/**
 * A BOOLEAN in DER form (0x00 or 0xff).
 * @throws DerError for any other encoding.
 */
export function readBoolean(buf: Buffer, el: DerElement, what: string): boolean {
  if (el.tag !== TAG.boolean || el.end - el.valueStart !== 1) throw new DerError(`${what}: expected a BOOLEAN`);
  const b = buf[el.valueStart];
  if (b !== 0x00 && b !== 0xff) throw new DerError(`${what}: BOOLEAN not DER-encoded`);
  return b === 0xff;
}

/**
 * A BIT STRING's bytes (without copying) and its count of unused trailing bits.
 * @throws DerError when it is empty or its unused-bits count is impossible.
 */
export function readBitString(buf: Buffer, el: DerElement, what: string): { bytes: Buffer; unusedBits: number } {
  if (el.tag !== TAG.bitString || el.end === el.valueStart) throw new DerError(`${what}: expected a BIT STRING`);
  const unusedBits = buf[el.valueStart] as number;
  if (unusedBits > 7 || (el.end - el.valueStart === 1 && unusedBits !== 0)) throw new DerError(`${what}: bad unused-bits count`);
  return { bytes: buf.subarray(el.valueStart + 1, el.end), unusedBits };
}

function twoDigits(buf: Buffer, at: number): number {
  const a = (buf[at] as number) - 0x30;
  const b = (buf[at + 1] as number) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), the two DER forms RFC 5280 allows.
 * @throws DerError for any other form or an impossible date.
 */
export function readTime(buf: Buffer, el: DerElement, what: string): Date {
  const length = el.end - el.valueStart;
  let at = el.valueStart;
  let year: number;
  if (el.tag === TAG.utcTime && length === 13) {
    const yy = twoDigits(buf, at);
    year = yy < 0 ? -1 : yy >= 50 ? 1900 + yy : 2000 + yy;
    at += 2;
  } else if (el.tag === TAG.generalizedTime && length === 15) {
    const hi = twoDigits(buf, at);
    const lo = twoDigits(buf, at + 2);
    year = hi < 0 || lo < 0 ? -1 : hi * 100 + lo;
    at += 4;
  } else {
    throw new DerError(`${what}: expected UTCTime or GeneralizedTime in DER form`);
  }
  const mo = twoDigits(buf, at);
  const d = twoDigits(buf, at + 2);
  const h = twoDigits(buf, at + 4);
  const mi = twoDigits(buf, at + 6);
  const sec = twoDigits(buf, at + 8);
  if (buf[el.end - 1] !== 0x5a || year < 0 || mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) throw new DerError(`${what}: invalid time`);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, sec));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  if (year < 100) date.setUTCFullYear(year, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw new DerError(`${what}: invalid time`);
  return date;
}
