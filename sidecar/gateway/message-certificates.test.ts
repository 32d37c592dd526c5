import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expiredLeaf, issueLeaf, makeCa, untrustedLeaf, wrongDomainLeaf } from '../../test/pki/index.ts';
import { buildMessageCertificates, readMessageCertificateFiles } from './message-certificates.ts';

const ca = makeCa({ trustDomain: 'example.org' });
const settle = 'spiffe://example.org/ns/pay/sa/settle-engine';
const audit = 'spiffe://example.org/ns/audit/sa/archiver';
const DAY = 86_400_000;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-msgcerts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const load = async (now = Date.now()) => buildMessageCertificates(await readMessageCertificateFiles(dir), ca.bundle, now);

describe('recipients\' message certificates at the gateway', () => {
  it('hands over, per matching SPIFFE id, the certificate valid now that started last', async () => {
    const older = issueLeaf(settle, { ca, ttlMs: 30 * DAY, now: new Date(Date.now() - 2 * DAY) });
    const newer = issueLeaf(settle, { ca, ttlMs: 30 * DAY });
    writeFileSync(join(dir, 'settle-gen-1.crt'), older.chainPem);
    writeFileSync(join(dir, 'settle-gen-2.pem'), newer.chainPem);
    writeFileSync(join(dir, 'archiver.crt'), issueLeaf(audit, { ca }).chainPem);
    const certs = await load();
    expect(certs.size).toBe(3);
    const picked = certs.forRecipients(['spiffe://example.org/ns/pay/sa/settle-*']);
    expect(picked.map((c) => c.spiffeId)).toEqual([settle]);
    expect(picked[0]?.fingerprint).toBe(newer.cert.fingerprint256.replaceAll(':', '').toLowerCase());
    expect(picked[0]?.chainPem).toContain('BEGIN CERTIFICATE');
    expect(certs.forRecipients([settle, audit]).map((c) => c.spiffeId)).toEqual([audit, settle]);
    expect(certs.forRecipients(['spiffe://example.org/ns/other/sa/x'])).toEqual([]);
  });

  it('keeps a generation published ahead of its validity and uses it from its start', async () => {
    const current = issueLeaf(settle, { ca, ttlMs: 30 * DAY });
    const next = issueLeaf(settle, { ca, ttlMs: 30 * DAY, now: new Date(Date.now() + DAY) });
    writeFileSync(join(dir, 'a.crt'), current.chainPem);
    writeFileSync(join(dir, 'b.crt'), next.chainPem);
    const certs = await load();
    expect(certs.skipped).toEqual([]);
    const fp = (leaf: typeof current) => leaf.cert.fingerprint256.replaceAll(':', '').toLowerCase();
    expect(certs.forRecipients([settle])[0]?.fingerprint).toBe(fp(current));
    expect(certs.forRecipients([settle], Date.now() + 2 * DAY)[0]?.fingerprint).toBe(fp(next));
  });

  it('of generations that start in the same second, takes the one ending later, then the later-numbered file', async () => {
    const fp = (leaf: { cert: { fingerprint256: string } }) => leaf.cert.fingerprint256.replaceAll(':', '').toLowerCase();
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    const [gen1, gen2, gen9, gen10] = [1, 2, 9, 10].map(() => issueLeaf(settle, { ca, ttlMs: 30 * DAY, now: start }));
    writeFileSync(join(dir, 'settle-gen-1.crt'), gen1!.chainPem);
    writeFileSync(join(dir, 'settle-gen-2.crt'), gen2!.chainPem);
    expect((await load()).forRecipients([settle])[0]?.fingerprint).toBe(fp(gen2!));
    // Lexically gen-10 sorts before gen-9: generation numbers are compared as numbers.
    writeFileSync(join(dir, 'settle-gen-9.crt'), gen9!.chainPem);
    writeFileSync(join(dir, 'settle-gen-10.crt'), gen10!.chainPem);
    expect((await load()).forRecipients([settle])[0]?.fingerprint).toBe(fp(gen10!));
    // The same start and a later end: newer, whatever its file name.
    const longer = issueLeaf(settle, { ca, ttlMs: 31 * DAY, now: start });
    writeFileSync(join(dir, 'settle-gen-5.crt'), longer.chainPem);
    expect((await load()).forRecipients([settle])[0]?.fingerprint).toBe(fp(longer));
  });

  it('leaves out (and lists) expired, untrusted, foreign and unreadable files, and reads no dot-files', async () => {
    writeFileSync(join(dir, 'expired.crt'), expiredLeaf(settle, { ca }).chainPem);
    writeFileSync(join(dir, 'untrusted.crt'), untrustedLeaf(settle).chainPem);
    writeFileSync(join(dir, 'foreign.crt'), wrongDomainLeaf().chainPem);
    writeFileSync(join(dir, 'garbage.pem'), 'not PEM');
    writeFileSync(join(dir, '.hidden.crt'), issueLeaf(settle, { ca }).chainPem);
    writeFileSync(join(dir, 'notes.txt'), issueLeaf(settle, { ca }).chainPem);
    const certs = await load();
    expect(certs.size).toBe(0);
    expect(certs.skipped.map((s) => s.file).sort()).toEqual(['expired.crt', 'foreign.crt', 'garbage.pem', 'untrusted.crt']);
    expect(certs.skipped.find((s) => s.file === 'expired.crt')?.reason).toBe('expired');
  });

  it('changes its digest with the files', async () => {
    writeFileSync(join(dir, 'a.crt'), issueLeaf(settle, { ca }).chainPem);
    const a = (await readMessageCertificateFiles(dir)).digest;
    expect((await readMessageCertificateFiles(dir)).digest).toBe(a);
    writeFileSync(join(dir, 'b.crt'), issueLeaf(audit, { ca }).chainPem);
    expect((await readMessageCertificateFiles(dir)).digest).not.toBe(a);
  });
});
