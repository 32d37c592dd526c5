// The qshield CA: a self-signed root and an issuing intermediate for one trust domain, and
// issuance of X.509-SVIDs from a public key or a verified CSR, by the SPIFFE X509-SVID rules.
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { certificateToPem, factsOf, publicKeyOf, toCertificate, type CertificateInput } from './certificates.ts';
import { verifyCsr } from './csr.ts';
import { DEFAULT_KEY_TYPE, generateKeyPair, keyTypeOf, keyTypeOfSpki, keysMatch, type KeyPair, type KeyType } from './keys.ts';
import { OID } from './oids.ts';
import { parseSpiffeId, parseTrustDomain, trustDomainId, tryParseSpiffeId, type SpiffeId } from './spiffe-id.ts';
import { createTrustBundle, type TrustBundle } from './trust-bundle.ts';
import { buildCertificate, keyIdentifier, randomSerial, spkiDer, type NameAttribute } from './x509-builder.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Validity defaults. Back-dating absorbs clock skew between the CA and verifiers (as Kubernetes' signer does). */
export const CA_DEFAULTS = {
  rootTtlMs: 3650 * DAY,
  intermediateTtlMs: 365 * DAY,
  svidTtlMs: HOUR,
  backdateMs: 5 * MINUTE,
} as const;

export interface CreateCaOptions {
  trustDomain: string;
  keyType?: KeyType;
  now?: Date;
  rootTtlMs?: number;
  intermediateTtlMs?: number;
  /** Pre-made keys (tests use pooled keys; generating RSA keys is slow). */
  keys?: { root?: KeyPair; intermediate?: KeyPair };
}

export interface IssueSvidRequest {
  /** The workload's id; must be in the CA's trust domain and have a path. */
  spiffeId: SpiffeId | string;
  /** The subject's public key; or give `csr` instead. */
  publicKey?: KeyObject;
  /** A PKCS#10 CSR (PEM or DER): its signature is verified and only its public key is used. */
  csr?: string | Uint8Array;
  /** Default 1 h. Capped at the intermediate's expiry. */
  ttlMs?: number;
  /** Extra DNS SANs (the URI SAN is always the SPIFFE id). */
  dnsNames?: readonly string[];
  now?: Date;
}

export interface IssuedSvid {
  readonly spiffeId: SpiffeId;
  /** The leaf, DER. */
  readonly der: Buffer;
  /** Leaf then intermediate, DER: what a workload presents. */
  readonly chainDer: readonly Buffer[];
  /** Leaf then intermediate, PEM. */
  readonly chainPem: string;
  /** Hex, uppercase, as OpenSSL prints it. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyType: KeyType;
}

function caInvalid(reason: string, message: string, cause?: unknown): AppError {
  return new AppError('ERR_CA_INVALID', message, { cause, details: { reason } });
}

function badArgument(reason: string, message: string): AppError {
  return new AppError('ERR_INVALID_ARGUMENT', message, { details: { reason } });
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS SAN: lowercase LDH labels, at most 253 characters, optionally `*.` first. */
function checkDnsName(name: string): string {
  const lower = typeof name === 'string' ? name.toLowerCase() : '';
  const labels = (lower.startsWith('*.') ? lower.slice(2) : lower).split('.');
  if (lower.length === 0 || lower.length > 253 || !labels.every((l) => DNS_LABEL.test(l))) {
    throw badArgument('dns-name', `${JSON.stringify(String(name).slice(0, 80))} is not a valid DNS name`);
  }
  return lower;
}

/** A serial's hex form as OpenSSL and X509Certificate print it: uppercase, no leading zero octets. */
function serialHex(magnitude: Uint8Array): string {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  return Buffer.from(magnitude.subarray(i)).toString('hex').toUpperCase();
}

/** The public half of a key object (a private key carries it). */
function publicHalf(key: KeyObject): KeyObject {
  if (key.type === 'public') return key;
  if (key.type === 'private') return createPublicKey(key);
  throw badArgument('key', 'a secret key cannot be certified');
}

function shortId(key: KeyObject): string {
  return keyIdentifier(key).subarray(0, 4).toString('hex');
}

function caSubject(trustDomain: string, role: 'root' | 'intermediate', key: KeyObject): NameAttribute[] {
  return [['O', 'qshield'], ['OU', trustDomain.slice(0, 64)], ['CN', `${role} ${shortId(key)}`]];
}

function ttl(value: number | undefined, fallback: number, what: string): number {
  const ms = value ?? fallback;
  if (!Number.isSafeInteger(ms) || ms < 1000) throw badArgument('ttl', `${what} must be a whole number of milliseconds, at least 1 s`);
  return ms;
}

export class CertificateAuthority {
  readonly trustDomain: string;
  readonly keyType: KeyType;
  readonly root: X509Certificate;
  readonly intermediate: X509Certificate;
  /** Present when the CA holds its root key (needed only to make intermediates). */
  readonly rootKey: KeyObject | undefined;
  readonly intermediateKey: KeyObject;
  /** Every root the trust domain trusts; the CA's own root among them. */
  readonly bundle: TrustBundle;
  readonly #issuerDer: Buffer;
  readonly #authorityKeyId: Buffer;
  readonly #chainTail: Buffer;
  readonly #chainTailPem: string;

  private constructor(parts: { trustDomain: string; root: X509Certificate; intermediate: X509Certificate; rootKey: KeyObject | undefined; intermediateKey: KeyObject; bundle: TrustBundle }) {
    this.trustDomain = parts.trustDomain;
    this.root = parts.root;
    this.intermediate = parts.intermediate;
    this.rootKey = parts.rootKey;
    this.intermediateKey = parts.intermediateKey;
    this.bundle = parts.bundle;
    this.keyType = keyTypeOf(parts.intermediateKey);
    const facts = factsOf(parts.intermediate);
    this.#issuerDer = facts.subjectDer;
    this.#authorityKeyId = facts.subjectKeyId ?? keyIdentifier(parts.intermediate.publicKey);
    this.#chainTail = parts.intermediate.raw;
    this.#chainTailPem = certificateToPem(parts.intermediate.raw);
    Object.freeze(this);
  }

  /**
   * Makes a new CA: a self-signed root (path length 1) and an intermediate it signs (path
   * length 0), both carrying `spiffe://<td>`, keyCertSign and cRLSign.
   * @throws AppError ERR_SPIFFE_ID_INVALID (bad trust domain), ERR_INVALID_ARGUMENT (TTLs), ERR_KEY_UNSUPPORTED.
   */
  static async create(options: CreateCaOptions): Promise<CertificateAuthority> {
    const keyType = options.keyType ?? DEFAULT_KEY_TYPE;
    const [root, intermediate] = await Promise.all([
      options.keys?.root ?? generateKeyPair(keyType),
      options.keys?.intermediate ?? generateKeyPair(keyType),
    ]);
    return CertificateAuthority.createWithKeys({ ...options, keys: { root, intermediate } });
  }

  /**
   * Like `create`, synchronously, from key pairs at hand (tests pass pooled keys).
   * @throws as `create`.
   */
  static createWithKeys(options: Omit<CreateCaOptions, 'keys' | 'keyType'> & { keys: { root: KeyPair; intermediate: KeyPair } }): CertificateAuthority {
    const trustDomain = parseTrustDomain(options.trustDomain);
    const now = options.now ?? new Date();
    const rootTtl = ttl(options.rootTtlMs, CA_DEFAULTS.rootTtlMs, 'the root TTL');
    const intermediateTtl = ttl(options.intermediateTtlMs, CA_DEFAULTS.intermediateTtlMs, 'the intermediate TTL');
    const { root: rootPair, intermediate: interPair } = options.keys;
    keyTypeOf(rootPair.privateKey);
    keyTypeOf(interPair.privateKey);
    const uri = trustDomainId(trustDomain).toString();
    const notBefore = new Date(now.getTime() - CA_DEFAULTS.backdateMs);
    const rootNotAfter = new Date(now.getTime() + rootTtl);
    const rootSubject = caSubject(trustDomain, 'root', rootPair.publicKey);
    const root = new X509Certificate(buildCertificate({
      subject: rootSubject,
      notBefore,
      notAfter: rootNotAfter,
      publicKey: rootPair.publicKey,
      basicConstraints: { ca: true, pathLen: 1 },
      keyUsage: ['keyCertSign', 'cRLSign'],
      uris: [uri],
    }, rootPair.privateKey));
    const rootFacts = factsOf(root);
    const intermediate = new X509Certificate(buildCertificate({
      subject: caSubject(trustDomain, 'intermediate', interPair.publicKey),
      issuerDer: rootFacts.subjectDer,
      notBefore,
      notAfter: new Date(Math.min(now.getTime() + intermediateTtl, rootNotAfter.getTime())),
      publicKey: interPair.publicKey,
      basicConstraints: { ca: true, pathLen: 0 },
      keyUsage: ['keyCertSign', 'cRLSign'],
      uris: [uri],
      authorityKeyId: rootFacts.subjectKeyId,
    }, rootPair.privateKey));
    return new CertificateAuthority({
      trustDomain, root, intermediate, rootKey: rootPair.privateKey, intermediateKey: interPair.privateKey,
      bundle: createTrustBundle(trustDomain, [root]),
    });
  }

  /**
   * A CA from existing material (a CA directory, a Secret). Checks that the parts fit: the
   * root is a self-signed CA of the trust domain, the intermediate a CA it signed, the keys
   * those certificates' keys, and the bundle holds the root.
   * @throws AppError ERR_CA_INVALID (`details.reason`), ERR_CERT_MALFORMED, ERR_KEY_UNSUPPORTED.
   */
  static fromParts(parts: { root: CertificateInput; intermediate: CertificateInput; intermediateKey: KeyObject; rootKey?: KeyObject; bundle?: TrustBundle }): CertificateAuthority {
    const root = toCertificate(parts.root);
    const intermediate = toCertificate(parts.intermediate);
    const rootKey = publicKeyOf(root);
    const interKey = publicKeyOf(intermediate);
    const rootFacts = factsOf(root);
    const interFacts = factsOf(intermediate);
    const rootIds = rootFacts.uris.map((u) => tryParseSpiffeId(u)).filter((id) => id?.isTrustDomainId);
    if (rootIds.length !== 1) throw caInvalid('trust-domain', 'the root certificate carries no trust domain SPIFFE id (spiffe://<td>)');
    const trustDomain = (rootIds[0] as SpiffeId).trustDomain;
    if (!rootFacts.basicConstraints?.ca || !root.verify(rootKey)) throw caInvalid('root', 'the root certificate is not a self-signed CA certificate');
    if (!interFacts.basicConstraints?.ca || !interFacts.keyUsage?.usages.has('keyCertSign')) throw caInvalid('intermediate', 'the intermediate certificate is not a CA certificate');
    if (!interFacts.issuerDer.equals(rootFacts.subjectDer) || !intermediate.verify(rootKey)) throw caInvalid('intermediate', 'the intermediate certificate was not issued by the root');
    if (!interFacts.uris.every((u) => tryParseSpiffeId(u)?.equals(`spiffe://${trustDomain}`))) throw caInvalid('trust-domain', 'the intermediate belongs to another trust domain');
    if (!keysMatch(parts.intermediateKey, interKey)) throw caInvalid('key-mismatch', 'the intermediate key does not belong to the intermediate certificate');
    if (parts.rootKey && !keysMatch(parts.rootKey, rootKey)) throw caInvalid('key-mismatch', 'the root key does not belong to the root certificate');
    const bundle = parts.bundle ?? createTrustBundle(trustDomain, [root]);
    if (bundle.trustDomain !== trustDomain) throw caInvalid('trust-domain', `the bundle is for "${bundle.trustDomain}", the CA for "${trustDomain}"`);
    if (!bundle.anchors.some((a) => a.cert.raw.equals(root.raw))) throw caInvalid('bundle', 'the trust bundle does not hold the CA root');
    return new CertificateAuthority({ trustDomain, root, intermediate, rootKey: parts.rootKey, intermediateKey: parts.intermediateKey, bundle });
  }

  /**
   * Issues an X.509-SVID: exactly one URI SAN (the SPIFFE id), optional DNS SANs, key usage
   * critical with digitalSignature (+ keyAgreement for EC, keyEncipherment for RSA), EKU
   * serverAuth + clientAuth, cA=false, a random 128-bit serial, back-dated 5 minutes.
   * @throws AppError ERR_SPIFFE_ID_INVALID, ERR_CA_WRONG_TRUST_DOMAIN, ERR_INVALID_ARGUMENT
   *   (key/CSR both or neither, TTL, DNS name), ERR_CSR_MALFORMED, ERR_CSR_SIGNATURE_INVALID,
   *   ERR_PEM_INVALID, ERR_KEY_UNSUPPORTED, ERR_CA_EXPIRED.
   */
  issue(request: IssueSvidRequest): IssuedSvid {
    const spiffeId = typeof request.spiffeId === 'string' ? parseSpiffeId(request.spiffeId, { workload: true }) : parseSpiffeId(request.spiffeId.toString(), { workload: true });
    if (spiffeId.trustDomain !== this.trustDomain) {
      throw new AppError('ERR_CA_WRONG_TRUST_DOMAIN', `this CA issues for trust domain "${this.trustDomain}", not "${spiffeId.trustDomain}"`, { details: { spiffeId: spiffeId.toString(), trustDomain: this.trustDomain } });
    }
    if ((request.publicKey === undefined) === (request.csr === undefined)) throw badArgument('key', 'give exactly one of a public key or a CSR');
    const spki = request.csr !== undefined ? verifyCsr(request.csr).spki : spkiDer(publicHalf(request.publicKey as KeyObject));
    const keyType = keyTypeOfSpki(spki);
    const dnsNames = (request.dnsNames ?? []).map(checkDnsName);
    const now = (request.now ?? new Date()).getTime();
    const caNotAfter = this.intermediate.validToDate.getTime();
    if (caNotAfter <= now) {
      throw new AppError('ERR_CA_EXPIRED', `the issuing intermediate expired at ${this.intermediate.validToDate.toISOString()}`, { details: { notAfter: this.intermediate.validToDate.toISOString() } });
    }
    const notBefore = new Date(now - CA_DEFAULTS.backdateMs);
    const notAfter = new Date(Math.min(now + ttl(request.ttlMs, CA_DEFAULTS.svidTtlMs, 'the SVID TTL'), caNotAfter));
    const lastSegment = spiffeId.segments.at(-1) as string;
    const serial = randomSerial();
    const der = buildCertificate({
      serialNumber: serial,
      subject: [['O', 'qshield'], ['CN', lastSegment.slice(0, 64)]],
      issuerDer: this.#issuerDer,
      notBefore,
      notAfter,
      publicKey: spki,
      basicConstraints: { ca: false },
      keyUsage: keyType === 'ec-p256' ? ['digitalSignature', 'keyAgreement'] : ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: [OID.serverAuth, OID.clientAuth],
      uris: [spiffeId.toString()],
      dnsNames,
      authorityKeyId: this.#authorityKeyId,
    }, this.intermediateKey);
    return Object.freeze({
      spiffeId,
      der,
      chainDer: Object.freeze([der, this.#chainTail]),
      chainPem: certificateToPem(der) + this.#chainTailPem,
      serialNumber: serialHex(serial),
      notBefore: new Date(Math.floor(notBefore.getTime() / 1000) * 1000),
      notAfter: new Date(Math.floor(notAfter.getTime() / 1000) * 1000),
      keyType,
    });
  }
}
