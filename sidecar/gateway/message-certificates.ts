// The message certificates of the workloads that receive protected messages: public
// certificates only, from a mounted directory (docs/message-keyring.md, "Publishing
// certificates"). The gateway hands the matching ones to senders' sidecars with each protection
// policy, so that a sender encrypts for the newest generation of every recipient.
import { createHash, type X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../lib/errors/index.ts';
import {
  certificateFingerprint, certificateToPem, compileSpiffePattern, parseCertificatesPem, validateSvid, type TrustBundle,
} from '../../lib/identity/index.ts';

/** Files read: PEM certificate chains, leaf first. */
const CERT_FILE = /^[^.].*\.(crt|pem)$/;
const MAX_FILES = 10_000;
const MAX_FILE_BYTES = 256 * 1024;

/** A recipient's message certificate as handed to sidecars. */
export interface RecipientCertificate {
  readonly spiffeId: string;
  /** Leaf then intermediates, PEM. */
  readonly chainPem: string;
  /** SHA-256 (hex) of the leaf. */
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface MessageCertificateFiles {
  readonly files: ReadonlyMap<string, Buffer>;
  readonly digest: string;
}

/** A problem with one file: the file is left out, the others are used. */
export interface SkippedCertificate {
  readonly file: string;
  readonly reason: string;
}

/** File names in the order generations are numbered: `x-gen-2.crt` before `x-gen-10.crt`. */
const byFileName = new Intl.Collator('en', { numeric: true }).compare;

/**
 * Whether `c` is the newer generation of the two. X.509 validity has whole seconds, so two
 * generations issued within one second start together: then the one that ends later is newer,
 * and on a full tie the later file (certificates are kept in file-name order, `byFileName`).
 */
function isNewerGeneration(c: RecipientCertificate, best: RecipientCertificate): boolean {
  const start = c.notBefore.getTime() - best.notBefore.getTime();
  if (start !== 0) return start > 0;
  return c.notAfter.getTime() >= best.notAfter.getTime();
}

/**
 * Reads the certificate files of the directory.
 * @throws AppError ERR_FILE_IO when the directory cannot be read.
 */
export async function readMessageCertificateFiles(dir: string): Promise<MessageCertificateFiles> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => CERT_FILE.test(n)).sort(byFileName).slice(0, MAX_FILES);
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read the message certificate directory ${dir}`, { cause: err, details: { path: dir } });
  }
  const hash = createHash('sha256');
  const files = new Map<string, Buffer>();
  for (const name of names) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, name));
    } catch {
      continue; // removed between readdir and read: the next poll sees the directory as it is
    }
    if (bytes.length > MAX_FILE_BYTES) continue;
    files.set(name, bytes);
    hash.update(`${name}\u0000`).update(createHash('sha256').update(bytes).digest());
  }
  return { files, digest: hash.digest('hex') };
}

export class MessageCertificates {
  readonly digest: string;
  readonly skipped: readonly SkippedCertificate[];
  readonly #bySpiffeId: ReadonlyMap<string, readonly RecipientCertificate[]>;

  constructor(byId: ReadonlyMap<string, readonly RecipientCertificate[]>, digest: string, skipped: readonly SkippedCertificate[]) {
    this.#bySpiffeId = byId;
    this.digest = digest;
    this.skipped = skipped;
  }

  /** No certificates at all (no directory configured). */
  static empty(): MessageCertificates {
    return new MessageCertificates(new Map(), '', []);
  }

  /** How many certificates are held. */
  get size(): number {
    let n = 0;
    for (const list of this.#bySpiffeId.values()) n += list.length;
    return n;
  }

  /**
   * The certificate to encrypt for, per SPIFFE id that matches one of `patterns`: of its
   * certificates valid at `now`, the one issued last (the newest generation).
   */
  forRecipients(patterns: readonly string[], now = Date.now()): RecipientCertificate[] {
    const compiled = patterns.map((p) => compileSpiffePattern(p));
    const out: RecipientCertificate[] = [];
    for (const [id, list] of this.#bySpiffeId) {
      if (!compiled.some((p) => p.matches(id))) continue;
      let best: RecipientCertificate | undefined;
      for (const c of list) {
        if (c.notBefore.getTime() > now || c.notAfter.getTime() < now) continue;
        if (best === undefined || isNewerGeneration(c, best)) best = c;
      }
      if (best !== undefined) out.push(best);
    }
    return out.sort((a, b) => (a.spiffeId < b.spiffeId ? -1 : a.spiffeId > b.spiffeId ? 1 : 0));
  }
}

/**
 * Checks each file as a message certificate chain of the trust bundle (an X.509-SVID valid at
 * `now`, or from its own start when that is later). Files that fail are left out and listed in
 * `skipped`.
 */
export function buildMessageCertificates(files: MessageCertificateFiles, bundle: TrustBundle, now = Date.now()): MessageCertificates {
  const byId = new Map<string, RecipientCertificate[]>();
  const skipped: SkippedCertificate[] = [];
  for (const [file, bytes] of files.files) {
    let chain: X509Certificate[];
    try {
      chain = parseCertificatesPem(bytes.toString('utf8'));
      const first = chain[0];
      if (first !== undefined && first.validToDate.getTime() < now) {
        skipped.push({ file, reason: 'expired' });
        continue;
      }
      // A generation published ahead of its validity (so that recipients hold the key before
      // senders use it) is checked as of its start, and used from then on.
      const at = Math.max(now, first?.validFromDate.getTime() ?? now);
      const validated = validateSvid(chain, bundle, { purpose: 'both', now: at });
      const spiffeId = validated.spiffeId.toString();
      const leaf = validated.leaf;
      const entry: RecipientCertificate = Object.freeze({
        spiffeId,
        chainPem: chain.map((c) => certificateToPem(c.raw)).join(''),
        fingerprint: certificateFingerprint(leaf),
        notBefore: leaf.validFromDate,
        notAfter: leaf.validToDate,
      });
      const list = byId.get(spiffeId) ?? [];
      if (!list.some((c) => c.fingerprint === entry.fingerprint)) list.push(entry);
      byId.set(spiffeId, list);
    } catch (err) {
      skipped.push({ file, reason: err instanceof AppError ? `${err.code}: ${err.message}` : String(err) });
    }
  }
  return new MessageCertificates(byId, files.digest, skipped);
}
