// open(): checks and unprotects one envelope against a keyring, a trust bundle and a policy.
// Every refusal is an EnvelopeError with its AMS-style reason; content is returned only after
// every check passed. The order of checks (docs/envelope.md) puts cheap structural and policy
// checks before cryptography, and authenticates the signing time before trusting it.
import { createSecretKey, hash, type KeyObject, type X509Certificate } from 'node:crypto';
import { compileSpiffePattern, type SpiffePattern } from '../identity/index.ts';
import { CONTENT_ENCRYPTIONS, SIGNATURE_ALGORITHMS, atLeast, schemeOf, type ContentEncryption, type SignatureAlgorithm } from './algorithms.ts';
import { decryptContent, readAuthEnvelopedData } from './auth-enveloped-data.ts';
import type { CmsIdentifiers } from './cms-certificate.ts';
import { bytesOf, DerCursor, isEncoding, oidKey, readElement, TAG, type DerElement } from '../der/index.ts';
import type { Destination } from './destination.ts';
import { EnvelopeError, envelopeFault, malformed } from './envelope-error.ts';
import './live-objects.ts';
import type { Keyring } from './keyring.ts';
import { MAX_ENVELOPE_BYTES, MAX_RECIPIENTS } from './limits.ts';
import { OID_DER, oidName } from './oids.ts';
import type { OpenedQop, Qop } from './qop.ts';
import { readRecipientInfos, type WrappedKey } from './recipient-info.ts';
import { verifyWith } from './signature.ts';
import { readSignedData, type SignedDataView } from './signed-data.ts';
import { carriedCertificates, trustSigner, type TrustBundle } from './signer-trust.ts';

export interface OpenPolicy {
  /** The QoP the queue's policy demands; undefined accepts any protected message. */
  readonly qop?: Qop;
  /** SPIFFE ids or patterns of authorized signers; undefined or empty authorizes any trusted signer. */
  readonly authorizedSigners?: readonly string[];
  /** Accept unprotected messages (AMS toleration, for migration); they open with qop `none`. */
  readonly toleration?: boolean;
  /** Weakest algorithms accepted (algorithms.ts gives the order). */
  readonly minimumStrength?: { readonly signature?: SignatureAlgorithm; readonly encryption?: ContentEncryption };
  /** Accept signed envelopes that carry no destination binding (made by other CMS tools). */
  readonly allowUnbound?: boolean;
  /** Accept RSA PKCS#1 v1.5 key transport (refused by default: padding-oracle risk). */
  readonly allowRsaPkcs1KeyTransport?: boolean;
  /** How far in the future a signing time may lie (clock skew), in seconds; default 300. */
  readonly maxClockSkewSeconds?: number;
}

export interface OpenOptions {
  /** Privacy and Confidentiality: the keys to decrypt with (createKeyring). */
  readonly keyring?: Keyring;
  /** Integrity and Privacy: the roots signers must chain to. */
  readonly trustBundle?: TrustBundle;
  readonly policy?: OpenPolicy;
  /** Where the message was found; a signed binding to anywhere else is refused. */
  readonly destination?: Destination;
  /** The message id it was found under; a signed binding to another id is refused. */
  readonly messageId?: Uint8Array;
  readonly clock?: () => Date;
  /** A lower envelope limit than MAX_ENVELOPE_BYTES. */
  readonly maxEnvelopeBytes?: number;
}

export interface OpenedSigner {
  readonly spiffeId: string;
  readonly certificate: X509Certificate;
  readonly algorithm: SignatureAlgorithm;
}

export interface Opened {
  /**
   * The payload. For Integrity it is a view into the envelope passed to open (no copy), so the
   * caller keeps that buffer unchanged while it uses the payload (or copies it).
   */
  readonly payload: Buffer;
  readonly qop: OpenedQop;
  /** Integrity and Privacy. */
  readonly signer?: OpenedSigner;
  /** The authenticated signing time, when the signer gave one. */
  readonly signingTime?: Date;
  /** The signed binding, when present. */
  readonly destination?: Destination;
  readonly messageId?: Buffer;
  /** Privacy and Confidentiality. */
  readonly encryption?: ContentEncryption;
}

const systemClock = (): Date => new Date();
const NO_POLICY: OpenPolicy = Object.freeze({});
const DEFAULT_SKEW_SECONDS = 300;

// Compiled signer patterns per policy object: policies are long-lived, messages are many.
const compiledPatterns = new WeakMap<OpenPolicy, readonly SpiffePattern[]>();
const NO_PATTERNS: readonly SpiffePattern[] = Object.freeze([]);

function patternsOf(policy: OpenPolicy): readonly SpiffePattern[] {
  if (policy.authorizedSigners === undefined || policy.authorizedSigners.length === 0) return NO_PATTERNS;
  let patterns = compiledPatterns.get(policy);
  if (patterns === undefined) {
    patterns = policy.authorizedSigners.map((p) => compileSpiffePattern(p));
    compiledPatterns.set(policy, patterns);
  }
  return patterns;
}

// The encoded-OID prefixes (tag, length and all arcs but the last) of the CMS content types:
// every OID of that length under 1.2.840.113549.1.7 (PKCS #7: data, signedData, envelopedData,
// ...) or 1.2.840.113549.1.9.16.1 (S/MIME content types: authEnvelopedData, ...) counts as "CMS",
// so that the unknown ones are refused as MALFORMED rather than passed through as unprotected.
const PKCS7_ARC = OID_DER.data.subarray(0, OID_DER.data.length - 1);
const SMIME_CT_ARC = OID_DER.authEnvelopedData.subarray(0, OID_DER.authEnvelopedData.length - 1);

function startsWithAt(bytes: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * The ContentInfo element spanning all of `bytes`, or undefined when the bytes do not even begin
 * like a CMS ContentInfo (SEQUENCE, then a CMS content-type OID). Only such bytes count as
 * unprotected; anything that begins like CMS and then breaks is MALFORMED, never "unprotected".
 */
function cmsContentType(bytes: Buffer): DerElement | undefined {
  if (bytes.length < 4 || bytes[0] !== TAG.sequence) return undefined;
  const first = bytes[1] as number;
  const at = first < 0x80 ? 2 : 2 + (first & 0x7f);
  if (!startsWithAt(bytes, at, PKCS7_ARC) && !startsWithAt(bytes, at, SMIME_CT_ARC)) return undefined;
  const contentInfo = readElement(bytes, 0, bytes.length, 'ContentInfo');
  if (contentInfo.end !== bytes.length) throw malformed('trailing data after the ContentInfo');
  return contentInfo;
}

/** A CMS ContentInfo's type and its [0] content, or undefined for bytes that are not CMS at all. */
export function readContentInfo(bytes: Buffer): { name: string | undefined; wrapper: DerElement } | undefined {
  try {
    return readCmsType(bytes);
  } catch (err) {
    throw envelopeFault(err);
  }
}

function readCmsType(bytes: Buffer): { name: string | undefined; wrapper: DerElement } | undefined {
  const contentInfo = cmsContentType(bytes);
  if (contentInfo === undefined) return undefined;
  const c = DerCursor.inside(bytes, contentInfo, 'ContentInfo');
  const typeEl = c.next(TAG.oid, 'contentType');
  const name = isEncoding(bytes, typeEl, OID_DER.authEnvelopedData) ? 'authEnvelopedData' : isEncoding(bytes, typeEl, OID_DER.signedData) ? 'signedData' : oidName(oidKey(bytes, typeEl, 'contentType'));
  const wrapper = c.next(TAG.ctx(0), 'content');
  c.finish('ContentInfo');
  return { name, wrapper };
}

function qopMismatch(found: OpenedQop | 'privacy or confidentiality', expected: Qop): EnvelopeError {
  return new EnvelopeError('QOP_MISMATCH', `the message is protected with ${found}, the policy demands ${expected}`, { details: { found, expected } });
}

interface Verified {
  readonly signer: OpenedSigner;
  readonly signingTime: Date | undefined;
}

/** The certificate the signer identifier names (a loop: no closure per message). */
function named<C extends CmsIdentifiers>(certificates: readonly C[], sid: SignedDataView['sid']): C | undefined {
  for (const c of certificates) {
    if (sid.kind === 'issuerAndSerial' ? c.issuerAndSerial.equals(sid.value) : c.subjectKeyId?.equals(sid.value) === true) return c;
  }
  return undefined;
}

function verifySigned(view: SignedDataView, options: OpenOptions, policy: OpenPolicy, clock: () => Date): Verified {
  if (!atLeast(SIGNATURE_ALGORITHMS, view.algorithm, policy.minimumStrength?.signature)) {
    throw new EnvelopeError('STRENGTH_MISMATCH', `signature algorithm ${view.algorithm} is weaker than the policy minimum ${policy.minimumStrength?.signature ?? ''}`);
  }
  const bundle = options.trustBundle;
  if (bundle === undefined) throw new EnvelopeError('CERTIFICATE_INVALID', 'a signed message needs a trust bundle to open');
  const chain = carriedCertificates(bundle, view.certificatesField);
  const signerCert = named(chain.certificates, view.sid);
  if (signerCert === undefined) {
    throw named(chain.unusable, view.sid)?.error ?? new EnvelopeError('CERTIFICATE_INVALID', 'the signer\'s certificate is not in the envelope');
  }
  if ((schemeOf(view.algorithm).kind === 'ecdsa') !== (signerCert.keyKind.type === 'ec')) {
    throw new EnvelopeError('SIGNATURE_INVALID', `signature algorithm ${view.algorithm} does not fit the signer's ${signerCert.keyKind.type.toUpperCase()} key`);
  }
  const digest = hash(view.digest, view.content, 'buffer');
  if (!digest.equals(view.messageDigest)) throw new EnvelopeError('SIGNATURE_INVALID', 'the content does not match the signed message digest');
  if (!verifyWith(view.algorithm, signerCert.publicKey, view.signedAttrs, view.signature, view.saltLength)) {
    throw new EnvelopeError('SIGNATURE_INVALID', 'the signature does not verify');
  }
  // The signing time is authenticated now; the chain is judged at that time so that a message
  // queued before its signer's certificate expired still opens.
  const now = clock();
  const skew = (policy.maxClockSkewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000;
  if (view.signingTime !== undefined && view.signingTime.getTime() > now.getTime() + skew) {
    throw new EnvelopeError('CERTIFICATE_INVALID', `the signing time ${view.signingTime.toISOString()} lies in the future`);
  }
  const trusted = trustSigner(chain, signerCert, bundle, view.signingTime ?? now);
  const patterns = patternsOf(policy);
  if (patterns.length > 0 && !patterns.some((p) => p.matches(trusted.spiffeId))) {
    throw new EnvelopeError('SIGNER_NOT_AUTHORIZED', `signer ${trusted.spiffeId} is not an authorized signer`, { details: { signer: trusted.spiffeId } });
  }
  checkBinding(view, options, policy);
  return { signer: { spiffeId: trusted.spiffeId, certificate: signerCert.x509, algorithm: view.algorithm }, signingTime: view.signingTime };
}

function checkBinding(view: SignedDataView, options: OpenOptions, policy: OpenPolicy): void {
  const expected = options.destination;
  if (expected !== undefined) {
    const bound = view.destination;
    if (bound === undefined) {
      if (!policy.allowUnbound) throw new EnvelopeError('DESTINATION_MISMATCH', 'the envelope carries no destination binding and the policy demands one');
    } else if (bound.queueManager !== expected.queueManager || bound.queue !== expected.queue) {
      throw new EnvelopeError('DESTINATION_MISMATCH', `the message was signed for ${bound.queueManager}/${bound.queue}, not ${expected.queueManager}/${expected.queue}`, {
        details: { signedFor: `${bound.queueManager}/${bound.queue}`, foundAt: `${expected.queueManager}/${expected.queue}` },
      });
    }
  }
  if (options.messageId !== undefined) {
    if (view.messageId === undefined) {
      if (!policy.allowUnbound) throw new EnvelopeError('DESTINATION_MISMATCH', 'the envelope carries no message id binding and the policy demands one');
    } else if (!view.messageId.equals(options.messageId)) {
      throw new EnvelopeError('DESTINATION_MISMATCH', 'the message was signed under another message id');
    }
  }
}

function unwrapContentKey(wrapped: readonly WrappedKey[], keyring: Keyring, policy: OpenPolicy): KeyObject {
  const unwrapOptions = { allowRsaPkcs1KeyTransport: policy.allowRsaPkcs1KeyTransport === true };
  let ours = 0;
  let refusal: EnvelopeError | undefined;
  for (const w of wrapped) {
    const keys = keyring.find(w.rid);
    if (keys.length === 0) continue;
    ours++;
    const refused = w.refusal(unwrapOptions);
    if (refused !== undefined) {
      refusal ??= refused;
      continue;
    }
    for (const k of keys) {
      const cek = w.unwrap(k.key, k.certificate, unwrapOptions);
      if (cek !== undefined) return createSecretKey(cek);
    }
  }
  if (ours === 0) throw new EnvelopeError('NOT_A_RECIPIENT', 'no key in the keyring belongs to a recipient of the message');
  throw refusal ?? new EnvelopeError('DECRYPTION_FAILED', 'the content key could not be unwrapped with the recipient\'s key');
}

/**
 * The one place an Opened is made, always with every field (undefined where absent): one hidden
 * class for every result, instead of a chain of them that V8 drops, and deoptimizes open() for,
 * at every full garbage collection.
 */
function opened(payload: Buffer, qop: OpenedQop, signer: OpenedSigner | undefined, signingTime: Date | undefined, destination: Destination | undefined, messageId: Buffer | undefined, encryption: ContentEncryption | undefined): Opened {
  return { payload, qop, signer, signingTime, destination, messageId, encryption };
}

function openSigned(payloadView: SignedDataView, options: OpenOptions, policy: OpenPolicy, clock: () => Date, qop: 'integrity' | 'privacy', encryption?: ContentEncryption): Opened {
  const { signer, signingTime } = verifySigned(payloadView, options, policy, clock);
  // Integrity: the payload is a view into the caller's envelope (see Opened.payload). Privacy: a
  // view into our own decrypted buffer.
  return opened(payloadView.content, qop, signer, signingTime, payloadView.destination, payloadView.messageId, encryption);
}

/**
 * The SignedData a Privacy message carries, or undefined when the decrypted content is not one.
 * Content that only begins like CMS is a Confidentiality payload, unless Privacy was demanded.
 */
function innerSignedData(plaintext: Buffer, privacyDemanded: boolean): SignedDataView | undefined {
  try {
    const cms = readContentInfo(plaintext);
    if (cms === undefined || cms.name !== 'signedData') return undefined;
    return readSignedData(plaintext, cms.wrapper);
  } catch (err) {
    if (privacyDemanded || !(err instanceof EnvelopeError) || err.reason !== 'MALFORMED') throw err;
    return undefined;
  }
}

/**
 * Opens an envelope.
 * @returns the payload with who signed it, when, at what QoP and with which algorithms.
 * @throws EnvelopeError with one reason: MALFORMED, SIZE_MISMATCH, QOP_MISMATCH,
 * STRENGTH_MISMATCH, NOT_A_RECIPIENT, DECRYPTION_FAILED, SIGNATURE_INVALID, CERTIFICATE_INVALID,
 * SIGNER_NOT_AUTHORIZED, DESTINATION_MISMATCH.
 */
export function open(bytes: Uint8Array, options: OpenOptions): Opened {
  const policy = options.policy ?? NO_POLICY;
  const limit = Math.min(options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES, MAX_ENVELOPE_BYTES);
  if (bytes.length > limit) throw new EnvelopeError('SIZE_MISMATCH', `envelope of ${bytes.length} bytes exceeds the ${limit}-byte limit`);
  // Memory another thread can write (SharedArrayBuffer) is copied first, so that what is checked
  // is what is returned; otherwise the envelope is read in place, without copying.
  const buf = bytes.buffer instanceof SharedArrayBuffer ? Buffer.from(bytes) : Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const clock = options.clock ?? systemClock;
  const expected = policy.qop;

  const cms = readContentInfo(buf);
  if (cms === undefined) {
    if (policy.toleration) return opened(Buffer.from(buf), 'none', undefined, undefined, undefined, undefined, undefined);
    throw new EnvelopeError('QOP_MISMATCH', `the message is not protected and the policy demands ${expected ?? 'protection'}`, { details: { found: 'none', expected: expected ?? 'any' } });
  }
  const { name, wrapper } = cms;

  if (name === 'signedData') {
    if (expected !== undefined && expected !== 'integrity') throw qopMismatch('integrity', expected);
    return openSigned(readSignedData(buf, wrapper), options, policy, clock, 'integrity');
  }
  if (name === 'envelopedData') {
    throw new EnvelopeError('STRENGTH_MISMATCH', 'EnvelopedData (encryption without authentication, e.g. AES-CBC) is refused; AuthEnvelopedData with AES-GCM is required');
  }
  if (name !== 'authEnvelopedData') throw malformed(`unsupported CMS content type ${name ?? 'unknown'}`);
  if (expected === 'integrity') throw qopMismatch('privacy or confidentiality', expected);

  const view = readAuthEnvelopedData(buf, wrapper);
  if (!atLeast(CONTENT_ENCRYPTIONS, view.encryption, policy.minimumStrength?.encryption)) {
    throw new EnvelopeError('STRENGTH_MISMATCH', `content encryption ${view.encryption} is weaker than the policy minimum ${policy.minimumStrength?.encryption ?? ''}`);
  }
  const keyring = options.keyring;
  if (keyring === undefined) throw new EnvelopeError('NOT_A_RECIPIENT', 'an encrypted message needs a keyring to open');
  // Key reuse: the same RecipientInfos bytes always unwrap to the same key, so a message of a
  // known generation skips reading them and every asymmetric operation.
  const recipientInfos = bytesOf(buf, view.recipientInfos);
  const cached = keyring.cachedContentKey(recipientInfos);
  const cek = cached ?? unwrapContentKey(readRecipientInfos(buf, view.recipientInfos, MAX_RECIPIENTS), keyring, policy);
  const plaintext = decryptContent(view, cek);

  // Privacy and Confidentiality look alike from outside; the content tells them apart: a
  // SignedData inside is Privacy, unless the policy says this queue is Confidentiality (whose
  // payload may itself be anything, a CMS message included).
  const inner = expected === 'confidentiality' ? undefined : innerSignedData(plaintext, expected === 'privacy');
  if (inner === undefined) {
    if (expected !== undefined && expected !== 'confidentiality') throw qopMismatch('confidentiality', expected);
    // Only keys that authenticated content are cached (see Keyring.contentKeys).
    if (cached === undefined) keyring.rememberContentKey(recipientInfos, cek);
    return opened(plaintext, 'confidentiality', undefined, undefined, undefined, undefined, view.encryption);
  }
  return openSigned(inner, options, policy, clock, 'privacy', view.encryption);
}
