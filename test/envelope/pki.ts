// Test certificates for the envelope tests, made with node:crypto: a root and an intermediate
// CA of one trust domain, SPIFFE leaves of any key type and validity window, and a stranger CA.
// Keys are generated once per process and reused (key generation dominates test time).
import { createHash, createPublicKey, generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { ctx, encode, integer, octets, oid, prim, seq, set, time, utf8, type DerPart } from '../../lib/envelope/der-writer.ts';

export type TestKeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-1024';

export interface TestIdentity {
  readonly cert: X509Certificate;
  readonly key: KeyObject;
  /** Leaf first, then the issuing intermediate (not the root). */
  readonly chain: readonly X509Certificate[];
  readonly spiffeId: string;
}

export interface TestCa {
  readonly cert: X509Certificate;
  readonly key: KeyObject;
}

export const TRUST_DOMAIN = 'td.example';
const DAY = 86_400_000;

const keyPool = new Map<string, KeyObject[]>();

/** The `n`-th cached private key of a type (same n, same key, within one process). */
export function testKey(type: TestKeyType, n = 0): KeyObject {
  let pool = keyPool.get(type);
  if (pool === undefined) keyPool.set(type, (pool = []));
  while (pool.length <= n) {
    const pair = type.startsWith('ec')
      ? generateKeyPairSync('ec', { namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: type === 'rsa-1024' ? 1024 : 2048 });
    pool.push(pair.privateKey);
  }
  return pool[n] as KeyObject;
}

let serial = 1000;

const name = (cn: string): DerPart => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ext = (id: string, critical: boolean, value: DerPart): DerPart =>
  critical ? seq(oid(id), prim(0x01, Buffer.from([0xff])), octets(encode(value))) : seq(oid(id), octets(encode(value)));
const bits = (byte: number): DerPart => {
  let unused = 0;
  while (unused < 7 && ((byte >> unused) & 1) === 0) unused++;
  return prim(0x03, Buffer.from([unused, byte]));
};

interface CertSpec {
  subject: string;
  key: KeyObject;
  issuer: { name: string; key: KeyObject; publicKey: KeyObject };
  ca: boolean;
  uri?: string;
  notBefore: Date;
  notAfter: Date;
  keyUsage: number;
}

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

function makeCert(spec: CertSpec): X509Certificate {
  const publicKey = createPublicKey(spec.key);
  const issuerIsEc = spec.issuer.key.asymmetricKeyType === 'ec';
  const sigAlg = issuerIsEc ? seq(oid('1.2.840.10045.4.3.2')) : seq(oid('1.2.840.113549.1.1.11'), prim(0x05, Buffer.alloc(0)));
  const exts: DerPart[] = [
    ext('2.5.29.19', true, spec.ca ? seq(prim(0x01, Buffer.from([0xff]))) : seq()),
    ext('2.5.29.15', true, bits(spec.keyUsage)),
    ext('2.5.29.14', false, octets(keyId(publicKey))),
    ext('2.5.29.35', false, seq(prim(0x80, keyId(spec.issuer.publicKey)))),
  ];
  if (!spec.ca) exts.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))));
  if (spec.uri !== undefined) exts.push(ext('2.5.29.17', true, seq(prim(0x86, Buffer.from(spec.uri)))));
  const tbs = encode(seq(
    ctx(0, integer(2)),
    integer(serial++),
    sigAlg,
    name(spec.issuer.name),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    ctx(3, seq(...exts)),
  ));
  const signature = sign(issuerIsEc ? 'sha256' : 'sha256', tbs, spec.issuer.key);
  return new X509Certificate(encode(seq(tbs, sigAlg, prim(0x03, Buffer.concat([Buffer.of(0), signature])))));
}

const KU = { digitalSignature: 0x80, keyEncipherment: 0x20, keyAgreement: 0x08, keyCertSign: 0x04, cRLSign: 0x02 };

export interface TestPki {
  readonly root: TestCa;
  readonly intermediate: TestCa;
  /** The roots to trust (the shape open's trustBundle takes). */
  readonly bundle: { readonly roots: readonly X509Certificate[] };
  issue(options: IssueOptions): TestIdentity;
}

export interface IssueOptions {
  /** Path after the trust domain, e.g. `/ns/pay/sa/checkout`. */
  readonly path: string;
  readonly keyType?: TestKeyType;
  /** Which cached key of that type (a new n is a new key). */
  readonly keyIndex?: number;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A two-level CA named `name` with its own keys (keyIndex offsets keep CAs apart). */
export function makeTestPki(caName = 'qshield test', caKeyIndex = 0, trustDomain = TRUST_DOMAIN): TestPki {
  const now = Date.now();
  const rootKey = testKey('ec-p256', 100 + caKeyIndex * 2);
  const intKey = testKey('ec-p256', 101 + caKeyIndex * 2);
  const rootName = `${caName} root`;
  const intName = `${caName} intermediate`;
  const rootPub = createPublicKey(rootKey);
  const root = makeCert({ subject: rootName, key: rootKey, issuer: { name: rootName, key: rootKey, publicKey: rootPub }, ca: true, notBefore: new Date(now - 3650 * DAY), notAfter: new Date(now + 3650 * DAY), keyUsage: KU.keyCertSign | KU.cRLSign });
  const intermediate = makeCert({ subject: intName, key: intKey, issuer: { name: rootName, key: rootKey, publicKey: rootPub }, ca: true, notBefore: new Date(now - 3650 * DAY), notAfter: new Date(now + 3650 * DAY), keyUsage: KU.keyCertSign | KU.cRLSign });
  const intPub = createPublicKey(intKey);
  return {
    root: { cert: root, key: rootKey },
    intermediate: { cert: intermediate, key: intKey },
    bundle: { roots: [root] },
    issue(options) {
      const keyType = options.keyType ?? 'ec-p256';
      const key = testKey(keyType, options.keyIndex ?? 0);
      const spiffeId = `spiffe://${trustDomain}${options.path}`;
      const cert = makeCert({
        subject: options.path,
        key,
        issuer: { name: intName, key: intKey, publicKey: intPub },
        ca: false,
        uri: spiffeId,
        notBefore: options.notBefore ?? new Date(now - DAY),
        notAfter: options.notAfter ?? new Date(now + 30 * DAY),
        keyUsage: KU.digitalSignature | (keyType.startsWith('ec') ? KU.keyAgreement : KU.keyEncipherment),
      });
      return { cert, key, chain: [cert, intermediate], spiffeId };
    },
  };
}

/** PEM of a certificate, for files handed to openssl or the CLI. */
export function pem(cert: X509Certificate): string {
  return cert.toString();
}

/** PKCS#8 PEM of a private key. */
export function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

