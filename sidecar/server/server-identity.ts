// The gateway's own identity: its X.509-SVID chain, private key and the trust bundle, read from
// files and checked together (the key matches the leaf, the SVID is valid for TLS server use
// under the bundle), so that a rotation is taken as a whole or not at all.
import { createHash, type X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError } from '../../lib/errors/index.ts';
import {
  certificateFingerprint, keysMatch, loadPrivateKey, parseCertificatesPem, parseTrustBundle, tryParseSpiffeId,
  validateSvid, type TrustBundle, type ValidatedSvid,
} from '../../lib/identity/index.ts';

export interface IdentityFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly trustBundleFile: string;
}

/** File contents as read, and their SHA-256 (what the poller compares). */
export interface IdentityFileSet {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly bundle: Buffer;
}

export interface ServerIdentity {
  readonly certPem: string;
  readonly keyPem: string;
  /** The bundle's roots as PEM (also for JWKS bundles): the TLS context's `ca`. */
  readonly bundlePem: string;
  readonly bundle: TrustBundle;
  readonly svid: ValidatedSvid;
  /** SHA-256 (hex) of the leaf certificate. */
  readonly fingerprint: string;
  /** SHA-256 (hex) of the trust bundle file. */
  readonly bundleSha256: string;
}

/** Why an identity was refused, in the terms of the identity-rotation-failed event. */
export type IdentityProblemKind = 'files-unreadable' | 'key-mismatch' | 'identity-invalid';

function refuse(kind: IdentityProblemKind, subject: 'svid' | 'trust-bundle', message: string, cause?: unknown): AppError {
  const code = cause instanceof AppError ? cause.code : undefined;
  return new AppError('ERR_GATEWAY_IDENTITY_INVALID', message, {
    ...(cause === undefined ? {} : { cause }),
    details: { kind, subject, problems: [message], ...(code === undefined ? {} : { errorCode: code }) },
  });
}

/**
 * Reads the three files.
 * @throws AppError ERR_GATEWAY_IDENTITY_INVALID (`details.kind` = `files-unreadable`).
 */
export async function readIdentityFiles(files: IdentityFiles): Promise<IdentityFileSet> {
  const read = async (path: string, subject: 'svid' | 'trust-bundle') => {
    try {
      return await readFile(path);
    } catch (err) {
      throw refuse('files-unreadable', subject, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
    }
  };
  const [cert, key, bundle] = await Promise.all([read(files.certificateFile, 'svid'), read(files.keyFile, 'svid'), read(files.trustBundleFile, 'trust-bundle')]);
  return { cert, key, bundle };
}

function trustDomainOf(leaf: X509Certificate): string | undefined {
  const uri = /URI:([^,\s]+)/.exec(leaf.subjectAltName ?? '')?.[1];
  return uri === undefined ? undefined : tryParseSpiffeId(uri)?.trustDomain;
}

/**
 * Checks a file set as one identity.
 * @param expectedTrustDomain the policy bundle's trust domain, when known.
 * @throws AppError ERR_GATEWAY_IDENTITY_INVALID: `details.kind` says why (`identity-invalid`,
 *   `key-mismatch`), `details.subject` which file, `details.errorCode` the identity code behind it.
 */
export function buildServerIdentity(files: IdentityFileSet, options: { now?: number; expectedTrustDomain?: string } = {}): ServerIdentity {
  let chain: X509Certificate[];
  try {
    chain = parseCertificatesPem(files.cert.toString('utf8'));
  } catch (err) {
    throw refuse('identity-invalid', 'svid', 'the SVID file holds no readable certificate chain', err);
  }
  const leaf = chain[0];
  if (leaf === undefined) throw refuse('identity-invalid', 'svid', 'the SVID file holds no certificate');
  const trustDomain = options.expectedTrustDomain ?? trustDomainOf(leaf);
  if (trustDomain === undefined) throw refuse('identity-invalid', 'svid', 'the SVID carries no SPIFFE id');
  let bundle: TrustBundle;
  try {
    bundle = parseTrustBundle(files.bundle.toString('utf8'), { trustDomain });
  } catch (err) {
    throw refuse('identity-invalid', 'trust-bundle', `the trust bundle is invalid: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  let svid: ValidatedSvid;
  try {
    svid = validateSvid(chain, bundle, { purpose: 'server', ...(options.now === undefined ? {} : { now: options.now }) });
  } catch (err) {
    throw refuse('identity-invalid', 'svid', `the gateway's SVID is not valid under the trust bundle: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  let matches: boolean;
  try {
    matches = keysMatch(loadPrivateKey(files.key.toString('utf8')), leaf.publicKey);
  } catch (err) {
    throw refuse('identity-invalid', 'svid', `the key file is not a readable private key: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (!matches) throw refuse('key-mismatch', 'svid', 'the private key does not belong to the SVID (a rotation may be half-written)');
  return {
    certPem: files.cert.toString('utf8'),
    keyPem: files.key.toString('utf8'),
    bundlePem: bundle.toPem(),
    bundle,
    svid,
    fingerprint: certificateFingerprint(leaf),
    bundleSha256: createHash('sha256').update(files.bundle).digest('hex'),
  };
}

/** Whether two file sets have the same contents. */
export function sameFiles(a: IdentityFileSet, b: IdentityFileSet): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && a.bundle.equals(b.bundle);
}
