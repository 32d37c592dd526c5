// Object identifiers of the X.509 and PKCS#10 structures identity reads and writes.
export const OID = {
  // name attributes
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  // extensions (RFC 5280 §4.2)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  // extended key usages
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
  // signature algorithms
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
  sha512WithRsa: '1.2.840.113549.1.1.13',
  // PKCS#9 extension request in a CSR
  extensionRequest: '1.2.840.113549.1.9.14',
} as const;

/** Signature algorithms accepted on CSRs, with their hash and key algorithm. */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, { hash: string; key: 'ec' | 'rsa' }>> = {
  [OID.ecdsaWithSha256]: { hash: 'sha256', key: 'ec' },
  [OID.ecdsaWithSha384]: { hash: 'sha384', key: 'ec' },
  [OID.ecdsaWithSha512]: { hash: 'sha512', key: 'ec' },
  [OID.sha256WithRsa]: { hash: 'sha256', key: 'rsa' },
  [OID.sha384WithRsa]: { hash: 'sha384', key: 'rsa' },
  [OID.sha512WithRsa]: { hash: 'sha512', key: 'rsa' },
};

/** Key usage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsage = keyof typeof KEY_USAGE_BITS;
