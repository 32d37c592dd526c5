// Key-exchange groups: the server's preference list (post-quantum hybrids first, as a tuple of
// their own, so OpenSSL 3.5 picks a hybrid whenever the client supports one, with a
// HelloRetryRequest if need be) and how the gateway learns which group a connection negotiated.
//
// Node has no server-side API for the negotiated group (getEphemeralKeyInfo() returns null on a
// server socket). OpenSSL records it in the session as `kex_group` ([19] in the SSL_SESSION
// ASN.1 that i2d_SSL_SESSION writes), and `tlsSocket.getSession()` returns that DER on the
// server too. We read that one field and drop the buffer at once: it holds the session's
// master secret, so it is never logged or kept. Tests check the result against what the
// client itself reports (getEphemeralKeyInfo() on the client socket).
import type { TLSSocket } from 'node:tls';

/** IANA TLS Supported Groups codepoints of the groups OpenSSL 3.5 may negotiate. */
const GROUP_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0017, 'P-256'], [0x0018, 'P-384'], [0x0019, 'P-521'], [0x001d, 'X25519'], [0x001e, 'X448'],
  [0x0100, 'ffdhe2048'], [0x0101, 'ffdhe3072'], [0x0102, 'ffdhe4096'], [0x0103, 'ffdhe6144'], [0x0104, 'ffdhe8192'],
  [0x0200, 'MLKEM512'], [0x0201, 'MLKEM768'], [0x0202, 'MLKEM1024'],
  [0x11eb, 'SecP256r1MLKEM768'], [0x11ec, 'X25519MLKEM768'], [0x11ed, 'SecP384r1MLKEM1024'],
]);

/** Post-quantum hybrid groups (a classical ECDH share combined with ML-KEM). */
export const HYBRID_GROUPS: ReadonlySet<string> = new Set(['X25519MLKEM768', 'SecP256r1MLKEM768', 'SecP384r1MLKEM1024']);

/**
 * The server's group list in OpenSSL 3.5 syntax: `/` separates preference tuples. Hybrids form
 * the first tuple, so a client that supports any of them gets one even when its first key share
 * is classical; classical groups follow for clients without ML-KEM.
 */
export const SERVER_GROUPS = 'X25519MLKEM768:SecP256r1MLKEM768:SecP384r1MLKEM1024 / X25519:P-256:P-384';

/** Only the hybrid groups: what a client insisting on post-quantum key exchange offers. */
export const HYBRID_ONLY_GROUPS = 'X25519MLKEM768:SecP256r1MLKEM768:SecP384r1MLKEM1024';

/** Whether a negotiated group is a post-quantum hybrid. */
export function isHybridGroup(group: string | undefined): boolean {
  return group !== undefined && HYBRID_GROUPS.has(group);
}

/** The name of a group codepoint (`0x11ec` → `X25519MLKEM768`); unknown codepoints as `0x…`. */
export function groupName(codepoint: number): string {
  return GROUP_NAMES.get(codepoint) ?? `0x${codepoint.toString(16).padStart(4, '0')}`;
}

const KEX_GROUP_TAG = 0xb3; // [19] EXPLICIT, constructed
const INTEGER = 0x02;
const SEQUENCE = 0x30;

function readLength(der: Buffer, at: number): { length: number; next: number } | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, next: at + 1 };
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 1 + n > der.length) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + (der[at + 1 + i] as number);
  return { length, next: at + 1 + n };
}

/**
 * The `kex_group` codepoint in a DER SSL_SESSION, or undefined when it has none (or the bytes are
 * not what OpenSSL writes). Walks only the top-level fields of the SEQUENCE.
 */
export function kexGroupOfSession(der: Buffer): number | undefined {
  if (der[0] !== SEQUENCE) return undefined;
  const outer = readLength(der, 1);
  if (outer === undefined) return undefined;
  const end = Math.min(der.length, outer.next + outer.length);
  let at = outer.next;
  while (at < end) {
    const tag = der[at] as number;
    const len = readLength(der, at + 1);
    if (len === undefined) return undefined;
    if (tag === KEX_GROUP_TAG) {
      if (der[len.next] !== INTEGER) return undefined;
      const inner = readLength(der, len.next + 1);
      if (inner === undefined || inner.length < 1 || inner.length > 3) return undefined;
      let value = 0;
      for (let i = 0; i < inner.length; i++) value = value * 256 + (der[inner.next + i] as number);
      return value;
    }
    at = len.next + len.length;
  }
  return undefined;
}

/** The key-exchange group a server-side TLS socket negotiated (`X25519MLKEM768`), if known. */
export function negotiatedGroup(socket: TLSSocket): string | undefined {
  const session = socket.getSession();
  if (session === undefined) return undefined;
  const codepoint = kexGroupOfSession(session);
  session.fill(0); // the session DER holds the master secret: wipe our copy
  return codepoint === undefined ? undefined : groupName(codepoint);
}
