// A two-pass DER writer: nodes know their encoded size when built, so `encode` allocates once
// and copies every part (a 64 KiB payload included) exactly once. Constant parts (OIDs,
// algorithm identifiers, certificates) are pre-encoded buffers passed in as parts.
import { DerError } from './der-error.ts';
import { TAG } from './tag.ts';

/** A pre-encoded element, or a node to be encoded. */
export type DerPart = DerNode | Uint8Array;

export interface DerNode {
  readonly tag: number;
  readonly parts: readonly DerPart[];
  /** Length of the value octets. */
  readonly length: number;
  /** Length of the whole encoding. */
  readonly size: number;
}

/** Octets of an identifier and definite length for a value of `length` octets. */
export function headerSize(length: number): number {
  if (length < 0x80) return 2;
  if (length < 0x100) return 3;
  if (length < 0x10000) return 4;
  if (length < 0x1000000) return 5;
  return 6;
}

/** Writes an identifier octet and a minimal definite length at `pos`; returns the next offset. */
export function writeHeader(out: Uint8Array, pos: number, tag: number, length: number): number {
  out[pos++] = tag;
  if (length < 0x80) {
    out[pos++] = length;
    return pos;
  }
  const bytes = headerSize(length) - 2;
  out[pos++] = 0x80 | bytes;
  for (let i = bytes - 1; i >= 0; i--) out[pos++] = Math.floor(length / 2 ** (8 * i)) & 0xff;
  return pos;
}

function partSize(part: DerPart): number {
  return part instanceof Uint8Array ? part.length : part.size;
}

/** An element whose value is the concatenation of `parts`. */
export function node(tag: number, parts: readonly DerPart[]): DerNode {
  let length = 0;
  for (const p of parts) length += partSize(p);
  return { tag, parts, length, size: headerSize(length) + length };
}

/** A primitive element whose value is `value` (not copied until encoding). */
export function prim(tag: number, value: Uint8Array): DerNode {
  return { tag, parts: [value], length: value.length, size: headerSize(value.length) + value.length };
}

export const seq = (...parts: DerPart[]): DerNode => node(TAG.sequence, parts);
/** A SET whose parts are already in DER order (or a single element). */
export const set = (...parts: DerPart[]): DerNode => node(TAG.set, parts);
/** [n] constructed, context class (EXPLICIT wrapping, or IMPLICIT of a constructed type). */
export const ctx = (n: number, ...parts: DerPart[]): DerNode => node(TAG.ctx(n), parts);
export const octets = (value: Uint8Array): DerNode => prim(TAG.octetString, value);
export const utf8 = (text: string): DerNode => prim(TAG.utf8String, Buffer.from(text, 'utf8'));

/** A BIT STRING of whole bytes, or with `unusedBits` trailing bits unused (0–7). */
export function bitString(bytes: Uint8Array, unusedBits = 0): DerNode {
  return node(TAG.bitString, [Uint8Array.of(unusedBits), bytes]);
}

function writePart(out: Buffer, pos: number, part: DerPart): number {
  if (part instanceof Uint8Array) {
    out.set(part, pos);
    return pos + part.length;
  }
  pos = writeHeader(out, pos, part.tag, part.length);
  for (const p of part.parts) pos = writePart(out, pos, p);
  return pos;
}

/** Encodes a node (or passes a pre-encoded buffer through, as a Buffer view) into one new buffer. */
export function encode(part: DerPart): Buffer {
  if (part instanceof Uint8Array) return Buffer.from(part.buffer, part.byteOffset, part.length);
  const out = Buffer.allocUnsafe(part.size);
  writePart(out, 0, part);
  return out;
}

/** SET OF in DER order: elements sorted by their encodings (X.690 11.6). */
export function setOf(parts: readonly DerPart[]): DerNode {
  const encoded = parts.map(encode).sort(Buffer.compare);
  return node(TAG.set, encoded);
}

/** Re-tags an encoded element (e.g. SET OF attributes → [0] IMPLICIT), keeping its value. */
export function retag(encoded: Uint8Array, tag: number): DerNode {
  const first = encoded[1] as number;
  const skip = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return prim(tag, encoded.subarray(skip));
}

// The same few OIDs recur in every certificate and envelope; bounded in case callers pass many.
const oidCache = new Map<string, Buffer>();
const OID_CACHE_MAX = 512;

/**
 * An OBJECT IDENTIFIER from its dotted form, encoded (arcs of any size: 2.25.<UUID> included).
 * @throws DerError when `dotted` is not an object identifier.
 */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached !== undefined) return cached;
  if (!/^[0-2]\.\d+(\.\d+)*$/.test(dotted)) throw new DerError(`invalid object identifier ${dotted.slice(0, 80)}`);
  const [a, b, ...rest] = dotted.split('.').map((arc) => BigInt(arc)) as [bigint, bigint, ...bigint[]];
  if (a < 2n && b >= 40n) throw new DerError(`invalid object identifier ${dotted.slice(0, 80)}`);
  const bytes: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  const encoded = encode(prim(TAG.oid, Uint8Array.from(bytes)));
  if (oidCache.size < OID_CACHE_MAX) oidCache.set(dotted, encoded);
  return encoded;
}

const ZERO = Uint8Array.of(0);

/** A non-negative INTEGER from big-endian magnitude bytes (leading zeros trimmed, sign octet added). */
export function unsignedInteger(magnitude: Uint8Array): DerNode {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  if (trimmed.length === 0) return prim(TAG.integer, ZERO);
  return (trimmed[0] as number) & 0x80 ? node(TAG.integer, [ZERO, trimmed]) : prim(TAG.integer, trimmed);
}

/**
 * A non-negative INTEGER.
 * @throws DerError for a negative or non-integral value.
 */
export function integer(value: number | bigint): DerNode {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new DerError(`INTEGER ${value} is not a safe integer`);
  let v = BigInt(value);
  if (v < 0n) throw new DerError('negative INTEGER');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return prim(TAG.integer, Uint8Array.from(bytes));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * A time in whole seconds, Zulu, as RFC 5280 4.1.2.5 and RFC 5652 11.3 ask: UTCTime for
 * 1950–2049, GeneralizedTime otherwise.
 * @throws DerError for a year outside 0–9999 or an invalid date.
 */
export function time(date: Date): DerNode {
  const y = date.getUTCFullYear();
  if (!(y >= 0 && y <= 9999)) throw new DerError(`year ${y} cannot be encoded as an ASN.1 time`);
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return prim(TAG.utcTime, Buffer.from(`${pad(y % 100)}${rest}`, 'latin1'));
  return prim(TAG.generalizedTime, Buffer.from(`${pad(y, 4)}${rest}`, 'latin1'));
}

/** An AlgorithmIdentifier with absent parameters, or the given encoded parameters. */
export function algorithm(dotted: string, params?: DerPart): Buffer {
  return encode(params === undefined ? seq(oid(dotted)) : seq(oid(dotted), params));
}

/** The encoded NULL. */
export const NULL = Buffer.from([TAG.null, 0x00]);
/** The encoded BOOLEAN TRUE. */
export const TRUE = Buffer.from([TAG.boolean, 0x01, 0xff]);
