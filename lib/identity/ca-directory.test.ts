import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { makeCa, testKeyPair } from '../../test/pki/index.ts';
import { CA_FILES, loadCaDirectory, writeCaDirectory } from './ca-directory.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qshield-ca-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? [err.code, err.details.reason] : err;
  }
}

describe('CA directory', () => {
  it('writes the documented files, keys 0600, and reads back the same CA', async () => {
    const dir = join(tempDir(), 'ca');
    const { ca } = makeCa({ trustDomain: 'bank.example' });
    await writeCaDirectory(dir, ca, new Date('2026-11-23T00:00:00Z'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, CA_FILES.rootKey)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, CA_FILES.intermediateKey)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, CA_FILES.rootCert)).mode & 0o777).toBe(0o644);
    expect(JSON.parse(readFileSync(join(dir, CA_FILES.manifest), 'utf8'))).toEqual({
      format: 'qshield-ca/v1', trustDomain: 'bank.example', keyType: 'ec-p256', createdAt: '2026-11-23T00:00:00.000Z',
    });
    const loaded = await loadCaDirectory(dir);
    expect(loaded.trustDomain).toBe('bank.example');
    expect(loaded.root.fingerprint256).toBe(ca.root.fingerprint256);
    expect(loaded.intermediate.fingerprint256).toBe(ca.intermediate.fingerprint256);
    expect(loaded.bundle.roots).toHaveLength(1);
    expect(loaded.issue({ spiffeId: 'spiffe://bank.example/x', publicKey: testKeyPair().publicKey }).der.length).toBeGreaterThan(0);
  });

  it('never overwrites a CA', async () => {
    const dir = tempDir();
    await writeCaDirectory(dir, makeCa().ca);
    const before = readFileSync(join(dir, CA_FILES.intermediateKey), 'utf8');
    expect(await codeOf(writeCaDirectory(dir, makeCa().ca))).toEqual(['ERR_CA_EXISTS', undefined]);
    expect(readFileSync(join(dir, CA_FILES.intermediateKey), 'utf8')).toBe(before);
  });

  it('loads without the root key (root kept offline)', async () => {
    const dir = tempDir();
    await writeCaDirectory(dir, makeCa().ca);
    unlinkSync(join(dir, CA_FILES.rootKey));
    expect((await loadCaDirectory(dir)).rootKey).toBeUndefined();
  });

  it('names what is wrong with a broken directory', async () => {
    expect(await codeOf(loadCaDirectory(join(tempDir(), 'nothing')))).toEqual(['ERR_CA_NOT_FOUND', undefined]);
    const dir = tempDir();
    await writeCaDirectory(dir, makeCa().ca);
    const manifest = join(dir, CA_FILES.manifest);
    const good = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, '{"format":"qshield-ca/v9"}');
    expect(await codeOf(loadCaDirectory(dir))).toEqual(['ERR_CA_INVALID', 'format']);
    writeFileSync(manifest, good.replace('example.org', 'other.org'));
    expect(await codeOf(loadCaDirectory(dir))).toEqual(['ERR_BUNDLE_INVALID', 'trust-domain-mismatch']);
    writeFileSync(manifest, good);
    writeFileSync(join(dir, CA_FILES.intermediateKey), readFileSync(join(dir, CA_FILES.rootKey)));
    expect(await codeOf(loadCaDirectory(dir))).toEqual(['ERR_CA_INVALID', 'key-mismatch']);
    unlinkSync(join(dir, CA_FILES.bundle));
    expect(await codeOf(loadCaDirectory(dir))).toEqual(['ERR_CA_NOT_FOUND', undefined]);
  });
});
