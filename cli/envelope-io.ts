// File handling shared by `qshield seal` and `qshield open`: PEM certificates and keys read once,
// payloads and envelopes read and written as bytes (files or stdin/stdout), with a size limit.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError } from '../lib/errors/index.ts';
import { EnvelopeError } from '../lib/envelope/index.ts';
import { loadPrivateKey, parseCertificatesPem, parseTrustBundle, type TrustBundle } from '../lib/identity/index.ts';
import { UsageError } from './errors.ts';
import type { CliIo } from './io.ts';

async function readPath(io: CliIo, path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(resolve(io.cwd, path));
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

/**
 * Every certificate in a PEM file, in order (a chain file: leaf first).
 * @throws AppError ERR_FILE_IO, ERR_PEM_INVALID, ERR_CERT_MALFORMED
 */
export async function readCertificates(io: CliIo, path: string, what: string): Promise<X509Certificate[]> {
  return parseCertificatesPem((await readPath(io, path, what)).toString('utf8'));
}

/**
 * A PEM private key (PKCS#8, SEC 1 or PKCS#1), unencrypted.
 * @throws AppError ERR_FILE_IO, ERR_KEY_INVALID, ERR_KEY_UNSUPPORTED
 */
export async function readPrivateKey(io: CliIo, path: string): Promise<KeyObject> {
  return loadPrivateKey((await readPath(io, path, 'key')).toString('utf8'));
}

/**
 * A trust bundle file: PEM roots or the SPIFFE bundle JWKS (`qshield bundle` writes either).
 * @throws AppError ERR_FILE_IO, ERR_BUNDLE_INVALID
 */
export async function readTrustBundle(io: CliIo, path: string): Promise<TrustBundle> {
  return parseTrustBundle((await readPath(io, path, 'bundle')).toString('utf8'));
}

/**
 * The whole input, from a file or stdin, refusing more than `limit` bytes.
 * @throws AppError ERR_FILE_IO; EnvelopeError SIZE_MISMATCH over the limit.
 */
export async function readInput(io: CliIo, path: string | undefined, limit: number): Promise<Buffer> {
  if (path !== undefined && path !== '-') {
    const data = await readPath(io, path, 'input');
    if (data.length > limit) throw new EnvelopeError('SIZE_MISMATCH', `input of ${data.length} bytes exceeds the ${limit}-byte limit`);
    return data;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buf.length;
    if (size > limit) throw new EnvelopeError('SIZE_MISMATCH', `input exceeds the ${limit}-byte limit`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Writes the output to a file or stdout. @throws AppError ERR_FILE_IO */
export async function writeOutput(io: CliIo, path: string | undefined, data: Buffer): Promise<void> {
  if (path !== undefined && path !== '-') {
    try {
      await writeFile(resolve(io.cwd, path), data);
    } catch (err) {
      throw new AppError('ERR_FILE_IO', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    return;
  }
  await new Promise<void>((done, fail) => io.stdout.write(data, (err) => (err ? fail(err) : done())));
}

/** Prints a refused envelope as its reason, and gives the exit code. */
export function reportRefusal(io: CliIo, command: string, err: EnvelopeError): number {
  io.stderr.write(`qshield ${command}: refused: ${err.reason}: ${err.message} [${err.code}]\n`);
  return 1;
}

/** Runs node:util parseArgs, turning its complaints (unknown option, missing value) into usage errors. */
export function parseOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}
