// The CA directory: a stable on-disk form of a qshield CA (docs/ca-directory.md), written by
// `qshield ca init`, read by `qshield svid issue` / `bundle` and by the operator.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors/index.ts';
import { CertificateAuthority } from './ca.ts';
import { certificateToPem, parseCertificatesPem } from './certificates.ts';
import { loadPrivateKey, privateKeyToPem } from './keys.ts';
import { parseTrustBundlePem } from './trust-bundle.ts';

/** File names inside a CA directory. Part of the documented format: never rename. */
export const CA_FILES = {
  manifest: 'ca.json',
  rootCert: 'root.crt',
  rootKey: 'root.key',
  intermediateCert: 'intermediate.crt',
  intermediateKey: 'intermediate.key',
  bundle: 'bundle.pem',
} as const;

export const CA_FORMAT = 'qshield-ca/v1';

export interface CaManifest {
  format: typeof CA_FORMAT;
  trustDomain: string;
  keyType: string;
  createdAt: string;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Writes a CA into `dir` (created with mode 0700 when absent): certificates 0644, keys 0600,
 * the manifest last, so a directory with a manifest is complete. Never overwrites.
 * @throws AppError ERR_CA_EXISTS when any CA file is already there; ERR_FILE_IO on other failures.
 */
export async function writeCaDirectory(dir: string, ca: CertificateAuthority, now: Date = new Date()): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot create the CA directory ${dir}`, { cause: err, details: { path: dir } });
  }
  const manifest: CaManifest = { format: CA_FORMAT, trustDomain: ca.trustDomain, keyType: ca.keyType, createdAt: now.toISOString() };
  const files: [name: string, data: string, mode: number][] = [
    [CA_FILES.rootCert, certificateToPem(ca.root), 0o644],
    [CA_FILES.intermediateCert, certificateToPem(ca.intermediate), 0o644],
    [CA_FILES.bundle, ca.bundle.toPem(), 0o644],
    [CA_FILES.intermediateKey, privateKeyToPem(ca.intermediateKey), 0o600],
    ...(ca.rootKey ? [[CA_FILES.rootKey, privateKeyToPem(ca.rootKey), 0o600] as [string, string, number]] : []),
    [CA_FILES.manifest, `${JSON.stringify(manifest, null, 2)}\n`, 0o644],
  ];
  for (const [name, data, mode] of files) {
    const path = join(dir, name);
    try {
      // 'wx': create, fail if it exists. The mode applies at creation, before any byte is written.
      await writeFile(path, data, { mode, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new AppError('ERR_CA_EXISTS', `${path} already exists; qshield never overwrites a CA (use an empty directory)`, { cause: err, details: { path } });
      }
      throw new AppError('ERR_FILE_IO', `cannot write ${path}`, { cause: err, details: { path } });
    }
  }
}

async function readText(dir: string, name: string, required: boolean): Promise<string | undefined> {
  const path = join(dir, name);
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err) && !required) return undefined;
    const message = isMissing(err) ? `${path} is missing: ${dir} is not a complete qshield CA directory (run qshield ca init)` : `cannot read ${path}`;
    throw new AppError('ERR_CA_NOT_FOUND', message, { cause: err, details: { path } });
  }
}

/**
 * Reads a CA directory and checks that its parts fit together. `root.key` may be absent (a
 * root kept offline); issuing needs only the intermediate.
 * @throws AppError ERR_CA_NOT_FOUND (missing or unreadable file), ERR_CA_INVALID (manifest or
 *   material that does not fit; `details.reason`), ERR_PEM_INVALID, ERR_CERT_MALFORMED,
 *   ERR_KEY_INVALID, ERR_BUNDLE_INVALID.
 */
export async function loadCaDirectory(dir: string): Promise<CertificateAuthority> {
  const manifestText = await readText(dir, CA_FILES.manifest, true) as string;
  let manifest: Partial<CaManifest>;
  try {
    manifest = JSON.parse(manifestText) as Partial<CaManifest>;
  } catch (err) {
    throw new AppError('ERR_CA_INVALID', `${join(dir, CA_FILES.manifest)} is not valid JSON`, { cause: err, details: { reason: 'format' } });
  }
  if (manifest?.format !== CA_FORMAT) {
    throw new AppError('ERR_CA_INVALID', `${join(dir, CA_FILES.manifest)} has format ${JSON.stringify(manifest?.format)}; this qshield reads ${CA_FORMAT}`, { details: { reason: 'format' } });
  }
  const [rootPem, interPem, interKeyPem, rootKeyPem, bundlePem] = await Promise.all([
    readText(dir, CA_FILES.rootCert, true),
    readText(dir, CA_FILES.intermediateCert, true),
    readText(dir, CA_FILES.intermediateKey, true),
    readText(dir, CA_FILES.rootKey, false),
    readText(dir, CA_FILES.bundle, true),
  ]);
  const [root] = parseCertificatesPem(rootPem as string);
  const [intermediate] = parseCertificatesPem(interPem as string);
  const ca = CertificateAuthority.fromParts({
    root: root!,
    intermediate: intermediate!,
    intermediateKey: loadPrivateKey(interKeyPem as string),
    ...(rootKeyPem === undefined ? {} : { rootKey: loadPrivateKey(rootKeyPem) }),
    bundle: parseTrustBundlePem(bundlePem as string, manifest.trustDomain ? { trustDomain: manifest.trustDomain } : {}),
  });
  if (manifest.trustDomain !== ca.trustDomain) {
    throw new AppError('ERR_CA_INVALID', `the manifest names trust domain ${JSON.stringify(manifest.trustDomain)}, the root ${ca.trustDomain}`, { details: { reason: 'trust-domain' } });
  }
  return ca;
}
