// Builds and signs X.509 v3 certificates in DER: the one place certificates are made, for the
// CA (roots, intermediates, SVIDs) and for tests that need certificates breaking a rule.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { DerError, NULL, TAG, TRUE, asBuffer, bitString, children, contentOf, ctx, encode, integer, node, octets, oid, prim, readWhole, seq, set, time, unsignedInteger, utf8, type DerPart } from '../der/index.ts';
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
  return encode(seq(...attributes.map(([type, text]) => set(seq(oid(NAME_OIDS[type]), utf8(text))))));
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
  const spki = publicKey instanceof Uint8Array ? asBuffer(publicKey) : spkiDer(publicKey);
  const [, bits] = children(spki, readWhole(spki, TAG.sequence, 'SubjectPublicKeyInfo'), 'SubjectPublicKeyInfo');
  if (!bits) throw new Error('SPKI without a public key');
  return createHash('sha256').update(contentOf(spki, bits).subarray(1)).digest().subarray(0, 20);
}

function keyUsageBits(usages: readonly KeyUsage[]): DerPart {
  const highest = Math.max(...usages.map((u) => KEY_USAGE_BITS[u]));
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS[usage];
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  // DER named bit lists drop trailing zero bits (X.690 §11.2.2).
  return bitString(bytes, 7 - (highest & 7));
}

function extension(id: string, critical: boolean, inner: DerPart): DerPart {
  const value = node(TAG.octetString, [inner]); // the value is the DER of `inner`, encoded in place
  return critical ? seq(oid(id), TRUE, value) : seq(oid(id), value);
}

/** A validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
function validityTime(date: Date): DerPart {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new DerError(`year ${year} cannot be encoded in a certificate`);
  return time(date);
}

/** The signature algorithm an issuer key signs with: ECDSA or RSA PKCS#1 v1.5, SHA-256. */
export function signatureAlgorithmFor(signer: KeyObject): Buffer {
  if (signer.asymmetricKeyType === 'ec') return encode(seq(oid(OID.ecdsaWithSha256)));
  if (signer.asymmetricKeyType === 'rsa') return encode(seq(oid(OID.sha256WithRsa), NULL));
  throw new Error(`cannot sign with a ${signer.asymmetricKeyType} key`);
}

/** Builds the certificate described by `spec`, signed by `signer` (the issuer's private key). */
export function buildCertificate(spec: CertificateSpec, signer: KeyObject): Buffer {
  const subjectDer = encodeName(spec.subject);
  const spki = spec.publicKey instanceof Uint8Array ? spec.publicKey : spkiDer(spec.publicKey);
  const extensions: DerPart[] = [];
  if (spec.basicConstraints) {
    const { ca, pathLen } = spec.basicConstraints;
    const inner = ca ? seq(TRUE, ...(pathLen === undefined ? [] : [integer(pathLen)])) : seq();
    extensions.push(extension(OID.basicConstraints, true, inner));
  }
  if (spec.keyUsage.length > 0) extensions.push(extension(OID.keyUsage, spec.keyUsageCritical ?? true, keyUsageBits(spec.keyUsage)));
  if (spec.extKeyUsage) extensions.push(extension(OID.extKeyUsage, false, seq(...spec.extKeyUsage.map(oid))));
  if (spec.subjectKeyId ?? true) extensions.push(extension(OID.subjectKeyIdentifier, false, octets(keyIdentifier(spki))));
  if (spec.authorityKeyId) extensions.push(extension(OID.authorityKeyIdentifier, false, seq(prim(TAG.ctxPrim(0), spec.authorityKeyId))));
  const sans = [
    ...(spec.uris ?? []).map((uri) => prim(TAG.ctxPrim(6), Buffer.from(uri, 'ascii'))),
    ...(spec.dnsNames ?? []).map((dns) => prim(TAG.ctxPrim(2), Buffer.from(dns, 'ascii'))),
  ];
  // RFC 5280 §4.2.1.6: with an empty subject the SAN extension must be critical.
  if (sans.length > 0) extensions.push(extension(OID.subjectAltName, spec.subject.length === 0, seq(...sans)));
  for (const extra of spec.extraExtensions ?? []) extensions.push(extension(extra.oid, extra.critical, extra.value));

  const algorithm = signatureAlgorithmFor(signer);
  const tbs = encode(seq(
    ctx(0, integer(2)),
    unsignedInteger(spec.serialNumber ?? randomSerial()),
    algorithm,
    spec.issuerDer ?? subjectDer,
    seq(validityTime(spec.notBefore), validityTime(spec.notAfter)),
    subjectDer,
    spki,
    ...(extensions.length > 0 ? [ctx(3, seq(...extensions))] : []),
  ));
  const signature = sign('sha256', tbs, signer);
  return encode(seq(tbs, algorithm, bitString(signature)));
}
