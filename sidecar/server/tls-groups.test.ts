import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupName, isHybridGroup, kexGroupOfSession } from './tls-groups.ts';

/** A DER SSL_SESSION as OpenSSL 3.5 writes it, with only the fields that matter here. */
function session(kexGroup: number | undefined, longForm = false): Buffer {
  const int = (n: number) => {
    const bytes: number[] = [];
    let v = n;
    do {
      bytes.unshift(v & 0xff);
      v >>= 8;
    } while (v > 0);
    if ((bytes[0] as number) & 0x80) bytes.unshift(0);
    return Buffer.from([0x02, bytes.length, ...bytes]);
  };
  const explicit = (tag: number, inner: Buffer) => Buffer.concat([Buffer.from([tag, inner.length]), inner]);
  const fields = [
    int(1), int(0x0304), Buffer.from([0x04, 0x02, 0x13, 0x02]), Buffer.from([0x04, 0x20, ...Buffer.alloc(32, 0xaa)]),
    explicit(0xa1, int(1_700_000_000)), explicit(0xa2, int(7200)),
    ...(kexGroup === undefined ? [] : [explicit(0xb3, int(kexGroup))]),
  ];
  const content = Buffer.concat(fields);
  const header = longForm ? Buffer.from([0x30, 0x81, content.length]) : Buffer.from([0x30, content.length]);
  return Buffer.concat([header, content]);
}

describe('kexGroupOfSession', () => {
  it.each([[0x11ec, 'X25519MLKEM768'], [0x1d, 'X25519'], [0x17, 'P-256'], [0x11eb, 'SecP256r1MLKEM768']])('reads group 0x%s', (codepoint, name) => {
    expect(kexGroupOfSession(session(codepoint))).toBe(codepoint);
    expect(kexGroupOfSession(session(codepoint, true))).toBe(codepoint);
    expect(groupName(codepoint)).toBe(name);
  });

  it('reads the bytes a real OpenSSL 3.5 server session ends with', () => {
    // The tail of a server-side getSession() from a TLS 1.3 handshake that used X25519MLKEM768.
    const real = Buffer.from('3047020101020203040402130204000400a10602046b048e92a20402021c20a42204203765616330333030303063613937643736646165613239373534623664393535b304020211ec', 'hex');
    expect(groupName(kexGroupOfSession(real) as number)).toBe('X25519MLKEM768');
  });

  it('answers undefined when there is no group or the bytes are not a session', () => {
    expect(kexGroupOfSession(session(undefined))).toBeUndefined();
    expect(kexGroupOfSession(Buffer.alloc(0))).toBeUndefined();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const result = kexGroupOfSession(Buffer.from(bytes));
      expect(result === undefined || (Number.isInteger(result) && result >= 0)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('names unknown codepoints in hex and knows which groups are hybrids', () => {
    expect(groupName(0x1234)).toBe('0x1234');
    expect(isHybridGroup('X25519MLKEM768')).toBe(true);
    expect(isHybridGroup('X25519')).toBe(false);
    expect(isHybridGroup(undefined)).toBe(false);
  });
});
