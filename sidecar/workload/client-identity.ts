// The workload's own transport identity: its X.509-SVID chain, key and trust bundle, read from
// files and checked together (lib/identity's loadOwnSvid), so that a rotation is taken as a
// whole or not at all. The gateway client presents it on every new connection.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AppError } from '../../lib/errors/index.ts';
import { certificateFingerprint, loadOwnSvid, parseCertificatesPem, parseTrustBundle, tryParseSpiffeId, type OwnSvid, type TrustBundle } from '../../lib/identity/index.ts';

export interface IdentityFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly trustBundleFile: string;
}

export interface IdentityFileSet {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly bundle: Buffer;
}

export interface ClientIdentity {
  readonly svid: OwnSvid;
  readonly spiffeId: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly bundle: TrustBundle;
  /** The bundle's roots as PEM: what the TLS client trusts. */
  readonly bundlePem: string;
  /** SHA-256 (hex) of the leaf. */
  readonly fingerprint: string;
  /** SHA-256 (hex) of the trust bundle file. */
  readonly bundleSha256: string;
}

function refuse(kind: 'files-unreadable' | 'key-mismatch' | 'identity-invalid', subject: 'svid' | 'trust-bundle', message: string, cause?: unknown): AppError {
  return new AppError('ERR_WORKLOAD_IDENTITY_INVALID', message, {
    ...(cause === undefined ? {} : { cause }),
    details: { kind, subject, ...(cause instanceof AppError ? { errorCode: cause.code } : {}) },
  });
}

/**
 * Reads the three files.
 * @throws AppError ERR_WORKLOAD_IDENTITY_INVALID (`details.kind` = `files-unreadable`).
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

/**
 * Checks a file set as one client identity.
 * @throws AppError ERR_WORKLOAD_IDENTITY_INVALID: `details.kind` says why (`identity-invalid`,
 *   `key-mismatch`), `details.subject` which file, `details.errorCode` the identity code behind it.
 */
export function buildClientIdentity(files: IdentityFileSet, options: { now?: number } = {}): ClientIdentity {
  const certPem = files.cert.toString('utf8');
  let trustDomain: string | undefined;
  try {
    const leaf = parseCertificatesPem(certPem)[0];
    const uri = /URI:([^,\s]+)/.exec(leaf?.subjectAltName ?? '')?.[1];
    trustDomain = uri === undefined ? undefined : tryParseSpiffeId(uri)?.trustDomain;
  } catch (err) {
    throw refuse('identity-invalid', 'svid', 'the SVID file holds no readable certificate chain', err);
  }
  if (trustDomain === undefined) throw refuse('identity-invalid', 'svid', 'the SVID carries no SPIFFE id');
  let bundle: TrustBundle;
  try {
    bundle = parseTrustBundle(files.bundle.toString('utf8'), { trustDomain });
  } catch (err) {
    throw refuse('identity-invalid', 'trust-bundle', `the trust bundle is invalid: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  let svid: OwnSvid;
  try {
    svid = loadOwnSvid(certPem, files.key.toString('utf8'), bundle, { purpose: 'client', ...(options.now === undefined ? {} : { now: options.now }) });
  } catch (err) {
    const mismatch = err instanceof AppError && err.code === 'ERR_SVID_KEY_MISMATCH';
    throw refuse(mismatch ? 'key-mismatch' : 'identity-invalid', 'svid',
      mismatch ? 'the private key does not belong to the SVID (a rotation may be half-written)' : `the workload's SVID is not valid under the trust bundle: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  return Object.freeze({
    svid,
    spiffeId: svid.spiffeId.toString(),
    certPem,
    keyPem: files.key.toString('utf8'),
    bundle,
    bundlePem: bundle.toPem(),
    fingerprint: certificateFingerprint(svid.chain[0] as NonNullable<OwnSvid['chain'][0]>),
    bundleSha256: createHash('sha256').update(files.bundle).digest('hex'),
  });
}

/** Whether two file sets have the same contents. */
export function sameIdentityFiles(a: IdentityFileSet, b: IdentityFileSet): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && a.bundle.equals(b.bundle);
}
