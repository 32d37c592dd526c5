// Every object identifier the envelope writes or reads, in dotted form, with its source.
// qshield's own attributes live under 2.25.<UUID> (ITU-T X.667): an arc anyone may mint without
// registration and that nobody else will ever use; docs/envelope.md documents it.
import { oid } from '../der/index.ts';

/** The qshield arc: 2.25 + UUID abaf1ca2-4342-49c2-841f-7f1e53bdcdfa as an integer. */
export const QSHIELD_ARC = '2.25.228207219992711071742205157662068166138';

export const OID = {
  // RFC 5652 content types and attributes
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23', // RFC 5083
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // qshield signed attributes (docs/envelope.md)
  qshieldDestination: `${QSHIELD_ARC}.1.1`,
  qshieldMessageId: `${QSHIELD_ARC}.1.2`,
  // digests (RFC 5754)
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  // signatures (RFC 5754, RFC 4056, RFC 8017)
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  // key transport and agreement (RFC 8017 / RFC 3560, RFC 5753, RFC 3394)
  rsaesOaep: '1.2.840.113549.1.1.7',
  pSpecified: '1.2.840.113549.1.1.9',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdhSha1Kdf: '1.3.133.16.840.63.0.2',
  ecdhSha224Kdf: '1.3.132.1.11.0',
  ecdhSha256Kdf: '1.3.132.1.11.1',
  ecdhSha384Kdf: '1.3.132.1.11.2',
  ecdhSha512Kdf: '1.3.132.1.11.3',
  aes128Wrap: '2.16.840.1.101.3.4.1.5',
  aes192Wrap: '2.16.840.1.101.3.4.1.25',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  // content encryption (RFC 5084)
  aes128Gcm: '2.16.840.1.101.3.4.1.6',
  aes192Gcm: '2.16.840.1.101.3.4.1.26',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  // curves (RFC 5480)
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  // refused as too weak wherever they appear, named so the refusal can say why
  md5: '1.2.840.113549.2.5',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  desEde3Cbc: '1.2.840.113549.3.7',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  // certificate extensions (RFC 5280)
  subjectKeyIdentifier: '2.5.29.14',
} as const;

export type OidName = keyof typeof OID;


/** Each OID encoded as a complete DER element, ready to splice into output. */
export const OID_DER = Object.fromEntries(Object.entries(OID).map(([name, dotted]) => [name, oid(dotted)])) as Record<OidName, Buffer>;

const BY_KEY = new Map<string, OidName>(
  Object.entries(OID_DER).map(([name, der]) => [der.subarray(2).toString('latin1'), name as OidName]),
);

/** The name of a known OID from its key (see lib/der `oidKey`), or undefined. */
export function oidName(key: string): OidName | undefined {
  return BY_KEY.get(key);
}
