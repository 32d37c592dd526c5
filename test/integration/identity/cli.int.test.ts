// The identity commands as an operator runs them: real `npx qshield` processes on Node 24, with
// OpenSSL checking what they write.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;
let dir: string;

function qshield(...args: string[]) {
  return run('npx', ['--no-install', '--prefix', root, 'qshield', ...args], { cwd: dir });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-cli-int-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npx qshield ca init / svid issue / svid verify / bundle', () => {
  it('makes a CA and an SVID that OpenSSL verifies for client and server use', async () => {
    await qshield('ca', 'init', '--dir', 'ca', '--trust-domain', 'cluster.local', '--key-type', 'rsa-3072');
    const issued = await qshield('svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://cluster.local/ns/pay/sa/checkout', '--out', 'checkout');
    expect(issued.stdout).toContain('issued spiffe://cluster.local/ns/pay/sa/checkout (ec-p256');
    expect(statSync(join(dir, 'checkout.key')).mode & 0o777).toBe(0o600);

    // OpenSSL takes the leaf from the chain file's first block; the intermediate comes from the CA.
    for (const purpose of ['sslclient', 'sslserver']) {
      const { stdout } = await run('openssl', ['verify', '-x509_strict', '-purpose', purpose, '-CAfile', 'ca/bundle.pem', '-untrusted', 'ca/intermediate.crt', 'checkout.crt'], { cwd: dir });
      expect(stdout.trim()).toBe('checkout.crt: OK');
    }
    const { stdout: match } = await run('bash', ['-c', 'openssl x509 -in checkout.crt -noout -pubkey | cmp - <(openssl pkey -in checkout.key -pubout) && echo same'], { cwd: dir });
    expect(match.trim()).toBe('same');

    const verified = await qshield('svid', 'verify', '--bundle', 'ca/bundle.pem', 'checkout.crt');
    expect(verified.stdout).toBe('spiffe://cluster.local/ns/pay/sa/checkout\n');

    const jwks = JSON.parse((await qshield('bundle', '--ca-dir', 'ca', '--format', 'jwks')).stdout);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'x509-svid' });
  });

  it('exits 1 with the reason when a certificate is not a valid SVID, and 2 on a wrong command line', async () => {
    await qshield('ca', 'init', '--dir', 'other', '--trust-domain', 'other.example');
    await qshield('svid', 'issue', '--ca-dir', 'other', '--spiffe-id', 'spiffe://other.example/ns/x/sa/y', '--out', 'stranger');
    await expect(qshield('svid', 'verify', '--bundle', 'ca/bundle.pem', 'stranger.crt')).rejects.toMatchObject({
      code: 1, stdout: '', stderr: expect.stringMatching(/belongs to trust domain "other.example", not "cluster.local" \[ERR_SVID_WRONG_TRUST_DOMAIN\]/),
    });
    await expect(qshield('svid', 'issue', '--ca-dir', 'ca')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--spiffe-id is required') });
  });
});
