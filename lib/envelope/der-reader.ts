// A strict, zero-copy DER reader for the CMS structures on the message hot path. It reads
// definite lengths only (BER's indefinite form is refused), single-byte tags, minimal length
// encodings, and never reads outside the element it was given; every fault is a MALFORMED error.
import { malformed } from './envelope-error.ts';

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

/** Universal and context tags used by the envelope, as identifier octets. */
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
  /** [n] IMPLICIT/EXPLICIT constructed, context class. */
  ctx: (n: number): number => 0xa0 | n,
  /** [n] IMPLICIT primitive, context class. */
  ctxPrim: (n: number): number => 0x80 | n,
} as const;

/**
 * Reads the element that starts at `pos` and must end by `limit`.
 * @throws EnvelopeError MALFORMED on any encoding fault.
 */
export function readElement(buf: Buffer, pos: number, limit: number, what: string): DerElement {
  if (pos + 2 > limit) throw malformed(`${what}: truncated`);
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw malformed(`${what}: multi-byte tags are not used by CMS`);
  const first = buf[pos + 1] as number;
  let valueStart = pos + 2;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw malformed(`${what}: indefinite length (BER) is not DER`);
    if (count > 4) throw malformed(`${what}: length too large`);
    if (valueStart + count > limit) throw malformed(`${what}: truncated length`);
    if (buf[valueStart] === 0) throw malformed(`${what}: non-minimal length`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[valueStart + i] as number);
    if (length < 0x80) throw malformed(`${what}: non-minimal length`);
    valueStart += count;
  }
  const end = valueStart + length;
  if (end > limit) throw malformed(`${what}: length runs past its container`);
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
    if ((el.tag & 0x20) === 0) throw malformed(`${what}: expected a constructed element`);
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
    if (this.pos >= this.end) throw malformed(`${what}: missing`);
    if (this.buf[this.pos] !== tag) throw malformed(`${what}: unexpected tag 0x${(this.buf[this.pos] as number).toString(16)}`);
    return this.any(what);
  }

  /** The next child if it carries `tag`, else undefined (nothing consumed). */
  optional(tag: number, what: string): DerElement | undefined {
    return this.peekTag() === tag ? this.any(what) : undefined;
  }

  /** Asserts that every child was consumed. */
  finish(what: string): void {
    if (this.pos !== this.end) throw malformed(`${what}: unexpected trailing data`);
  }
}

/** Reads exactly one element spanning all of `buf`. */
export function readWhole(buf: Buffer, tag: number, what: string): DerElement {
  const cursor = new DerCursor(buf, 0, buf.length);
  const el = cursor.next(tag, what);
  cursor.finish(what);
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
  if (el.tag !== TAG.oid || el.end === el.valueStart) throw malformed(`${what}: expected an object identifier`);
  return buf.toString('latin1', el.valueStart, el.end);
}

/** True when the element is exactly the encoded OID `der` (a byte loop: no string, no map). */
export function isOid(buf: Buffer, el: DerElement, der: Uint8Array): boolean {
  const n = el.end - el.start;
  if (n !== der.length) return false;
  for (let i = 0; i < n; i++) if (buf[el.start + i] !== der[i]) return false;
  return true;
}

/** The dotted form of an OID's value octets (for messages and unknown algorithms). */
export function decodeOid(value: Uint8Array): string {
  const arcs: bigint[] = [];
  let acc = 0n;
  for (let i = 0; i < value.length; i++) {
    const byte = value[i] as number;
    acc = (acc << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(acc);
      acc = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

/**
 * A non-negative INTEGER that fits a safe integer (versions, lengths, counters).
 * @throws EnvelopeError MALFORMED when it is negative, not minimal, or too large.
 */
export function readSmallInt(buf: Buffer, el: DerElement, what: string): number {
  const len = el.end - el.valueStart;
  if (el.tag !== TAG.integer || len === 0) throw malformed(`${what}: expected an INTEGER`);
  const b0 = buf[el.valueStart] as number;
  if (b0 & 0x80) throw malformed(`${what}: negative`);
  if (len > 1 && b0 === 0 && ((buf[el.valueStart + 1] as number) & 0x80) === 0) throw malformed(`${what}: non-minimal INTEGER`);
  if (len > 7) throw malformed(`${what}: too large`);
  let n = 0;
  for (let i = el.valueStart; i < el.end; i++) n = n * 256 + (buf[i] as number);
  return n;
}

function twoDigits(buf: Buffer, at: number): number {
  const a = (buf[at] as number) - 0x30;
  const b = (buf[at + 1] as number) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), the two DER forms RFC 5280 allows.
 * @throws EnvelopeError MALFORMED for any other form or an impossible date.
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
    throw malformed(`${what}: expected UTCTime or GeneralizedTime in DER form`);
  }
  const mo = twoDigits(buf, at);
  const d = twoDigits(buf, at + 2);
  const h = twoDigits(buf, at + 4);
  const mi = twoDigits(buf, at + 6);
  const sec = twoDigits(buf, at + 8);
  if (buf[el.end - 1] !== 0x5a || year < 0 || mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) throw malformed(`${what}: invalid time`);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, sec));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) throw malformed(`${what}: invalid time`);
  return date;
}
