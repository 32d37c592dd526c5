// IPv4 and IPv6 addresses and CIDR blocks for channel address rules, parsed strictly (no
// octal, no leading zeros, no host bits in a block) so that a rule means what it says.
// IPv4-mapped IPv6 peers (`::ffff:10.1.2.3`, as dual-stack sockets report them) match IPv4 rules.

/** A parsed address: IPv4 as one 32-bit word, IPv6 as four, most significant first. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly words: readonly number[];
}

/** A CIDR block, e.g. `10.20.0.0/16` or `2001:db8::/32`. */
export interface CidrBlock {
  readonly family: 4 | 6;
  readonly words: readonly number[];
  readonly prefix: number;
  /** Canonical text (lowercase, compressed IPv6, explicit prefix). */
  readonly text: string;
}

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

// Hand-rolled rather than split + regex: it runs for every peer on every connection.
function parseIpv4Words(text: string): number | undefined {
  const n = text.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let parts = 0;
  let i = 0;
  while (i <= n) {
    const start = i;
    let octet = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i += 1;
    }
    const digits = i - start;
    // 1–3 digits, no leading zero (it reads as octal elsewhere), at most 255.
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48) || octet > 255) return undefined;
    value = value * 256 + octet;
    parts += 1;
    if (i === n) break;
    if (text.charCodeAt(i) !== 46 || parts === 4) return undefined;
    i += 1;
  }
  return parts === 4 ? value >>> 0 : undefined;
}

function parseIpv6Words(text: string): number[] | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i] as string;
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4Words(part);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEX_GROUP.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && (halves[0] as string).includes('.')) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    groups = head;
  } else {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  return [0, 2, 4, 6].map((i) => (((groups[i] as number) << 16) | (groups[i + 1] as number)) >>> 0);
}

function isV4Mapped(words: readonly number[]): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/**
 * Parses a peer address as sockets report it: dotted IPv4, or IPv6 with an optional zone
 * (`fe80::1%eth0`, zone ignored). An IPv4-mapped IPv6 address becomes the IPv4 address.
 * @returns undefined when `text` is not an IP address.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseIpv4Words(text);
  if (v4 !== undefined) return { family: 4, words: [v4] };
  const zone = text.indexOf('%');
  const words = parseIpv6Words(zone < 0 ? text : text.slice(0, zone));
  if (words === undefined) return undefined;
  if (isV4Mapped(words)) return { family: 4, words: [words[3] as number] };
  return { family: 6, words };
}

function maskWord(word: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return word >>> 0;
  return (word & (~0 << (32 - bits))) >>> 0;
}

function formatV4(word: number): string {
  return [word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff].join('.');
}

function formatV6(words: readonly number[]): string {
  const groups = words.flatMap((w) => [w >>> 16, w & 0xffff]);
  // Compress the longest run of two or more zero groups (RFC 5952).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i += 1; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** The result of parsing a CIDR block: the block, or why the text is not one. */
export type CidrParse = { readonly ok: true; readonly block: CidrBlock } | { readonly ok: false; readonly problem: string };

/**
 * Parses `10.20.0.0/16`, `2001:db8::/32`, or a single address (a /32 or /128 block). Refuses
 * host bits below the prefix (`10.20.1.0/16` is almost surely a typo), zones and IPv4-mapped
 * IPv6 blocks (write those as IPv4).
 */
export function parseCidr(text: unknown): CidrParse {
  const fail = (problem: string): CidrParse => ({ ok: false, problem });
  if (typeof text !== 'string' || text.length === 0) return fail('must be a non-empty string');
  if (text.length > 49) return fail('is too long for a CIDR block');
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  if (addressText.includes('%')) return fail('must not carry an IPv6 zone');
  const v4 = parseIpv4Words(addressText);
  const v6 = v4 === undefined ? parseIpv6Words(addressText) : undefined;
  if (v4 === undefined && v6 === undefined) return fail('is not an IPv4 or IPv6 address or CIDR block (e.g. 10.20.0.0/16, 2001:db8::/32)');
  if (v6 !== undefined && isV4Mapped(v6)) return fail('is an IPv4-mapped IPv6 block: write it as IPv4');
  const family = v4 !== undefined ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return fail(`has an invalid prefix length (0–${max})`);
    prefix = Number(p);
  }
  const words = v4 !== undefined ? [v4] : (v6 as number[]);
  const masked = words.map((w, i) => maskWord(w, prefix - 32 * i));
  const formatted = family === 4 ? formatV4(masked[0] as number) : formatV6(masked);
  if (masked.some((w, i) => w !== words[i])) {
    return fail(`has host bits set below the /${prefix} prefix: did you mean ${formatted}/${prefix}?`);
  }
  return { ok: true, block: Object.freeze({ family, words: Object.freeze(masked), prefix, text: `${formatted}/${prefix}` }) };
}

/** Whether `address` lies in `block` (families must agree; mapped IPv4 counts as IPv4). */
export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.family !== address.family) return false;
  const { words, prefix } = block;
  for (let i = 0; i < words.length; i += 1) {
    const bits = prefix - 32 * i;
    if (bits <= 0) return true;
    if (maskWord(address.words[i] as number, bits) !== words[i]) return false;
  }
  return true;
}
