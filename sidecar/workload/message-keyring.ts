// The workload's message keyring, read from a mounted directory that holds several key
// generations (docs/message-keyring.md): every generation opens, the newest valid one signs and
// is the certificate senders encrypt for. Generations are `gen-<N>.crt` + `gen-<N>.key`.
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createKeyring, createSigner, type Keyring, type Signer, type SignatureAlgorithm } from '../../lib/envelope/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import {
  certificateFingerprint, keysMatch, keyTypeOf, loadPrivateKey, parseCertificatesPem, validateSvid, type TrustBundle,
} from '../../lib/identity/index.ts';

/** `gen-<N>.crt` / `gen-<N>.key`, N a generation number without leading zeros. */
const GENERATION_FILE = /^gen-(0|[1-9][0-9]{0,8})\.(crt|key)$/;
/** Most generations a keyring directory may hold. */
export const MAX_GENERATIONS = 32;
/** Largest file read from the directory. */
const MAX_FILE_BYTES = 256 * 1024;

export interface MessageKeyGeneration {
  readonly generation: number;
  readonly spiffeId: string;
  /** Leaf first, then intermediates. */
  readonly chain: readonly X509Certificate[];
  readonly key: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 (hex) of the leaf certificate. */
  readonly fingerprint: string;
}

/** The keyring in force: what opens, what seals, and where it came from. */
export interface MessageKeyring {
  readonly spiffeId: string;
  /** Every generation, newest (highest number) first. */
  readonly generations: readonly MessageKeyGeneration[];
  /** The generation that signs: the newest one valid at load time. */
  readonly current: MessageKeyGeneration;
  /** lib/envelope's keyring over every generation (with its content-key cache). */
  readonly keyring: Keyring;
  /** SHA-256 (hex) over the names and contents of the generation files: changes with any of them. */
  readonly digest: string;
  /** The signer of the current generation for a policy's signature algorithm. */
  signer(algorithm: 'SHA256' | 'SHA384' | 'SHA512'): Signer;
}

export interface LoadMessageKeyringOptions {
  /** The workload's own SPIFFE id: every generation must carry it. */
  readonly spiffeId: string;
  /** The trust bundle the current generation must chain to. */
  readonly trustBundle: TrustBundle;
  readonly now?: number;
  /** Content keys cached for Confidentiality with key reuse (lib/envelope default when absent). */
  readonly keyCacheSize?: number;
}

/** The raw generation files of a directory, as read. */
export interface KeyringFiles {
  readonly generations: ReadonlyMap<number, { readonly cert: Buffer; readonly key: Buffer }>;
  readonly digest: string;
}

function invalid(dir: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): AppError {
  return new AppError('ERR_WORKLOAD_KEYRING_INVALID', `message keyring ${dir}: ${message}`, { details: { dir, ...details }, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Reads the generation files of a keyring directory. Other files (Kubernetes' `..data` links,
 * dot-files, anything not named `gen-<N>.crt|key`) are ignored.
 * @throws AppError ERR_FILE_IO (directory or file unreadable), ERR_WORKLOAD_KEYRING_INVALID
 *   (a certificate without its key or the reverse, too many generations, a file too large).
 */
export async function readKeyringFiles(dir: string): Promise<KeyringFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read the message keyring directory ${dir}`, { cause: err, details: { path: dir } });
  }
  const found = new Map<number, { cert?: string; key?: string }>();
  for (const name of names.sort()) {
    const m = GENERATION_FILE.exec(name);
    if (m === null) continue;
    const n = Number(m[1]);
    const entry = found.get(n) ?? {};
    if (m[2] === 'crt') entry.cert = name;
    else entry.key = name;
    found.set(n, entry);
  }
  if (found.size === 0) throw invalid(dir, 'holds no generation (gen-<N>.crt with gen-<N>.key)');
  if (found.size > MAX_GENERATIONS) throw invalid(dir, `holds ${found.size} generations; at most ${MAX_GENERATIONS}`);
  const hash = createHash('sha256');
  const generations = new Map<number, { cert: Buffer; key: Buffer }>();
  for (const n of [...found.keys()].sort((a, b) => a - b)) {
    const entry = found.get(n) as { cert?: string; key?: string };
    if (entry.cert === undefined || entry.key === undefined) {
      throw invalid(dir, `generation ${n} has ${entry.cert === undefined ? 'a key but no certificate' : 'a certificate but no key'}`, { generation: n });
    }
    const read = async (file: string): Promise<Buffer> => {
      let bytes: Buffer;
      try {
        bytes = await readFile(join(dir, file));
      } catch (err) {
        throw new AppError('ERR_FILE_IO', `cannot read ${join(dir, file)}`, { cause: err, details: { path: join(dir, file) } });
      }
      if (bytes.length > MAX_FILE_BYTES) throw invalid(dir, `${file} is larger than ${MAX_FILE_BYTES} bytes`, { generation: n });
      return bytes;
    };
    const cert = await read(entry.cert);
    const key = await read(entry.key);
    hash.update(`${n}\u0000`).update(createHash('sha256').update(cert).digest()).update(createHash('sha256').update(key).digest());
    generations.set(n, { cert, key });
  }
  return { generations, digest: hash.digest('hex') };
}

const EC_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm | undefined>> = { SHA256: 'ecdsa-sha256', SHA384: 'ecdsa-sha384', SHA512: undefined };
const RSA_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = { SHA256: 'rsa-pss-sha256', SHA384: 'rsa-pss-sha384', SHA512: 'rsa-pss-sha512' };

/**
 * Checks the files as one keyring: each key belongs to its certificate, every certificate
 * carries the workload's SPIFFE id, and the newest generation valid now is a valid X.509-SVID
 * under the trust bundle (it signs and is what senders encrypt for). Older generations may have
 * expired: they only open messages sealed for them.
 * @throws AppError ERR_WORKLOAD_KEYRING_INVALID (`details.generation` names the culprit).
 */
export function buildMessageKeyring(dir: string, files: KeyringFiles, options: LoadMessageKeyringOptions): MessageKeyring {
  const now = options.now ?? Date.now();
  const generations: MessageKeyGeneration[] = [];
  for (const [n, { cert, key }] of files.generations) {
    let chain: X509Certificate[];
    let privateKey: KeyObject;
    try {
      chain = parseCertificatesPem(cert.toString('utf8'));
      privateKey = loadPrivateKey(key.toString('utf8'));
    } catch (err) {
      throw invalid(dir, `generation ${n} is not a readable certificate chain and private key`, { generation: n }, err);
    }
    const leaf = chain[0];
    if (leaf === undefined) throw invalid(dir, `generation ${n} holds no certificate`, { generation: n });
    if (!keysMatch(privateKey, leaf.publicKey)) throw invalid(dir, `the key of generation ${n} does not belong to its certificate`, { generation: n, kind: 'key-mismatch' });
    const uri = /URI:([^,\s]+)/.exec(leaf.subjectAltName ?? '')?.[1];
    if (uri !== options.spiffeId) {
      throw invalid(dir, `generation ${n} is for ${uri ?? 'no SPIFFE id'}; this workload is ${options.spiffeId}`, { generation: n });
    }
    generations.push(Object.freeze({
      generation: n, spiffeId: uri, chain: Object.freeze(chain), key: privateKey,
      notBefore: leaf.validFromDate, notAfter: leaf.validToDate, fingerprint: certificateFingerprint(leaf),
    }));
  }
  generations.sort((a, b) => b.generation - a.generation);
  const valid = generations.filter((g) => g.notBefore.getTime() <= now && now <= g.notAfter.getTime());
  const current = valid[0];
  if (current === undefined) throw invalid(dir, 'no generation is valid now', { generations: generations.map((g) => g.generation) });
  try {
    validateSvid(current.chain, options.trustBundle, { purpose: 'both', now });
  } catch (err) {
    throw invalid(dir, `generation ${current.generation} is not a valid message certificate under the trust bundle: ${err instanceof Error ? err.message : String(err)}`, {
      generation: current.generation, ...(err instanceof AppError ? { svidCode: err.code } : {}),
    }, err);
  }
  let keyring: Keyring;
  try {
    keyring = createKeyring(generations.map((g) => ({ certificate: g.chain[0] as X509Certificate, key: g.key })), options.keyCacheSize === undefined ? {} : { keyCacheSize: options.keyCacheSize });
  } catch (err) {
    throw invalid(dir, `a generation cannot open messages: ${err instanceof Error ? err.message : String(err)}`, {}, err);
  }
  const signers = new Map<string, Signer>();
  const rsa = keyTypeOf(current.key).startsWith('rsa');
  return Object.freeze({
    spiffeId: options.spiffeId,
    generations: Object.freeze(generations),
    current,
    keyring,
    digest: files.digest,
    signer(algorithm: 'SHA256' | 'SHA384' | 'SHA512'): Signer {
      let signer = signers.get(algorithm);
      if (signer !== undefined) return signer;
      const chosen = rsa ? RSA_ALGORITHMS[algorithm] : EC_ALGORITHMS[algorithm];
      if (chosen === undefined) {
        throw new AppError('ERR_WORKLOAD_SIGNATURE_UNSUPPORTED', `a ${keyTypeOf(current.key)} message key cannot sign with ${algorithm}; the policy needs an RSA message key`, { details: { algorithm } });
      }
      signer = createSigner({ certificates: current.chain, key: current.key, algorithm: chosen });
      signers.set(algorithm, signer);
      return signer;
    },
  });
}

/**
 * Reads and checks a keyring directory.
 * @throws as readKeyringFiles and buildMessageKeyring.
 */
export async function loadMessageKeyring(dir: string, options: LoadMessageKeyringOptions): Promise<MessageKeyring> {
  return buildMessageKeyring(dir, await readKeyringFiles(dir), options);
}
