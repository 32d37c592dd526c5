// Identifier octets of the ASN.1 types qshield reads and writes (X.690 8.1.2): one-byte tags only,
// which is all X.509, PKCS#10 and CMS use.

/** Universal tags, and the context-specific ones by number. */
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
  /** [n] constructed, context class: EXPLICIT wrapping, or IMPLICIT of a constructed type. */
  ctx: (n: number): number => 0xa0 | n,
  /** [n] primitive, context class: IMPLICIT of a primitive type. */
  ctxPrim: (n: number): number => 0x80 | n,
} as const;

/** The constructed bit of an identifier octet. */
export const CONSTRUCTED = 0x20;
