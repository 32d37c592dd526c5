// Reads what SVID validation needs from a certificate's DER that node:crypto's X509Certificate
// does not expose: basic constraints with path length, key usage bits, criticality, SANs by
// kind, key identifiers, raw names. Strict: a duplicate extension or a bad encoding throws.
import { DerError, TAG, children, ctx, expectTag, readBitString, readBoolean, readOid, readSmallInteger, readTlv, readTop, value, whole, type Tlv } from './der.ts';
import { KEY_USAGE_BITS, OID, type KeyUsage } from './oids.ts';

export interface CertificateFacts {
  readonly version: number;
  /** DER of the issuer and subject Names, for byte-exact chaining. */
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  /** The outer signature algorithm OID. */
  readonly signatureAlgorithm: string;
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number; readonly critical: boolean };
  readonly keyUsage?: { readonly usages: ReadonlySet<KeyUsage>; readonly critical: boolean };
  /** Extended key usage OIDs, when the extension is present. */
  readonly extKeyUsage?: readonly string[];
  readonly uris: readonly string[];
  readonly dnsNames: readonly string[];
  /** Count of SAN entries that are neither URI nor DNS name. */
  readonly otherNames: number;
  readonly subjectKeyId?: Buffer;
  readonly authorityKeyId?: Buffer;
  /** OIDs of critical extensions this reader does not process (a verifier must refuse them). */
  readonly unknownCritical: readonly string[];
}

const KEY_USAGE_BY_BIT = Object.entries(KEY_USAGE_BITS).map(([name]) => name as KeyUsage);

function decodeKeyUsage(buf: Uint8Array, tlv: Tlv): Set<KeyUsage> {
  const { bytes, unusedBits } = readBitString(buf, tlv);
  const usages = new Set<KeyUsage>();
  const bits = bytes.length * 8 - unusedBits;
  for (let bit = 0; bit < bits && bit < KEY_USAGE_BY_BIT.length; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) usages.add(KEY_USAGE_BY_BIT[bit] as KeyUsage);
  }
  return usages;
}

function ascii(bytes: Uint8Array): string {
  for (const b of bytes) if (b > 0x7e || b < 0x20) throw new DerError('non-printable character in an IA5String name');
  return Buffer.from(bytes).toString('latin1');
}

/**
 * Reads the facts of one DER certificate.
 * @throws DerError when the certificate is not well-formed DER of the expected shape.
 */
export function readCertificateFacts(der: Uint8Array): CertificateFacts {
  const cert = readTop(der, TAG.sequence);
  const [tbs, sigAlg] = children(der, cert);
  if (!tbs || !sigAlg) throw new DerError('a certificate has three parts');
  const tbsParts = children(der, expectTag(tbs, TAG.sequence));
  let i = 0;
  let version = 1;
  if (tbsParts[0]?.tag === ctx(0, true)) {
    const [v] = children(der, tbsParts[0]);
    if (!v) throw new DerError('empty version');
    version = readSmallInteger(der, v) + 1;
    i = 1;
  }
  const [, , issuer, , subject] = tbsParts.slice(i);
  if (!issuer || !subject) throw new DerError('truncated TBS certificate');
  const [sigAlgOid] = children(der, expectTag(sigAlg, TAG.sequence));
  if (!sigAlgOid) throw new DerError('empty signature algorithm');

  const facts: {
    -readonly [K in keyof CertificateFacts]: CertificateFacts[K]
  } = {
    version,
    issuerDer: Buffer.from(whole(der, expectTag(issuer, TAG.sequence))),
    subjectDer: Buffer.from(whole(der, expectTag(subject, TAG.sequence))),
    signatureAlgorithm: readOid(der, sigAlgOid),
    uris: [],
    dnsNames: [],
    otherNames: 0,
    unknownCritical: [],
  };
  const extsTlv = tbsParts.slice(i + 6).find((t) => t.tag === ctx(3, true));
  if (!extsTlv) return facts;
  const [extsSeq] = children(der, extsTlv);
  if (!extsSeq) throw new DerError('empty extensions');
  const seen = new Set<string>();
  const uris: string[] = [];
  const dnsNames: string[] = [];
  const unknownCritical: string[] = [];
  for (const ext of children(der, expectTag(extsSeq, TAG.sequence))) {
    const parts = children(der, expectTag(ext, TAG.sequence));
    const id = readOid(der, parts[0] as Tlv);
    if (seen.has(id)) throw new DerError(`extension ${id} appears twice`);
    seen.add(id);
    let critical = false;
    let valueTlv = parts[1];
    if (valueTlv?.tag === TAG.boolean) {
      critical = readBoolean(der, valueTlv);
      valueTlv = parts[2];
    }
    if (!valueTlv) throw new DerError(`extension ${id} has no value`);
    const octets = value(der, expectTag(valueTlv, TAG.octetString));
    const base = valueTlv.valueStart;
    // Parse the inner value in place: offsets stay relative to `der`.
    const inner = readTlv(der, base, valueTlv.end);
    if (inner.end !== valueTlv.end || octets.length === 0) throw new DerError(`extension ${id}: trailing bytes`);
    switch (id) {
      case OID.basicConstraints: {
        const items = children(der, expectTag(inner, TAG.sequence));
        let ca = false;
        let next = 0;
        if (items[0]?.tag === TAG.boolean) {
          ca = readBoolean(der, items[0]);
          next = 1;
        }
        const pathLen = items[next] ? readSmallInteger(der, items[next] as Tlv) : undefined;
        facts.basicConstraints = pathLen === undefined ? { ca, critical } : { ca, pathLen, critical };
        break;
      }
      case OID.keyUsage:
        facts.keyUsage = { usages: decodeKeyUsage(der, inner), critical };
        break;
      case OID.extKeyUsage:
        facts.extKeyUsage = children(der, expectTag(inner, TAG.sequence)).map((t) => readOid(der, t));
        break;
      case OID.subjectAltName:
        for (const name of children(der, expectTag(inner, TAG.sequence))) {
          if (name.tag === ctx(6, false)) uris.push(ascii(value(der, name)));
          else if (name.tag === ctx(2, false)) dnsNames.push(ascii(value(der, name)));
          else facts.otherNames += 1;
        }
        break;
      case OID.subjectKeyIdentifier:
        facts.subjectKeyId = Buffer.from(value(der, expectTag(inner, TAG.octetString)));
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = children(der, expectTag(inner, TAG.sequence)).find((t) => t.tag === ctx(0, false));
        if (keyId) facts.authorityKeyId = Buffer.from(value(der, keyId));
        break;
      }
      default:
        if (critical) unknownCritical.push(id);
    }
  }
  facts.uris = uris;
  facts.dnsNames = dnsNames;
  facts.unknownCritical = unknownCritical;
  return facts;
}
