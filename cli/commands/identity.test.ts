// The identity commands through their real interface (runCli: argv in, exit code and output out).
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCsr, csrToPem, parseTrustBundleJwks, parseTrustBundlePem } from '../../lib/identity/index.ts';
import { expiredLeaf, issueLeaf, testKeyPair } from '../../test/pki/index.ts';
import { runCli } from '../testing.ts';

let cwd: string;
const at = (name: string) => join(cwd, name);
const cli = (...argv: string[]) => runCli(argv, { cwd });

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), 'qshield-cli-'));
  const r = await cli('ca', 'init', '--dir', 'ca', '--trust-domain', 'bank.example');
  expect(r.code, r.err).toBe(0);
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('qshield ca init', () => {
  it('makes a CA directory with keys readable by the owner only', async () => {
    expect(statSync(at('ca')).mode & 0o777).toBe(0o700);
    expect(statSync(at('ca/root.key')).mode & 0o777).toBe(0o600);
    expect(statSync(at('ca/intermediate.key')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(at('ca/ca.json'), 'utf8'))).toMatchObject({ format: 'qshield-ca/v1', trustDomain: 'bank.example', keyType: 'ec-p256' });
  });

  it('makes RSA CAs on request', async () => {
    const r = await cli('ca', 'init', '--dir', 'rsa-ca', '--trust-domain', 'bank.example', '--key-type', 'rsa-2048');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('(rsa-2048)');
    expect(new X509Certificate(readFileSync(at('rsa-ca/root.crt'))).publicKey.asymmetricKeyType).toBe('rsa');
  });

  it('never overwrites a CA (exit 1, with the code)', async () => {
    const before = readFileSync(at('ca/intermediate.key'), 'utf8');
    const r = await cli('ca', 'init', '--dir', 'ca', '--trust-domain', 'bank.example');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already exists.*\[ERR_CA_EXISTS\]/);
    expect(readFileSync(at('ca/intermediate.key'), 'utf8')).toBe(before);
  });

  it.each([
    [['ca', 'init', '--trust-domain', 'x.example'], /--dir is required/],
    [['ca', 'init', '--dir', 'd'], /--trust-domain is required/],
    [['ca', 'init', '--dir', 'd', '--trust-domain', 'Bad.Example'], /trust domain may hold only lowercase.*ERR_SPIFFE_ID_INVALID/],
    [['ca', 'init', '--dir', 'd', '--trust-domain', 'x.example', '--key-type', 'rsa-1024'], /unknown key type "rsa-1024"/],
    [['ca', 'init', '--dir', 'd', '--trust-domain', 'x.example', '--bogus'], /Unknown option '--bogus'/],
    [['ca', 'rotate'], /unknown subcommand 'rotate'/],
    [['ca'], /missing subcommand: init/],
  ])('refuses %j as a usage error (exit 2)', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain("Run 'qshield ca --help' for usage.");
  });
});

describe('qshield svid issue / verify', () => {
  it('issues an SVID with a new key and verifies it', async () => {
    const r = await cli('svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/ns/pay/sa/checkout', '--dns', 'checkout.pay.svc', '--ttl', '2h', '--out', 'checkout');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^issued spiffe:\/\/bank.example\/ns\/pay\/sa\/checkout \(ec-p256, serial [0-9A-F]+\)/);
    expect(statSync(at('checkout.key')).mode & 0o777).toBe(0o600);
    const chain = readFileSync(at('checkout.crt'), 'utf8').match(/BEGIN CERTIFICATE/g);
    expect(chain).toHaveLength(2);
    const leaf = new X509Certificate(readFileSync(at('checkout.crt')));
    expect(leaf.subjectAltName).toBe('URI:spiffe://bank.example/ns/pay/sa/checkout, DNS:checkout.pay.svc');
    expect(leaf.validToDate.getTime() - leaf.validFromDate.getTime()).toBe(2 * 3_600_000 + 300_000);
    expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(at('checkout.key'))))).toBe(true);
    const v = await cli('svid', 'verify', '--bundle', 'ca/bundle.pem', 'checkout.crt');
    expect([v.code, v.out]).toEqual([0, 'spiffe://bank.example/ns/pay/sa/checkout\n']);
  });

  it('replaces an existing SVID and key, keeping the key private', async () => {
    writeFileSync(at('renew.key'), 'old', { mode: 0o644 });
    const r = await cli('svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/ns/pay/sa/renew', '--out', 'renew', '--key-type', 'rsa-2048');
    expect(r.code, r.err).toBe(0);
    expect(statSync(at('renew.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(at('renew.key'), 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('certifies the key of a CSR, and only writes the certificate', async () => {
    const keys = testKeyPair();
    writeFileSync(at('req.csr'), csrToPem(createCsr(keys.privateKey)));
    const r = await cli('svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/ns/app/sa/web', '--csr', 'req.csr', '--out', 'web');
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('web.key');
    expect(new X509Certificate(readFileSync(at('web.crt'))).publicKey.equals(keys.publicKey)).toBe(true);
  });

  it('verifies against a JWKS bundle and reads the chain from stdin', async () => {
    const jwks = await cli('bundle', '--ca-dir', 'ca', '--format', 'jwks');
    writeFileSync(at('bundle.json'), jwks.out);
    const r = await runCli(['svid', 'verify', '--bundle', 'bundle.json', '--purpose', 'client', '-'], { cwd, stdin: readFileSync(at('checkout.crt')) });
    expect([r.code, r.out, r.err]).toEqual([0, 'spiffe://bank.example/ns/pay/sa/checkout\n', '']);
  });

  it.each([
    ['an expired SVID', () => expiredLeaf('spiffe://bank.example/ns/a/sa/b'), 'ERR_SVID_EXPIRED'],
    ['an SVID of another trust domain', () => issueLeaf('spiffe://other.example/ns/a/sa/b'), 'ERR_SVID_WRONG_TRUST_DOMAIN'],
    ['an SVID from another CA', () => issueLeaf('spiffe://bank.example/ns/a/sa/b'), 'ERR_SVID_UNKNOWN_ISSUER'],
  ])('refuses %s with exit 1 and the reason', async (_name, make, code) => {
    writeFileSync(at('bad.crt'), make().chainPem);
    const r = await cli('svid', 'verify', '--bundle', 'ca/bundle.pem', 'bad.crt');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^qshield svid: .+ \\[${code}\\]\\n$`));
  });

  it('refuses files that are not certificates or bundles, readably', async () => {
    writeFileSync(at('junk.crt'), 'hello');
    expect((await cli('svid', 'verify', '--bundle', 'ca/bundle.pem', 'junk.crt')).err).toMatch(/no PEM block found.*\[ERR_PEM_INVALID\]/);
    expect((await cli('svid', 'verify', '--bundle', 'junk.crt', 'checkout.crt')).err).toMatch(/\[ERR_PEM_INVALID\]/);
    const missing = await cli('svid', 'verify', '--bundle', 'ca/bundle.pem', 'nope.crt');
    expect([missing.code, missing.err]).toEqual([1, 'qshield svid: cannot read certificate nope.crt: ENOENT [ERR_FILE_IO]\n']);
  });

  it('answers any corrupted certificate or bundle file with exit 1 and a coded reason, never a crash (fuzz)', async () => {
    const chain = readFileSync(at('checkout.crt'), 'utf8');
    const bundle = readFileSync(at('ca/bundle.pem'), 'utf8');
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.nat(), fc.string({ maxLength: 4 }), fc.nat(4), async (inBundle, pos, insert, cut) => {
      const original = inBundle ? bundle : chain;
      const i = pos % original.length;
      writeFileSync(at('fuzz.pem'), original.slice(0, i) + insert + original.slice(i + cut));
      const r = inBundle
        ? await cli('svid', 'verify', '--bundle', 'fuzz.pem', 'checkout.crt')
        : await cli('svid', 'verify', '--bundle', 'ca/bundle.pem', 'fuzz.pem');
      if (r.code === 0) expect(r.out).toBe('spiffe://bank.example/ns/pay/sa/checkout\n'); // e.g. a change in text outside the PEM blocks
      else expect([r.code, r.err]).toEqual([1, expect.stringMatching(/^qshield svid: .+ \[ERR_[A-Z_]+\]\n$/)]);
    }), { numRuns: 150 });
  });

  it.each([
    [['svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example', '--out', 'x'], 2, /workload id needs a path.*ERR_SPIFFE_ID_INVALID/],
    [['svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://other.example/a', '--out', 'x'], 1, /ERR_CA_WRONG_TRUST_DOMAIN/],
    [['svid', 'issue', '--ca-dir', 'nowhere', '--spiffe-id', 'spiffe://bank.example/a', '--out', 'x'], 1, /is missing.*\[ERR_CA_NOT_FOUND\]/],
    [['svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/a', '--out', 'x', '--ttl', '10'], 2, /--ttl: "10" is not a duration/],
    [['svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/a', '--out', 'x', '--dns', 'not_valid'], 2, /not a valid DNS name/],
    [['svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/a', '--out', 'x', '--csr', 'req.csr', '--key-type', 'rsa-2048'], 2, /with --csr the key is the CSR's/],
    [['svid', 'issue', '--ca-dir', 'ca', '--spiffe-id', 'spiffe://bank.example/a'], 2, /--out is required/],
    [['svid', 'verify', 'checkout.crt'], 2, /--bundle is required/],
    [['svid', 'verify', '--bundle', 'ca/bundle.pem'], 2, /exactly one certificate/],
    [['svid', 'verify', '--bundle', 'ca/bundle.pem', '--purpose', 'email', 'checkout.crt'], 2, /--purpose must be client, server, both/],
  ])('%j exits %i', async (argv, code, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });
});

describe('qshield bundle', () => {
  it('prints the bundle as PEM and as a SPIFFE JWKS that read back to the same roots', async () => {
    const pem = await cli('bundle', '--ca-dir', 'ca');
    const jwks = await cli('bundle', '--ca-dir', 'ca', '--format', 'jwks');
    expect([pem.code, jwks.code]).toEqual([0, 0]);
    const root = new X509Certificate(readFileSync(at('ca/root.crt')));
    expect(parseTrustBundlePem(pem.out).roots.map((r) => r.fingerprint256)).toEqual([root.fingerprint256]);
    const doc = JSON.parse(jwks.out);
    expect(doc.keys[0]).toMatchObject({ use: 'x509-svid', kty: 'EC', crv: 'P-256', x5c: [root.raw.toString('base64')] });
    expect(parseTrustBundleJwks(doc).trustDomain).toBe('bank.example');
  });

  it.each([
    [['bundle'], 2, /--ca-dir is required/],
    [['bundle', '--ca-dir', 'ca', '--format', 'der'], 2, /--format must be pem or jwks/],
    [['bundle', '--ca-dir', 'missing'], 1, /ERR_CA_NOT_FOUND/],
  ])('%j exits %i', async (argv, code, message) => {
    const r = await cli(...argv);
    expect([r.code, r.err]).toEqual([code, expect.stringMatching(message)]);
  });
});

describe('help', () => {
  it.each([['ca', '--help'], ['ca', 'init', '--help'], ['svid', '--help'], ['svid', 'issue', '--help'], ['svid', 'verify', '-h'], ['bundle', '--help']])('%s %s prints usage and exits 0', async (...argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: qshield (ca|svid|bundle)/);
  });

  it('lists the identity commands in the overview', async () => {
    const r = await cli('--help');
    for (const name of ['ca', 'svid', 'bundle']) expect(r.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });
});
