// Builds and signs X.509 v3 certificates in DER: the one place certificates are made, for the
// CA (roots, intermediates, SVIDs) and for tests that need certificates breaking a rule.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { NULL, TRUE, bitString, children, encode, explicit, octetString, oid, readTop, seq, set, smallInteger, time, unsignedInteger, utf8, value, TAG, ctx } from './der.ts';
import { KEY_USAGE_BITS, OID, type KeyUsage } from './oids.ts';

/** One attribute of a distinguished name, e.g. `['CN', 'checkout']`. */
export type NameAttribute = readonly ['CN' | 'O' | 'OU', string];

export interface CertificateSpec {
  /** Serial number magnitude, big-endian. Default: 128 random bits. */
  serialNumber?: Uint8Array;
  subject: readonly NameAttribute[];
  /** DER of the issuer's subject Name. Absent: self-issued (issuer = subject). */
  issuerDer?: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The subject's public key, as a KeyObject or as SPKI DER (cheaper when at hand: exporting costs ~80 µs). */
  publicKey: KeyObject | Uint8Array;
  /** Basic constraints: `{ ca: true, pathLen }` for a CA, `{ ca: false }` for a leaf; `null` omits the extension. */
  basicConstraints: { ca: boolean; pathLen?: number } | null;
  keyUsage: readonly KeyUsage[];
  /** Default true, as SPIFFE requires. */
  keyUsageCritical?: boolean;
  /** Extended key usage OIDs; absent omits the extension. */
  extKeyUsage?: readonly string[];
  uris?: readonly string[];
  dnsNames?: readonly string[];
  /** The issuer's key identifier, for the authority key identifier extension. */
  authorityKeyId?: Uint8Array;
  /** Default true: add a subject key identifier. */
  subjectKeyId?: boolean;
  /** Further extensions, DER values as given (tests use this to add what qshield never issues). */
  extraExtensions?: readonly { oid: string; critical: boolean; value: Uint8Array }[];
}

const NAME_OIDS = { CN: OID.commonName, O: OID.organization, OU: OID.organizationalUnit } as const;

/** DER of a distinguished name, one attribute per RDN, in order. */
export function encodeName(attributes: readonly NameAttribute[]): Buffer {
  return seq(...attributes.map(([type, text]) => set(seq(oid(NAME_OIDS[type]), utf8(text)))));
}

/** A fresh serial number: 128 random bits (RFC 5280 allows up to 20 octets). */
export function randomSerial(): Buffer {
  let serial = randomBytes(16);
  while (serial.every((b) => b === 0)) serial = randomBytes(16);
  return serial;
}

/** SPKI DER of a public key. */
export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' });
}

/**
 * The key identifier qshield uses: the leftmost 160 bits of SHA-256 of the public key bits
 * (RFC 7093 §2, method 1). Takes the key or its SPKI DER.
 */
export function keyIdentifier(publicKey: KeyObject | Uint8Array): Buffer {
  const spki = publicKey instanceof Uint8Array ? publicKey : spkiDer(publicKey);
  const [, bits] = children(spki, readTop(spki, TAG.sequence));
  if (!bits) throw new Error('SPKI without a public key');
  return createHash('sha256').update(value(spki, bits).subarray(1)).digest().subarray(0, 20);
}

function keyUsageBits(usages: readonly KeyUsage[]): Buffer {
  const highest = Math.max(...usages.map((u) => KEY_USAGE_BITS[u]));
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS[usage];
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  // DER named bit lists drop trailing zero bits (X.690 §11.2.2).
  return bitString(bytes, 7 - (highest & 7));
}

function extension(id: string, critical: boolean, inner: Uint8Array): Buffer {
  return critical ? seq(oid(id), TRUE, octetString(inner)) : seq(oid(id), octetString(inner));
}

/** The signature algorithm an issuer key signs with: ECDSA or RSA PKCS#1 v1.5, SHA-256. */
export function signatureAlgorithmFor(signer: KeyObject): Buffer {
  if (signer.asymmetricKeyType === 'ec') return seq(oid(OID.ecdsaWithSha256));
  if (signer.asymmetricKeyType === 'rsa') return seq(oid(OID.sha256WithRsa), NULL);
  throw new Error(`cannot sign with a ${signer.asymmetricKeyType} key`);
}

/** Builds the certificate described by `spec`, signed by `signer` (the issuer's private key). */
export function buildCertificate(spec: CertificateSpec, signer: KeyObject): Buffer {
  const subjectDer = encodeName(spec.subject);
  const spki = spec.publicKey instanceof Uint8Array ? spec.publicKey : spkiDer(spec.publicKey);
  const extensions: Buffer[] = [];
  if (spec.basicConstraints) {
    const { ca, pathLen } = spec.basicConstraints;
    const inner = ca ? seq(TRUE, ...(pathLen === undefined ? [] : [smallInteger(pathLen)])) : seq();
    extensions.push(extension(OID.basicConstraints, true, inner));
  }
  if (spec.keyUsage.length > 0) extensions.push(extension(OID.keyUsage, spec.keyUsageCritical ?? true, keyUsageBits(spec.keyUsage)));
  if (spec.extKeyUsage) extensions.push(extension(OID.extKeyUsage, false, seq(...spec.extKeyUsage.map(oid))));
  if (spec.subjectKeyId ?? true) extensions.push(extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))));
  if (spec.authorityKeyId) extensions.push(extension(OID.authorityKeyIdentifier, false, seq(encode(ctx(0, false), spec.authorityKeyId))));
  const sans = [
    ...(spec.uris ?? []).map((uri) => encode(ctx(6, false), Buffer.from(uri, 'ascii'))),
    ...(spec.dnsNames ?? []).map((dns) => encode(ctx(2, false), Buffer.from(dns, 'ascii'))),
  ];
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
  if (sans.length > 0) extensions.push(extension(OID.subjectAltName, spec.subject.length === 0, seq(...sans)));
  for (const extra of spec.extraExtensions ?? []) extensions.push(extension(extra.oid, extra.critical, extra.value));

  const algorithm = signatureAlgorithmFor(signer);
  const tbs = seq(
    explicit(0, smallInteger(2)),
    unsignedInteger(spec.serialNumber ?? randomSerial()),
    algorithm,
    spec.issuerDer ? Buffer.from(spec.issuerDer) : subjectDer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    subjectDer,
    spki,
    ...(extensions.length > 0 ? [explicit(3, seq(...extensions))] : []),
  );
  const signature = sign('sha256', tbs, signer);
  return seq(tbs, algorithm, bitString(signature));
}
