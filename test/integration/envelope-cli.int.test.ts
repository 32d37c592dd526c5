// `qshield seal` / `qshield open` as real processes: binary payloads through pipes, envelopes
// that openssl checks, envelopes openssl made, and the exit code and reason of a refusal.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPem, makeTestPki, pem, type TestIdentity } from '../envelope/pki.ts';

const root = new URL('../..', import.meta.url).pathname;
const execFileP = promisify(execFile);
let dir: string;
let signer: TestIdentity;
let recipient: TestIdentity;
const payload = randomBytes(70_000);

interface Result { code: number | null; stdout: Buffer; stderr: string }

function qshield(args: string[], stdin?: Buffer): Promise<Result> {
  return new Promise((resolve, reject) => {
    // The Node 24 the project installs, running the bin script (npx would add npm's own chatter
    // to stderr; test/integration/cli.int.test.ts covers the npx route).
    const child = spawn(join(root, 'node_modules/.bin/node'), [join(root, 'cli/qshield.ts'), ...args], { cwd: dir });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(stdin ?? Buffer.alloc(0));
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-cli-int-'));
  const pki = makeTestPki();
  signer = pki.issue({ path: '/ns/pay/sa/checkout', keyType: 'rsa-2048' });
  recipient = pki.issue({ path: '/ns/pay/sa/settle', keyIndex: 1 });
  writeFileSync(join(dir, 'bundle.pem'), pem(pki.root.cert));
  writeFileSync(join(dir, 'intermediate.pem'), pem(pki.intermediate.cert));
  writeFileSync(join(dir, 'signer.crt'), signer.chain.map(pem).join(''));
  writeFileSync(join(dir, 'signer.key'), keyPem(signer.key));
  writeFileSync(join(dir, 'settle.crt'), pem(recipient.cert));
  writeFileSync(join(dir, 'settle.key'), keyPem(recipient.key));
  writeFileSync(join(dir, 'payload.bin'), payload);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('qshield seal | qshield open, as processes', () => {
  it('pipes a binary Privacy message through seal and open unchanged', async () => {
    const sealed = await qshield(['seal', '--qop', 'privacy', '--cert', 'signer.crt', '--key', 'signer.key', '--recipient', 'settle.crt', '--qmgr', 'QM1', '--queue', 'Q1'], payload);
    expect(sealed.stderr).toBe('');
    expect(sealed.code).toBe(0);
    const opened = await qshield(['open', '--cert', 'settle.crt', '--key', 'settle.key', '--bundle', 'bundle.pem', '--qop', 'privacy', '--qmgr', 'QM1', '--queue', 'Q1'], sealed.stdout);
    expect(opened.code).toBe(0);
    expect(opened.stdout.equals(payload)).toBe(true);
  });

  it('writes an Integrity envelope that openssl cms -verify accepts', async () => {
    const sealed = await qshield(['seal', '--qop', 'integrity', '--cert', 'signer.crt', '--key', 'signer.key', '--in', 'payload.bin', '--out', 'signed.cms']);
    expect(sealed.code).toBe(0);
    const { stdout } = await execFileP('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'signed.cms'), '-CAfile', join(dir, 'bundle.pem'), '-purpose', 'any'], { encoding: 'buffer', maxBuffer: 1 << 24 });
    expect(stdout.equals(payload)).toBe(true);
  });

  it('opens what openssl cms -encrypt made', async () => {
    await execFileP('openssl', ['cms', '-encrypt', '-aes-256-gcm', '-binary', '-outform', 'DER', '-in', join(dir, 'payload.bin'), '-out', join(dir, 'ossl.cms'), '-recip', join(dir, 'settle.crt'), '-keyopt', 'ecdh_kdf_md:sha256']);
    const opened = await qshield(['open', '--cert', 'settle.crt', '--key', 'settle.key', '--qop', 'confidentiality', '--in', 'ossl.cms']);
    expect(opened.code).toBe(0);
    expect(opened.stdout.equals(payload)).toBe(true);
    expect(opened.stderr).toContain('qop confidentiality');
  });

  it('exits 1 and prints the reason for a tampered envelope', async () => {
    const sealed = await qshield(['seal', '--qop', 'integrity', '--cert', 'signer.crt', '--key', 'signer.key'], payload);
    const tampered = Buffer.from(sealed.stdout);
    tampered.writeUInt8(tampered.readUInt8(5000) ^ 0x20, 5000);
    const opened = await qshield(['open', '--bundle', 'bundle.pem', '--allow-unbound'], tampered);
    expect(opened.code).toBe(1);
    expect(opened.stdout.length).toBe(0);
    expect(opened.stderr).toContain('refused: SIGNATURE_INVALID');
  });
});
