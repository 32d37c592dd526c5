// Reads what SVID validation needs from a certificate's DER that node:crypto's X509Certificate
// does not expose: basic constraints with path length, key usage bits, criticality, SANs by
// kind, key identifiers, raw names. Strict: a duplicate extension or a bad encoding throws.
import { DerError, TAG, asBuffer, bytesOf, children, contentOf, expectTag, readBitString, readBoolean, readElement, readOid, readSmallInt, readWhole, type DerElement } from '../der/index.ts';
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

function decodeKeyUsage(buf: Buffer, el: DerElement): Set<KeyUsage> {
  const { bytes, unusedBits } = readBitString(buf, el, 'key usage');
  const usages = new Set<KeyUsage>();
  const bits = bytes.length * 8 - unusedBits;
  for (let bit = 0; bit < bits && bit < KEY_USAGE_BY_BIT.length; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) usages.add(KEY_USAGE_BY_BIT[bit] as KeyUsage);
  }
  return usages;
}

function ascii(bytes: Buffer): string {
  for (const b of bytes) if (b > 0x7e || b < 0x20) throw new DerError('subject alternative name: non-printable character in an IA5String name');
  return bytes.toString('latin1');
}

/**
 * Reads the facts of one DER certificate.
 * @throws DerError when the certificate is not well-formed DER of the expected shape.
 */
export function readCertificateFacts(input: Uint8Array): CertificateFacts {
  const der = asBuffer(input);
  const cert = readWhole(der, TAG.sequence, 'certificate');
  const [tbs, sigAlg] = children(der, cert, 'certificate');
  if (!tbs || !sigAlg) throw new DerError('certificate: a certificate has three parts');
  const tbsParts = children(der, expectTag(tbs, TAG.sequence, 'tbsCertificate'), 'tbsCertificate');
  let i = 0;
  let version = 1;
  if (tbsParts[0]?.tag === TAG.ctx(0)) {
    const [v] = children(der, tbsParts[0], 'version');
    if (!v) throw new DerError('version: empty');
    version = readSmallInt(der, v, 'version') + 1;
    i = 1;
  }
  const [, , issuer, , subject] = tbsParts.slice(i);
  if (!issuer || !subject) throw new DerError('tbsCertificate: truncated');
  const [sigAlgOid] = children(der, expectTag(sigAlg, TAG.sequence, 'signatureAlgorithm'), 'signatureAlgorithm');
  if (!sigAlgOid) throw new DerError('signatureAlgorithm: empty');

  const facts: {
    -readonly [K in keyof CertificateFacts]: CertificateFacts[K]
  } = {
    version,
    issuerDer: Buffer.from(bytesOf(der, expectTag(issuer, TAG.sequence, 'issuer'))),
    subjectDer: Buffer.from(bytesOf(der, expectTag(subject, TAG.sequence, 'subject'))),
    signatureAlgorithm: readOid(der, sigAlgOid, 'signatureAlgorithm'),
    uris: [],
    dnsNames: [],
    otherNames: 0,
    unknownCritical: [],
  };
  const extsEl = tbsParts.slice(i + 6).find((t) => t.tag === TAG.ctx(3));
  if (!extsEl) return facts;
  const [extsSeq] = children(der, extsEl, 'extensions');
  if (!extsSeq) throw new DerError('extensions: empty');
  const seen = new Set<string>();
  const uris: string[] = [];
  const dnsNames: string[] = [];
  const unknownCritical: string[] = [];
  for (const ext of children(der, expectTag(extsSeq, TAG.sequence, 'extensions'), 'extensions')) {
    const parts = children(der, expectTag(ext, TAG.sequence, 'extension'), 'extension');
    if (!parts[0]) throw new DerError('extension: empty');
    const id = readOid(der, parts[0], 'extension id');
    const what = `extension ${id}`;
    if (seen.has(id)) throw new DerError(`${what}: appears twice`);
    seen.add(id);
    let critical = false;
    let valueEl = parts[1];
    if (valueEl?.tag === TAG.boolean) {
      critical = readBoolean(der, valueEl, `${what} critical`);
      valueEl = parts[2];
    }
    if (!valueEl) throw new DerError(`${what}: has no value`);
    expectTag(valueEl, TAG.octetString, what);
    // Parse the inner value in place: offsets stay relative to `der`.
    const inner = readElement(der, valueEl.valueStart, valueEl.end, what);
    if (inner.end !== valueEl.end) throw new DerError(`${what}: trailing bytes`);
    switch (id) {
      case OID.basicConstraints: {
        const items = children(der, expectTag(inner, TAG.sequence, what), what);
        let ca = false;
        let next = 0;
        if (items[0]?.tag === TAG.boolean) {
          ca = readBoolean(der, items[0], `${what} cA`);
          next = 1;
        }
        const pathLen = items[next] ? readSmallInt(der, items[next] as DerElement, `${what} pathLenConstraint`) : undefined;
        facts.basicConstraints = pathLen === undefined ? { ca, critical } : { ca, pathLen, critical };
        break;
      }
      case OID.keyUsage:
        facts.keyUsage = { usages: decodeKeyUsage(der, inner), critical };
        break;
      case OID.extKeyUsage:
        facts.extKeyUsage = children(der, expectTag(inner, TAG.sequence, what), what).map((t) => readOid(der, t, `${what} purpose`));
        break;
      case OID.subjectAltName:
        for (const name of children(der, expectTag(inner, TAG.sequence, what), what)) {
          if (name.tag === TAG.ctxPrim(6)) uris.push(ascii(contentOf(der, name)));
          else if (name.tag === TAG.ctxPrim(2)) dnsNames.push(ascii(contentOf(der, name)));
          else facts.otherNames += 1;
        }
        break;
      case OID.subjectKeyIdentifier:
        facts.subjectKeyId = Buffer.from(contentOf(der, expectTag(inner, TAG.octetString, what)));
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = children(der, expectTag(inner, TAG.sequence, what), what).find((t) => t.tag === TAG.ctxPrim(0));
        if (keyId) facts.authorityKeyId = Buffer.from(contentOf(der, keyId));
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
