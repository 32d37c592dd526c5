// CMS SignedData (RFC 5652 5) as qshield writes and reads it: encapsulated id-data content,
// the signer's chain in `certificates`, exactly one SignerInfo with signed attributes. Writing
// splices pre-encoded constant parts; reading locates elements without copying.
import { hash } from 'node:crypto';
import { DIGEST_LENGTH, SIGNATURE_ALGORITHMS, signatureAlgorithmOf, type DigestName, type SignatureAlgorithm } from './algorithms.ts';
import { paramsAbsentOrNull, readAlgorithm, describe, type AlgorithmId } from './algorithm-identifier.ts';
import { bytesOf, contentOf, ctx, DerCursor, encode, isEncoding, node, octets, readSmallInt, readTime, readWhole, retag, seq, set, soleChild, TAG, time, type DerElement } from '../der/index.ts';
import { readDestination, readMessageId, type Destination } from './destination.ts';
import { EnvelopeError, envelopeFault, malformed } from './envelope-error.ts';
import { MAX_CERTIFICATES, MAX_SIGNED_ATTRIBUTES } from './limits.ts';
import { OID_DER, type OidName } from './oids.ts';
import { DIGEST_ALGORITHM_ID, SIGNATURE_ALGORITHM_ID, signWith } from './signature.ts';
import type { Signer } from './signer.ts';

const CONTENT_TYPE_DATA_ATTR = encode(seq(OID_DER.contentType, set(OID_DER.data)));
const VERSION_1 = Buffer.from([0x02, 0x01, 0x01]);
const VERSION_3 = 3;

// The signingTime attribute has one-second resolution: encode it once per second, not per message.
let lastSecond = Number.NaN;
let lastTimeAttr: Buffer = Buffer.alloc(0);

function signingTimeAttribute(at: Date): Buffer {
  const second = Math.floor(at.getTime() / 1000);
  if (second !== lastSecond) {
    lastTimeAttr = encode(seq(OID_DER.signingTime, set(time(at))));
    lastSecond = second;
  }
  return lastTimeAttr;
}

// messageDigest attribute = a constant prefix per digest length, then the digest.
const MESSAGE_DIGEST_PREFIX: Readonly<Record<DigestName, Buffer>> = Object.fromEntries(
  (['sha256', 'sha384', 'sha512'] as const).map((d) => {
    const whole = encode(seq(OID_DER.messageDigest, set(octets(Buffer.alloc(DIGEST_LENGTH[d])))));
    return [d, whole.subarray(0, whole.length - DIGEST_LENGTH[d])];
  }),
) as Record<DigestName, Buffer>;

/** A qshield attribute (type and single value), encoded. */
export function qshieldAttribute(type: 'qshieldDestination' | 'qshieldMessageId', value: Buffer): Buffer {
  return encode(seq(OID_DER[type], set(value)));
}

/** The variable signed attributes of one message, each already a whole encoded Attribute. */
export interface SignedAttributeValues {
  readonly signingTime: Date;
  /** Encoded Attribute { qshieldDestination }, or undefined for an unbound envelope. */
  readonly destination: Buffer | undefined;
  /** Encoded Attribute { qshieldMessageId }. */
  readonly messageId: Buffer | undefined;
}

/** The DER SET OF the signed attributes: each encoded once, sorted by encoding (X.690 11.6). */
function signedAttributes(digestName: DigestName, digest: Buffer, values: SignedAttributeValues): Buffer {
  const attrs = [CONTENT_TYPE_DATA_ATTR, signingTimeAttribute(values.signingTime), Buffer.concat([MESSAGE_DIGEST_PREFIX[digestName], digest])];
  if (values.destination !== undefined) attrs.push(values.destination);
  if (values.messageId !== undefined) attrs.push(values.messageId);
  attrs.sort(Buffer.compare);
  return encode(node(TAG.set, attrs));
}

/**
 * Builds ContentInfo { id-signedData, SignedData } over `payload`.
 */
export function encodeSignedData(payload: Uint8Array, signer: Signer, values: SignedAttributeValues): Buffer {
  const digest = hash(signer.digest, payload, 'buffer');
  // The signature covers the DER of the attributes as a SET OF (RFC 5652 5.4); in the
  // SignerInfo the same octets travel under the [0] IMPLICIT tag.
  const signedAttrs = signedAttributes(signer.digest, digest, values);
  const signature = signWith(signer.algorithm, signer.key, signedAttrs);
  const signerInfo = seq(signer.signerInfoHead, retag(signedAttrs, TAG.ctx(0)), signer.signatureAlgorithmId, octets(signature));
  const signedData = seq(
    VERSION_1,
    signer.digestAlgorithms,
    seq(OID_DER.data, ctx(0, octets(payload))),
    signer.certificatesField,
    set(signerInfo),
  );
  return encode(seq(OID_DER.signedData, node(TAG.ctx(0), [signedData])));
}

/** What open needs of a SignedData, located in the input buffer. */
export interface SignedDataView {
  readonly content: Buffer;
  /**
   * The whole certificates field ([0] IMPLICIT SET OF CertificateChoices), empty when absent: a
   * cache key for the chain it holds, read with readCertificates only when not cached.
   */
  readonly certificatesField: Buffer;
  readonly sid: { readonly kind: 'issuerAndSerial' | 'subjectKeyId'; readonly value: Buffer };
  readonly digest: DigestName;
  readonly algorithm: SignatureAlgorithm;
  /** PSS salt length from the parameters (RSA-PSS only). */
  readonly saltLength: number | undefined;
  /** The signed attributes as the signature covers them: re-tagged as SET OF. */
  readonly signedAttrs: Buffer;
  readonly signature: Buffer;
  readonly messageDigest: Buffer;
  readonly signingTime: Date | undefined;
  readonly destination: Destination | undefined;
  readonly messageId: Buffer | undefined;
}

const DIGESTS: Partial<Record<OidName, DigestName>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };
const WEAK: ReadonlySet<OidName | undefined> = new Set<OidName | undefined>(['md5', 'sha1', 'sha224', 'sha1WithRSA', 'ecdsaWithSha1']);

function weak(alg: AlgorithmId, what: string): EnvelopeError {
  return new EnvelopeError('STRENGTH_MISMATCH', `${what} ${describe(alg)} is refused as too weak`);
}

const DIGEST_NAMES: readonly DigestName[] = ['sha256', 'sha384', 'sha512'];

function readDigest(buf: Buffer, el: DerElement, what: string): DigestName {
  // Fast path: the exact encodings qshield and OpenSSL write (parameters absent).
  for (const d of DIGEST_NAMES) if (isEncoding(buf, el, DIGEST_ALGORITHM_ID[d])) return d;
  const alg = readAlgorithm(buf, el, what);
  const digest = alg.name === undefined ? undefined : DIGESTS[alg.name];
  if (digest !== undefined && paramsAbsentOrNull(buf, alg)) return digest;
  if (WEAK.has(alg.name)) throw weak(alg, what);
  throw malformed(`${what}: unsupported algorithm ${describe(alg)}`);
}

function readPssParams(buf: Buffer, alg: AlgorithmId, digest: DigestName): number {
  if (alg.params === undefined || alg.params.tag !== TAG.sequence) throw malformed('RSASSA-PSS parameters missing');
  const c = DerCursor.inside(buf, alg.params, 'RSASSA-PSS parameters');
  const hashEl = c.optional(TAG.ctx(0), 'PSS hashAlgorithm');
  const mgfEl = c.optional(TAG.ctx(1), 'PSS maskGenAlgorithm');
  const saltEl = c.optional(TAG.ctx(2), 'PSS saltLength');
  const trailerEl = c.optional(TAG.ctx(3), 'PSS trailerField');
  c.finish('RSASSA-PSS parameters');
  // Absent hash or MGF means SHA-1 (RFC 4055 3.1), which is refused.
  if (hashEl === undefined || mgfEl === undefined) throw new EnvelopeError('STRENGTH_MISMATCH', 'RSASSA-PSS with the default SHA-1 hash is refused as too weak');
  const hash = readDigest(buf, soleChild(buf, hashEl, 'PSS hashAlgorithm'), 'PSS hashAlgorithm');
  const mgf = readAlgorithm(buf, soleChild(buf, mgfEl, 'PSS maskGenAlgorithm'), 'PSS maskGenAlgorithm');
  if (mgf.name !== 'mgf1' || mgf.params === undefined) throw malformed(`PSS maskGenAlgorithm ${describe(mgf)} is not MGF1`);
  const mgfHash = readDigest(buf, mgf.params, 'PSS MGF1 hash');
  if (hash !== digest || mgfHash !== digest) throw malformed('RSASSA-PSS hashes differ from the digest algorithm');
  const salt = saltEl === undefined ? 20 : readSmallInt(buf, soleChild(buf, saltEl, 'PSS saltLength'), 'PSS saltLength');
  if (trailerEl !== undefined && readSmallInt(buf, soleChild(buf, trailerEl, 'PSS trailerField'), 'PSS trailerField') !== 1) throw malformed('PSS trailerField must be 1');
  if (salt < DIGEST_LENGTH[digest]) throw new EnvelopeError('STRENGTH_MISMATCH', `RSASSA-PSS salt of ${salt} bytes is shorter than the hash`);
  return salt;
}

const SIGNATURE_ALGORITHMS_BY_DIGEST: Readonly<Record<DigestName, readonly SignatureAlgorithm[]>> = {
  sha256: SIGNATURE_ALGORITHMS.filter((a) => a.endsWith('sha256')),
  sha384: SIGNATURE_ALGORITHMS.filter((a) => a.endsWith('sha384')),
  sha512: SIGNATURE_ALGORITHMS.filter((a) => a.endsWith('sha512')),
};

const PKCS1: Partial<Record<OidName, DigestName>> = { sha256WithRSA: 'sha256', sha384WithRSA: 'sha384', sha512WithRSA: 'sha512' };
const ECDSA: Partial<Record<OidName, DigestName>> = { ecdsaWithSha256: 'sha256', ecdsaWithSha384: 'sha384', ecdsaWithSha512: 'sha512' };

function readSignatureAlgorithm(buf: Buffer, el: DerElement, digest: DigestName): { algorithm: SignatureAlgorithm; saltLength: number | undefined } {
  // Fast path: exactly the identifier qshield writes for an algorithm with this digest.
  for (const candidate of SIGNATURE_ALGORITHMS_BY_DIGEST[digest]) {
    if (isEncoding(buf, el, SIGNATURE_ALGORITHM_ID[candidate])) {
      return { algorithm: candidate, saltLength: candidate.startsWith('rsa-pss') ? DIGEST_LENGTH[digest] : undefined };
    }
  }
  const alg = readAlgorithm(buf, el, 'signatureAlgorithm');
  let kind: 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss';
  let saltLength: number | undefined;
  let hash: DigestName | undefined = digest;
  if (alg.name === 'rsaEncryption') {
    if (!paramsAbsentOrNull(buf, alg)) throw malformed('rsaEncryption parameters must be NULL');
    kind = 'rsa-pkcs1';
  } else if (alg.name !== undefined && PKCS1[alg.name] !== undefined) {
    if (!paramsAbsentOrNull(buf, alg)) throw malformed('RSA signature parameters must be NULL');
    kind = 'rsa-pkcs1';
    hash = PKCS1[alg.name];
  } else if (alg.name !== undefined && ECDSA[alg.name] !== undefined) {
    if (alg.params !== undefined) throw malformed('ECDSA signature parameters must be absent');
    kind = 'ecdsa';
    hash = ECDSA[alg.name];
  } else if (alg.name === 'rsassaPss') {
    kind = 'rsa-pss';
    saltLength = readPssParams(buf, alg, digest);
  } else if (WEAK.has(alg.name)) {
    throw weak(alg, 'signature algorithm');
  } else {
    throw malformed(`unsupported signature algorithm ${describe(alg)}`);
  }
  if (hash !== digest) throw malformed('signature algorithm hash differs from the digest algorithm');
  const algorithm = signatureAlgorithmOf({ kind, digest });
  if (algorithm === undefined) throw malformed(`unsupported signature algorithm ${kind} with ${digest}`);
  return { algorithm, saltLength };
}

const ATTRIBUTE_BITS: Partial<Record<OidName, number>> = { contentType: 1, messageDigest: 2, signingTime: 4, qshieldDestination: 8, qshieldMessageId: 16 };

const KNOWN_ATTRIBUTES = ['contentType', 'messageDigest', 'signingTime', 'qshieldDestination', 'qshieldMessageId'] as const;

function knownAttribute(buf: Buffer, typeEl: DerElement): (typeof KNOWN_ATTRIBUTES)[number] | undefined {
  for (const a of KNOWN_ATTRIBUTES) if (isEncoding(buf, typeEl, OID_DER[a])) return a;
  return undefined;
}

interface AttributeValues {
  /** Set when a contentType attribute was read: whether it names id-data. */
  contentIsData?: boolean;
  messageDigest?: Buffer;
  signingTime?: Date;
  destination?: Destination;
  messageId?: Buffer;
}

function readSignedAttributes(buf: Buffer, el: DerElement): AttributeValues {
  // One literal with every field: a shape built property by property would be a chain of hidden
  // classes that V8 drops (and deoptimizes this reader for) at every full garbage collection.
  const out: AttributeValues = { contentIsData: undefined, messageDigest: undefined, signingTime: undefined, destination: undefined, messageId: undefined };
  let seen = 0;
  const c = DerCursor.inside(buf, el, 'signedAttrs');
  let count = 0;
  while (!c.done) {
    if (++count > MAX_SIGNED_ATTRIBUTES) throw malformed(`more than ${MAX_SIGNED_ATTRIBUTES} signed attributes`);
    const attr = DerCursor.inside(buf, c.next(TAG.sequence, 'attribute'), 'attribute');
    const typeEl = attr.next(TAG.oid, 'attribute type');
    const valuesEl = attr.next(TAG.set, 'attribute values');
    attr.finish('attribute');
    const name = knownAttribute(buf, typeEl);
    const bit = name === undefined ? 0 : (ATTRIBUTE_BITS[name] ?? 0);
    if (bit === 0) continue; // attributes qshield does not read are left to their owners
    // RFC 5652 11: these attribute types appear once and hold exactly one value.
    if (seen & bit) throw malformed(`signed attribute ${name} appears twice`);
    seen |= bit;
    const values = DerCursor.inside(buf, valuesEl, name as string);
    const value = values.any(name as string);
    values.finish(`${name as string}: more than one value`);
    switch (name) {
      case 'contentType':
        if (value.tag !== TAG.oid) throw malformed('contentType: expected an object identifier');
        out.contentIsData = isEncoding(buf, value, OID_DER.data);
        break;
      case 'messageDigest':
        if (value.tag !== TAG.octetString) throw malformed('messageDigest: expected OCTET STRING');
        out.messageDigest = contentOf(buf, value);
        break;
      case 'signingTime': out.signingTime = readTime(buf, value, 'signingTime'); break;
      case 'qshieldDestination': out.destination = readDestination(buf, value); break;
      case 'qshieldMessageId': out.messageId = readMessageId(buf, value); break;
    }
  }
  return out;
}


/**
 * Reads the SignedData inside a ContentInfo's [0] EXPLICIT wrapper.
 * @throws EnvelopeError MALFORMED for structure faults and unsupported forms; STRENGTH_MISMATCH
 * for algorithms refused as weak.
 */
export function readSignedData(buf: Buffer, wrapper: DerElement): SignedDataView {
  try {
    return readSignedDataView(buf, wrapper);
  } catch (err) {
    throw envelopeFault(err);
  }
}

function readSignedDataView(buf: Buffer, wrapper: DerElement): SignedDataView {
  const outer = DerCursor.inside(buf, wrapper, 'SignedData wrapper');
  const sdEl = outer.next(TAG.sequence, 'SignedData');
  outer.finish('SignedData wrapper');
  const sd = DerCursor.inside(buf, sdEl, 'SignedData');
  const version = readSmallInt(buf, sd.next(TAG.integer, 'SignedData version'), 'SignedData version');
  if (version !== 1 && version !== VERSION_3) throw malformed(`SignedData version ${version} is not supported`);
  sd.next(TAG.set, 'digestAlgorithms');

  const eci = DerCursor.inside(buf, sd.next(TAG.sequence, 'encapContentInfo'), 'encapContentInfo');
  if (!isEncoding(buf, eci.next(TAG.oid, 'eContentType'), OID_DER.data)) throw malformed('encapsulated content type is not id-data');
  const eContentWrap = eci.optional(TAG.ctx(0), 'eContent');
  eci.finish('encapContentInfo');
  if (eContentWrap === undefined) throw malformed('detached content is not supported: the content must be encapsulated');
  const ec = DerCursor.inside(buf, eContentWrap, 'eContent');
  const contentEl = ec.next(TAG.octetString, 'eContent');
  ec.finish('eContent');

  const certsEl = sd.optional(TAG.ctx(0), 'certificates');
  sd.optional(TAG.ctx(1), 'crls');
  const signerInfos = DerCursor.inside(buf, sd.next(TAG.set, 'signerInfos'), 'signerInfos');
  sd.finish('SignedData');
  if (signerInfos.done) throw malformed('no SignerInfo');
  const siEl = signerInfos.next(TAG.sequence, 'SignerInfo');
  if (!signerInfos.done) throw malformed('more than one SignerInfo is not supported');

  const si = DerCursor.inside(buf, siEl, 'SignerInfo');
  const siVersion = readSmallInt(buf, si.next(TAG.integer, 'SignerInfo version'), 'SignerInfo version');
  const sidEl = si.any('sid');
  let sid: SignedDataView['sid'];
  if (siVersion === 1 && sidEl.tag === TAG.sequence) sid = { kind: 'issuerAndSerial', value: bytesOf(buf, sidEl) };
  else if (siVersion === VERSION_3 && sidEl.tag === TAG.ctxPrim(0)) sid = { kind: 'subjectKeyId', value: contentOf(buf, sidEl) };
  else throw malformed('SignerInfo version and signer identifier disagree');
  const digest = readDigest(buf, si.next(TAG.sequence, 'digestAlgorithm'), 'digestAlgorithm');
  const attrsEl = si.optional(TAG.ctx(0), 'signedAttrs');
  if (attrsEl === undefined) throw malformed('signed attributes are required');
  const { algorithm, saltLength } = readSignatureAlgorithm(buf, si.next(TAG.sequence, 'signatureAlgorithm'), digest);
  const signature = contentOf(buf, si.next(TAG.octetString, 'signature'));
  si.optional(TAG.ctx(1), 'unsignedAttrs');
  si.finish('SignerInfo');

  const attrs = readSignedAttributes(buf, attrsEl);
  if (attrs.contentIsData === undefined || attrs.messageDigest === undefined) throw malformed('contentType and messageDigest signed attributes are required');
  if (!attrs.contentIsData) throw malformed('contentType attribute differs from the encapsulated content type');
  if (attrs.messageDigest.length !== DIGEST_LENGTH[digest]) throw new EnvelopeError('SIGNATURE_INVALID', 'messageDigest has the wrong length for its algorithm');

  const signedAttrs = Buffer.from(bytesOf(buf, attrsEl));
  signedAttrs[0] = TAG.set;
  return {
    content: contentOf(buf, contentEl),
    certificatesField: certsEl === undefined ? NO_CERTIFICATES : bytesOf(buf, certsEl),
    sid,
    digest,
    algorithm,
    saltLength,
    signedAttrs,
    signature,
    messageDigest: attrs.messageDigest,
    signingTime: attrs.signingTime,
    destination: attrs.destination,
    messageId: attrs.messageId,
  };
}

const NO_CERTIFICATES = Buffer.alloc(0);

/**
 * Each X.509 certificate's DER in a certificates field, in the order carried; other
 * CertificateChoices are skipped.
 * @throws EnvelopeError MALFORMED for a broken field or more than MAX_CERTIFICATES certificates.
 */
export function readCertificates(field: Buffer): Buffer[] {
  const certificates: Buffer[] = [];
  if (field.length === 0) return certificates;
  try {
    const cc = DerCursor.inside(field, readWhole(field, TAG.ctx(0), 'certificates'), 'certificates');
    while (!cc.done) {
      const cert = cc.any('certificate');
      if (cert.tag !== TAG.sequence) continue;
      if (certificates.length >= MAX_CERTIFICATES) throw malformed(`more than ${MAX_CERTIFICATES} certificates`);
      certificates.push(bytesOf(field, cert));
    }
  } catch (err) {
    throw envelopeFault(err);
  }
  return certificates;
}

/** The SignerInfo head (version 1, sid, digestAlgorithm) and the algorithm identifiers a signer writes. */
export function signerConstants(issuerAndSerial: Buffer, digestAlgorithmId: Buffer, algorithm: SignatureAlgorithm): { head: Buffer; signatureAlgorithmId: Buffer; digestAlgorithms: Buffer } {
  return {
    head: Buffer.concat([VERSION_1, issuerAndSerial, digestAlgorithmId]),
    signatureAlgorithmId: SIGNATURE_ALGORITHM_ID[algorithm],
    digestAlgorithms: encode(set(digestAlgorithmId)),
  };
}

