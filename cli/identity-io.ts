// File handling for the identity commands (ca, svid, bundle): paths resolved against the
// command's working directory, and files replaced atomically with their final mode from the start.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AppError, hasCode } from '../lib/errors/index.ts';
import { UsageError } from './errors.ts';
import type { CliIo } from './io.ts';

export function resolvePath(io: CliIo, path: string): string {
  return resolve(io.cwd, path);
}

/**
 * Reads a text file, or stdin for `-`.
 * @throws AppError ERR_FILE_IO naming the file and what it was for.
 */
export async function readTextFile(io: CliIo, path: string, what: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(resolvePath(io, path), 'utf8');
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err, details: { path } });
  }
}

/**
 * Replaces `path` with `data` atomically: written to a temporary file beside it, created with
 * `mode` (0600 for keys, so no byte is ever readable by others), then renamed over the target.
 * @throws AppError ERR_FILE_IO.
 */
export async function writeFileAtomic(io: CliIo, path: string, data: string, mode: number): Promise<string> {
  const target = resolvePath(io, path);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { mode, flag: 'wx' });
    await rename(temp, target);
    return target;
  } catch (err) {
    await rm(temp, { force: true });
    throw new AppError('ERR_FILE_IO', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err, details: { path } });
  }
}

/**
 * Reads an option value through a library parser, turning a refusal of the value itself (a bad
 * SPIFFE id, trust domain, key type) into a usage error that keeps the library's explanation.
 */
export function argument<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (hasCode(err, 'ERR_SPIFFE_ID_INVALID') || hasCode(err, 'ERR_KEY_UNSUPPORTED')) throw new UsageError(`${err.message} [${err.code}]`);
    throw err;
  }
}
