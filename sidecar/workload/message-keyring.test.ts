import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { open, seal } from '../../lib/envelope/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import { expiredLeaf, issueLeaf, makeCa, notYetValidLeaf, untrustedLeaf, type TestLeaf } from '../../test/pki/index.ts';
import { loadMessageKeyring, readKeyringFiles } from './message-keyring.ts';

const ca = makeCa({ trustDomain: 'example.org' });
const ID = 'spiffe://example.org/ns/app/sa/settle';
const DAY = 86_400_000;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-keyring-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(n: number, leaf: TestLeaf, parts: { cert?: boolean; key?: boolean } = {}): TestLeaf {
  if (parts.cert ?? true) writeFileSync(join(dir, `gen-${n}.crt`), leaf.chainPem);
  if (parts.key ?? true) writeFileSync(join(dir, `gen-${n}.key`), leaf.keyPem);
  return leaf;
}

const load = () => loadMessageKeyring(dir, { spiffeId: ID, trustBundle: ca.bundle });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('the message keyring directory', () => {
  it('signs with the newest valid generation and opens with every one', async () => {
    const g1 = write(1, issueLeaf(ID, { ca, ttlMs: 30 * DAY }));
    const g2 = write(2, issueLeaf(ID, { ca, ttlMs: 30 * DAY }));
    const k = await load();
    expect(k.generations.map((g) => g.generation)).toEqual([2, 1]);
    expect(k.current.generation).toBe(2);
    expect(k.signer('SHA256').certificate.x509.fingerprint256).toBe(g2.cert.fingerprint256);
    for (const g of [g1, g2]) {
      const envelope = seal(Buffer.from('queued before the rotation'), { qop: 'confidentiality', recipients: [g.cert] });
      expect(open(envelope, { keyring: k.keyring }).payload.toString()).toBe('queued before the rotation');
    }
  });

  it('keeps an expired older generation for opening; a newer one not yet valid does not sign yet', async () => {
    const old = write(1, expiredLeaf(ID, { ca }));
    const current = write(2, issueLeaf(ID, { ca, ttlMs: 30 * DAY }));
    write(3, notYetValidLeaf(ID, { ca }));
    const k = await load();
    expect(k.current.generation).toBe(2);
    expect(k.current.fingerprint).toBe(current.cert.fingerprint256.replaceAll(':', '').toLowerCase());
    expect(k.generations).toHaveLength(3);
    const envelope = seal(Buffer.from('old'), { qop: 'confidentiality', recipients: [old.cert], clock: () => new Date(Date.now() - 2 * DAY + 60_000) });
    expect(open(envelope, { keyring: k.keyring }).payload.toString()).toBe('old');
  });

  it('ignores files that are not generations (Kubernetes ..data links, dot-files, others)', async () => {
    write(7, issueLeaf(ID, { ca }));
    for (const name of ['..data', '.hidden', 'README', 'gen-01.crt', 'gen-x.key', 'gen-8.pem']) writeFileSync(join(dir, name), 'noise');
    expect((await load()).generations.map((g) => g.generation)).toEqual([7]);
  });

  it('changes its digest with any generation file, and only then', async () => {
    write(1, issueLeaf(ID, { ca }));
    const a = await readKeyringFiles(dir);
    expect((await readKeyringFiles(dir)).digest).toBe(a.digest);
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    expect((await readKeyringFiles(dir)).digest).toBe(a.digest);
    write(2, issueLeaf(ID, { ca }));
    expect((await readKeyringFiles(dir)).digest).not.toBe(a.digest);
  });

  it.each([
    ['an empty directory', () => undefined],
    ['a certificate without its key', () => write(1, issueLeaf(ID, { ca }), { key: false })],
    ['a key without its certificate', () => write(1, issueLeaf(ID, { ca }), { cert: false })],
    ['a key of another certificate', () => {
      writeFileSync(join(dir, 'gen-1.crt'), issueLeaf(ID, { ca }).chainPem);
      writeFileSync(join(dir, 'gen-1.key'), issueLeaf(ID, { ca }).keyPem);
    }],
    ['another workload\'s certificate', () => write(1, issueLeaf('spiffe://example.org/ns/app/sa/other', { ca }))],
    ['no generation valid now', () => write(1, expiredLeaf(ID, { ca }))],
    ['a current generation from a CA the bundle does not trust', () => write(1, untrustedLeaf(ID))],
    ['a file that is not PEM', () => {
      writeFileSync(join(dir, 'gen-1.crt'), 'not a certificate');
      writeFileSync(join(dir, 'gen-1.key'), 'not a key');
    }],
  ])('refuses %s with ERR_WORKLOAD_KEYRING_INVALID', async (_what, arrange) => {
    arrange();
    expect(await codeOf(load())).toBe('ERR_WORKLOAD_KEYRING_INVALID');
  });

  it('says ERR_FILE_IO for a directory that is not there', async () => {
    expect(await codeOf(loadMessageKeyring(join(dir, 'missing'), { spiffeId: ID, trustBundle: ca.bundle }))).toBe('ERR_FILE_IO');
  });

  it('signs with the policy\'s digest: ECDSA for EC keys up to SHA-384, PSS for RSA keys', async () => {
    write(1, issueLeaf(ID, { ca }));
    const ec = await load();
    expect(ec.signer('SHA256').algorithm).toBe('ecdsa-sha256');
    expect(ec.signer('SHA384').algorithm).toBe('ecdsa-sha384');
    expect(() => ec.signer('SHA512')).toThrow(expect.objectContaining({ code: 'ERR_WORKLOAD_SIGNATURE_UNSUPPORTED' }));
    write(2, issueLeaf(ID, { ca, keyType: 'rsa-2048' }));
    const rsa = await load();
    expect(rsa.signer('SHA512').algorithm).toBe('rsa-pss-sha512');
  });
});
