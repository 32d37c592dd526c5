import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPem, makeTestPki, pem, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { runCli } from '../testing.ts';

let dir: string;
let pki: TestPki;
let signer: TestIdentity;
let recipient: TestIdentity;
let oldRecipient: TestIdentity;
const payload = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) % 256));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-cli-'));
  pki = makeTestPki();
  signer = pki.issue({ path: '/ns/pay/sa/checkout' });
  recipient = pki.issue({ path: '/ns/pay/sa/settle', keyType: 'rsa-2048' });
  oldRecipient = pki.issue({ path: '/ns/pay/sa/settle', keyIndex: 3 });
  writeFileSync(join(dir, 'bundle.pem'), pem(pki.root.cert));
  writeFileSync(join(dir, 'signer.crt'), signer.chain.map(pem).join(''));
  writeFileSync(join(dir, 'signer.key'), keyPem(signer.key));
  writeFileSync(join(dir, 'settle.crt'), pem(recipient.cert));
  writeFileSync(join(dir, 'settle.key'), keyPem(recipient.key));
  writeFileSync(join(dir, 'settle-old.crt'), pem(oldRecipient.cert));
  writeFileSync(join(dir, 'settle-old.key'), keyPem(oldRecipient.key));
  writeFileSync(join(dir, 'payload.bin'), payload);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (argv: string[], stdin?: Buffer) => runCli(argv, { cwd: dir, ...(stdin === undefined ? {} : { stdin }) });

describe('qshield seal and open', () => {
  it('round-trips Privacy through stdin and stdout, bytes intact', async () => {
    const sealed = await cli(['seal', '--qop', 'privacy', '--cert', 'signer.crt', '--key', 'signer.key', '--recipient', 'settle.crt', '--qmgr', 'PAYMENTS', '--queue', 'PAY.REQUEST'], payload);
    expect(sealed.err).toBe('');
    expect(sealed.code).toBe(0);
    const opened = await cli(['open', '--cert', 'settle.crt', '--key', 'settle.key', '--bundle', 'bundle.pem', '--qop', 'privacy', '--qmgr', 'PAYMENTS', '--queue', 'PAY.REQUEST', '--signer', 'spiffe://example.org/ns/pay/sa/check*'], sealed.outBytes);
    expect(opened.code).toBe(0);
    expect(opened.outBytes.equals(payload)).toBe(true);
    expect(opened.err).toContain(`signer ${signer.spiffeId}`);
    expect(opened.err).toContain('qop privacy');
  });

  it('round-trips Integrity and Confidentiality through files', async () => {
    expect((await cli(['seal', '--qop', 'integrity', '--cert', 'signer.crt', '--key', 'signer.key', '--in', 'payload.bin', '--out', 'int.cms'])).code).toBe(0);
    expect((await cli(['open', '--bundle', 'bundle.pem', '--allow-unbound', '--in', 'int.cms', '--out', 'int.out'])).code).toBe(0);
    expect(readFileSync(join(dir, 'int.out')).equals(payload)).toBe(true);
    expect((await cli(['seal', '--qop', 'confidentiality', '--recipient', 'settle-old.crt', '--in', 'payload.bin', '--out', 'conf.cms'])).code).toBe(0);
    // The keyring holds the current and the previous generation: the old one still opens.
    const opened = await cli(['open', '--cert', 'settle.crt', '--key', 'settle.key', '--cert', 'settle-old.crt', '--key', 'settle-old.key', '--qop', 'confidentiality', '--in', 'conf.cms']);
    expect(opened.code).toBe(0);
    expect(opened.outBytes.equals(payload)).toBe(true);
  });

  it('prints the reason and exits 1 when an envelope is refused', async () => {
    const sealed = await cli(['seal', '--qop', 'integrity', '--cert', 'signer.crt', '--key', 'signer.key', '--qmgr', 'PAYMENTS', '--queue', 'PAY.REQUEST'], payload);
    const moved = await cli(['open', '--bundle', 'bundle.pem', '--qmgr', 'PAYMENTS', '--queue', 'PAY.OTHER'], sealed.outBytes);
    expect(moved.code).toBe(1);
    expect(moved.out).toBe('');
    expect(moved.err).toMatch(/refused: DESTINATION_MISMATCH: .*\[ERR_ENVELOPE_DESTINATION_MISMATCH\]/);
    const unauthorized = await cli(['open', '--bundle', 'bundle.pem', '--allow-unbound', '--signer', 'spiffe://example.org/ns/pay/sa/other'], sealed.outBytes);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.err).toContain('refused: SIGNER_NOT_AUTHORIZED');
    const plain = await cli(['open', '--bundle', 'bundle.pem'], Buffer.from('not protected'));
    expect(plain.err).toContain('refused: QOP_MISMATCH');
    const tolerated = await cli(['open', '--bundle', 'bundle.pem', '--tolerate'], Buffer.from('not protected'));
    expect(tolerated.code).toBe(0);
    expect(tolerated.out).toBe('not protected');
    expect(tolerated.err).toContain('qop none');
  });

  it.each([
    [['seal'], '--qop must be'],
    [['seal', '--qop', 'integrity'], 'needs --cert and --key'],
    [['seal', '--qop', 'privacy', '--cert', 'signer.crt', '--key', 'signer.key'], 'at least one --recipient'],
    [['seal', '--qop', 'confidentiality', '--recipient', 'settle.crt', '--cert', 'signer.crt'], 'signs nothing'],
    [['seal', '--qop', 'integrity', '--cert', 'signer.crt', '--key', 'signer.key', '--qmgr', 'QM'], '--qmgr and --queue go together'],
    [['seal', '--qop', 'integrity', '--bogus'], 'bogus'],
    [['open', '--cert', 'settle.crt'], 'come in pairs'],
    [['open'], '--bundle is needed'],
    [['open', '--bundle', 'bundle.pem', '--min-signature', 'md5'], '--min-signature must be one of'],
  ])('exits 2 with usage help for %j', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 1 naming the file when a file cannot be read', async () => {
    const r = await cli(['seal', '--qop', 'integrity', '--cert', 'missing.crt', '--key', 'signer.key'], payload);
    expect(r.code).toBe(1);
    expect(r.err).toContain('missing.crt');
    expect(r.err).toContain('ERR_FILE_IO');
  });
});
