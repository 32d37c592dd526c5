// A two-pass DER writer: nodes know their encoded size when built, so `encode` allocates once
// and copies every part (a 64 KiB payload included) exactly once. Constant parts (OIDs,
// algorithm identifiers, certificates) are pre-encoded buffers passed in as parts.

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

function headerSize(length: number): number {
  if (length < 0x80) return 2;
  if (length < 0x100) return 3;
  if (length < 0x10000) return 4;
  if (length < 0x1000000) return 5;
  return 6;
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

export const seq = (...parts: DerPart[]): DerNode => node(0x30, parts);
/** A SET whose parts are already in DER order (or a single element). */
export const set = (...parts: DerPart[]): DerNode => node(0x31, parts);
/** [n] constructed, context class (EXPLICIT wrapping, or IMPLICIT of a constructed type). */
export const ctx = (n: number, ...parts: DerPart[]): DerNode => node(0xa0 | n, parts);
export const octets = (value: Uint8Array): DerNode => prim(0x04, value);
export const utf8 = (text: string): DerNode => prim(0x0c, Buffer.from(text, 'utf8'));

function writeHeader(out: Buffer, pos: number, tag: number, length: number): number {
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

function writePart(out: Buffer, pos: number, part: DerPart): number {
  if (part instanceof Uint8Array) {
    out.set(part, pos);
    return pos + part.length;
  }
  pos = writeHeader(out, pos, part.tag, part.length);
  for (const p of part.parts) pos = writePart(out, pos, p);
  return pos;
}

/** Encodes a node (or passes a pre-encoded buffer through) into one new buffer. */
export function encode(part: DerPart): Buffer {
  if (part instanceof Uint8Array) return Buffer.from(part.buffer, part.byteOffset, part.length);
  const out = Buffer.allocUnsafe(part.size);
  writePart(out, 0, part);
  return out;
}

/** SET OF in DER order: elements sorted by their encodings (X.690 11.6). */
export function setOf(parts: readonly DerPart[]): DerNode {
  const encoded = parts.map(encode).sort(Buffer.compare);
  return node(0x31, encoded);
}

/** Re-tags an encoded element (e.g. SET OF attributes → [0] IMPLICIT), keeping its value. */
export function retag(encoded: Uint8Array, tag: number): DerNode {
  const first = encoded[1] as number;
  const skip = first < 0x80 ? 2 : 2 + (first & 0x7f);
  return prim(tag, encoded.subarray(skip));
}

/** An OBJECT IDENTIFIER, encoded. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new TypeError(`invalid OID ${dotted}`);
  const [a, b, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  const bytes: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    bytes.push(...chunk);
  }
  return encode(prim(0x06, Uint8Array.from(bytes)));
}

/** A non-negative INTEGER. */
export function integer(value: number | bigint): DerNode {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError('negative INTEGER');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return prim(0x02, Uint8Array.from(bytes));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** signingTime per RFC 5652 11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds. */
export function time(date: Date): DerNode {
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return prim(0x17, Buffer.from(`${pad(y % 100)}${rest}`, 'latin1'));
  return prim(0x18, Buffer.from(`${pad(y, 4)}${rest}`, 'latin1'));
}

/** An AlgorithmIdentifier with absent parameters, or the given encoded parameters. */
export function algorithm(dotted: string, params?: DerPart): Buffer {
  return encode(params === undefined ? seq(oid(dotted)) : seq(oid(dotted), params));
}

/** The encoded NULL. */
export const NULL = Buffer.from([0x05, 0x00]);
