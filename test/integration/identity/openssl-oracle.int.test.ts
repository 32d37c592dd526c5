// OpenSSL as the independent oracle for identity: every certificate qshield issues passes
// `openssl verify` and shows the SVID extensions; every certificate OpenSSL makes that breaks
// one SVID rule is refused by our validator with that rule's code.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../lib/errors/index.ts';
import { certificateToPem } from '../../../lib/identity/certificates.ts';
import { createCsr, csrToPem, verifyCsr } from '../../../lib/identity/csr.ts';
import { parseTrustBundlePem } from '../../../lib/identity/trust-bundle.ts';
import { validateSvid, type SvidPurpose } from '../../../lib/identity/validate-svid.ts';
import { makeCa, testKeyPair } from '../../pki/index.ts';

const run = promisify(execFile);
let dir: string;
const path = (name: string) => join(dir, name);

async function openssl(...args: string[]): Promise<string> {
  const { stdout } = await run('openssl', args, { cwd: dir });
  return stdout;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-openssl-'));
});
afterAll(() => (process.env.KEEP ? console.log(dir) : rmSync(dir, { recursive: true, force: true })));

describe('OpenSSL agrees with every certificate qshield issues', () => {
  const kinds = [
    ['EC P-256', 'ec-p256', 'Digital Signature, Key Agreement'],
    ['RSA 2048', 'rsa-2048', 'Digital Signature, Key Encipherment'],
    ['RSA 3072', 'rsa-3072', 'Digital Signature, Key Encipherment'],
  ] as const;

  it.each(kinds)('%s: root, intermediate and SVID verify for client and server use', async (_name, keyType, usage) => {
    const { ca, bundlePem } = makeCa({ keyType, trustDomain: 'bank.example' });
    const leafKeys = testKeyPair(keyType);
    const svid = ca.issue({ spiffeId: 'spiffe://bank.example/ns/pay/sa/checkout', csr: csrToPem(createCsr(leafKeys.privateKey)), dnsNames: ['checkout.pay.svc'] });
    writeFileSync(path(`${keyType}-root.pem`), bundlePem);
    writeFileSync(path(`${keyType}-inter.pem`), certificateToPem(ca.intermediate));
    writeFileSync(path(`${keyType}-leaf.pem`), certificateToPem(svid.der));
    for (const purpose of ['sslclient', 'sslserver']) {
      const out = await openssl('verify', '-x509_strict', '-purpose', purpose, '-CAfile', `${keyType}-root.pem`, '-untrusted', `${keyType}-inter.pem`, `${keyType}-leaf.pem`);
      expect(out.trim()).toBe(`${keyType}-leaf.pem: OK`);
    }
    expect((await openssl('verify', '-x509_strict', '-CAfile', `${keyType}-root.pem`, `${keyType}-inter.pem`)).trim()).toBe(`${keyType}-inter.pem: OK`);

    const leafText = await openssl('x509', '-in', `${keyType}-leaf.pem`, '-noout', '-text');
    expect(leafText).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(leafText).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${usage}\\n`));
    expect(leafText).toMatch(/X509v3 Extended Key Usage: \s*\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
    expect(leafText).toMatch(/X509v3 Subject Alternative Name: \s*\n\s+URI:spiffe:\/\/bank.example\/ns\/pay\/sa\/checkout, DNS:checkout.pay.svc\n/);
    expect(leafText).toMatch(/X509v3 Authority Key Identifier/);
    expect(leafText).toContain(`Signature Algorithm: ${keyType === 'ec-p256' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption'}`);
    const serial = (await openssl('x509', '-in', `${keyType}-leaf.pem`, '-noout', '-serial')).trim();
    expect(serial).toBe(`serial=${svid.serialNumber}`);

    for (const [file, pathLen] of [[`${keyType}-root.pem`, 1], [`${keyType}-inter.pem`, 0]] as const) {
      const text = await openssl('x509', '-in', file, '-noout', '-text');
      expect(text).toMatch(new RegExp(`X509v3 Basic Constraints: critical\\s+CA:TRUE, pathlen:${pathLen}`));
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
      expect(text).toMatch(/X509v3 Subject Alternative Name: \s*\n\s+URI:spiffe:\/\/bank.example\n/);
      expect(text).toMatch(/X509v3 Subject Key Identifier/);
    }
  });

  it.each(kinds)('%s: the CSRs qshield makes verify in OpenSSL', async (_name, keyType) => {
    writeFileSync(path(`${keyType}.csr`), csrToPem(createCsr(testKeyPair(keyType).privateKey)));
    const { stderr } = await run('openssl', ['req', '-verify', '-noout', '-in', `${keyType}.csr`], { cwd: dir });
    expect(stderr + (await openssl('req', '-verify', '-noout', '-in', `${keyType}.csr`))).toMatch(/verify OK/);
  });
});

describe('CSRs made by OpenSSL', () => {
  it.each([
    ['EC P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ec-p256'],
    ['RSA 2048', ['-newkey', 'rsa:2048'], 'rsa-2048'],
  ])('%s: accepted, and only the key is taken, never the SANs it asks for', async (_name, keyArgs, keyType) => {
    await openssl('req', '-new', ...keyArgs, '-nodes', '-keyout', 'req.key', '-subj', '/CN=evil', '-addext', 'subjectAltName=URI:spiffe://example.org/ns/kube-system/sa/admin', '-addext', 'basicConstraints=critical,CA:TRUE', '-out', 'req.csr');
    const csr = verifyCsr(readFileSync(path('req.csr'), 'utf8'));
    expect(csr.keyType).toBe(keyType);
    const { ca } = makeCa();
    const svid = ca.issue({ spiffeId: 'spiffe://example.org/ns/app/sa/web', csr: readFileSync(path('req.csr'), 'utf8') });
    const leaf = new X509Certificate(svid.der);
    expect(leaf.subjectAltName).toBe('URI:spiffe://example.org/ns/app/sa/web');
    expect(leaf.ca).toBe(false);
  });

  it('refuses an Ed25519 CSR and a CSR whose signature is corrupted', async () => {
    await openssl('req', '-new', '-newkey', 'ed25519', '-nodes', '-keyout', 'ed.key', '-subj', '/CN=x', '-out', 'ed.csr');
    expect(() => verifyCsr(readFileSync(path('ed.csr'), 'utf8'))).toThrow(expect.objectContaining({ code: 'ERR_CSR_MALFORMED' }));
    await openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'c.key', '-subj', '/CN=x', '-outform', 'DER', '-out', 'c.der');
    const der = readFileSync(path('c.der'));
    der[der.length - 3] = (der[der.length - 3] as number) ^ 0x01;
    expect(() => verifyCsr(der)).toThrow(expect.objectContaining({ code: 'ERR_CSR_SIGNATURE_INVALID' }));
  });
});

// A small OpenSSL CA (`openssl ca`, so that validity dates can be set) whose certificates break
// the SVID rules on purpose.
describe('certificates made by OpenSSL that break an SVID rule are refused with its code', () => {
  const TD = 'example.org';
  const caConf = (name: string) => [
    '[ca]', `default_ca = ${name}`, `[${name}]`, `dir = ${dir}/${name}`, 'database = $dir/index.txt', 'new_certs_dir = $dir',
    'serial = $dir/serial', 'default_md = sha256', 'policy = any', 'unique_subject = no', 'email_in_dn = no', '[any]', 'commonName = optional', 'organizationName = optional', '',
  ].join('\n');

  async function makeAuthority(name: string, opts: { issuer?: string; ext: string; subject?: string }): Promise<void> {
    await run('mkdir', ['-p', path(name)]);
    writeFileSync(path(`${name}/index.txt`), '');
    writeFileSync(path(`${name}/serial`), '1000\n');
    writeFileSync(path(`${name}.cnf`), caConf(name));
    writeFileSync(path(`${name}.ext`), opts.ext);
    await openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', opts.subject ?? `/O=openssl/CN=${name}`, '-out', `${name}.csr`);
    if (opts.issuer) await sign(opts.issuer, name, `${name}.ext`);
    else await openssl('x509', '-req', '-in', `${name}.csr`, '-key', `${name}.key`, '-days', '30', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  }

  async function sign(issuer: string, name: string, extFile: string, dates: string[] = ['-days', '1']): Promise<void> {
    await openssl('ca', '-batch', '-notext', '-config', `${issuer}.cnf`, '-cert', `${issuer}.crt`, '-keyfile', `${issuer}.key`, '-in', `${name}.csr`, '-out', `${name}.crt`, '-extfile', extFile, ...dates);
  }

  const GOOD = {
    basicConstraints: 'critical,CA:FALSE',
    keyUsage: 'critical,digitalSignature,keyAgreement',
    extendedKeyUsage: 'serverAuth,clientAuth',
    subjectAltName: `URI:spiffe://${TD}/ns/pay/sa/checkout`,
    authorityKeyIdentifier: 'keyid',
  };
  const CA_EXT = `basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectAltName=URI:spiffe://${TD}\nsubjectKeyIdentifier=hash\n`;

  let counter = 0;
  async function leaf(issuer: string, changes: Record<string, string | null>, dates?: string[]): Promise<string[]> {
    const name = `leaf${counter++}`;
    const ext = { ...GOOD, ...changes };
    writeFileSync(path(`${name}.ext`), Object.entries(ext).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    await openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`);
    await sign(issuer, name, `${name}.ext`, dates);
    const pems = [readFileSync(path(`${name}.crt`), 'utf8')];
    if (issuer !== 'root') pems.push(readFileSync(path(`${issuer}.crt`), 'utf8'));
    return pems;
  }

  function outcome(chain: string[], purpose: SvidPurpose = 'both'): unknown {
    const bundle = parseTrustBundlePem(readFileSync(path('root.crt'), 'utf8'));
    try {
      return validateSvid(chain.join(''), bundle, { purpose }).spiffeId.toString();
    } catch (err) {
      if (err instanceof AppError) return err.code;
      throw err;
    }
  }

  beforeAll(async () => {
    await makeAuthority('root', { ext: `${CA_EXT}basicConstraints=critical,CA:TRUE,pathlen:1\n` });
    await makeAuthority('inter', { issuer: 'root', ext: `${CA_EXT}authorityKeyIdentifier=keyid\n` });
    // Same name as `inter`, another key: what it signs fails the signature check.
    await makeAuthority('impostor', { issuer: 'root', ext: `${CA_EXT}authorityKeyIdentifier=keyid\n`, subject: '/O=openssl/CN=inter' });
    await makeAuthority('strict', { issuer: 'root', ext: `basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n` });
    await makeAuthority('sub', { issuer: 'strict', ext: `${CA_EXT}authorityKeyIdentifier=keyid\n` });
    await makeAuthority('notca', { issuer: 'root', ext: 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' });
    await makeAuthority('foreign', { issuer: 'root', ext: 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectAltName=URI:spiffe://other.org\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' });
    await makeAuthority('stranger', { ext: `${CA_EXT}basicConstraints=critical,CA:TRUE\n` });
  });

  it('accepts the well-formed SVID (the control)', async () => {
    expect(outcome(await leaf('inter', {}))).toBe(`spiffe://${TD}/ns/pay/sa/checkout`);
    expect(outcome(await leaf('root', {}))).toBe(`spiffe://${TD}/ns/pay/sa/checkout`);
  });

  it.each([
    ['two URI SANs', { subjectAltName: `URI:spiffe://${TD}/a,URI:spiffe://${TD}/b` }, 'ERR_SVID_MULTIPLE_URI_SANS'],
    ['no URI SAN', { subjectAltName: 'DNS:checkout.example.org' }, 'ERR_SVID_NO_SPIFFE_ID'],
    ['a malformed SPIFFE id', { subjectAltName: `URI:spiffe://${TD}/a//b` }, 'ERR_SVID_SPIFFE_ID_INVALID'],
    ['another trust domain', { subjectAltName: 'URI:spiffe://other.org/ns/pay/sa/checkout' }, 'ERR_SVID_WRONG_TRUST_DOMAIN'],
    ['CA:TRUE', { basicConstraints: 'critical,CA:TRUE' }, 'ERR_SVID_LEAF_IS_CA'],
    ['keyCertSign', { keyUsage: 'critical,digitalSignature,keyCertSign' }, 'ERR_SVID_LEAF_IS_CA'],
    ['cRLSign', { keyUsage: 'critical,digitalSignature,cRLSign' }, 'ERR_SVID_LEAF_IS_CA'],
    ['no key usage', { keyUsage: null }, 'ERR_SVID_KEY_USAGE'],
    ['a non-critical key usage', { keyUsage: 'digitalSignature' }, 'ERR_SVID_KEY_USAGE'],
    ['no digitalSignature', { keyUsage: 'critical,keyAgreement' }, 'ERR_SVID_KEY_USAGE'],
    ['no extended key usage', { extendedKeyUsage: null }, 'ERR_SVID_EXTENDED_KEY_USAGE'],
    ['EKU without clientAuth', { extendedKeyUsage: 'serverAuth' }, 'ERR_SVID_EXTENDED_KEY_USAGE'],
    ['EKU without serverAuth', { extendedKeyUsage: 'clientAuth' }, 'ERR_SVID_EXTENDED_KEY_USAGE'],
    ['an unknown critical extension', { '1.3.6.1.4.1.57264.99.1': 'critical,ASN1:NULL' }, 'ERR_SVID_CRITICAL_EXTENSION'],
  ])('a leaf with %s', async (_name, changes, code) => {
    expect(outcome(await leaf('inter', changes))).toBe(code);
  });

  it('a leaf that lacks one EKU is fine for the purpose it has', async () => {
    const serverOnly = await leaf('inter', { extendedKeyUsage: 'serverAuth' });
    expect(outcome(serverOnly, 'server')).toBe(`spiffe://${TD}/ns/pay/sa/checkout`);
    expect(outcome(serverOnly, 'client')).toBe('ERR_SVID_EXTENDED_KEY_USAGE');
  });

  it('an expired leaf and a leaf not yet valid', async () => {
    expect(outcome(await leaf('inter', {}, ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']))).toBe('ERR_SVID_EXPIRED');
    expect(outcome(await leaf('inter', {}, ['-startdate', '20990101000000Z', '-enddate', '20990102000000Z']))).toBe('ERR_SVID_NOT_YET_VALID');
  });

  it('a broken signature: signed by an impostor carrying the intermediate\'s name', async () => {
    const [forged] = await leaf('impostor', { authorityKeyIdentifier: 'none' });
    expect(outcome([forged as string, readFileSync(path('inter.crt'), 'utf8')])).toBe('ERR_SVID_SIGNATURE_INVALID');
    // With its key identifier, the impostor's leaf does not even name the intermediate as issuer.
    const [marked] = await leaf('impostor', {});
    expect(outcome([marked as string, readFileSync(path('inter.crt'), 'utf8')])).toBe('ERR_SVID_UNKNOWN_ISSUER');
  });

  it('a broken signature: one bit of an OpenSSL-made SVID\'s signature flipped', async () => {
    const [pem, inter] = await leaf('inter', {});
    const der = new X509Certificate(pem as string).raw;
    der[der.length - 10] = (der[der.length - 10] as number) ^ 0x01;
    expect(outcome([certificateToPem(der), inter as string])).toBe('ERR_SVID_SIGNATURE_INVALID');
  });

  it('a path longer than a path length constraint allows', async () => {
    const chain = await leaf('sub', {});
    expect(outcome([...chain, readFileSync(path('strict.crt'), 'utf8')])).toBe('ERR_SVID_PATH_TOO_LONG');
  });

  it('an issuer that is not a CA', async () => {
    expect(outcome(await leaf('notca', {}))).toBe('ERR_SVID_ISSUER_NOT_CA');
  });

  it('an intermediate of another trust domain', async () => {
    expect(outcome(await leaf('foreign', {}))).toBe('ERR_SVID_WRONG_TRUST_DOMAIN');
  });

  it('an issuer the bundle does not know', async () => {
    expect(outcome(await leaf('stranger', {}))).toBe('ERR_SVID_UNKNOWN_ISSUER');
  });

  it('OpenSSL itself refuses what we refuse for chain reasons (cross-check)', async () => {
    const [forged] = await leaf('impostor', { authorityKeyIdentifier: 'none' });
    writeFileSync(path('forged.pem'), forged as string);
    await expect(openssl('verify', '-CAfile', 'root.crt', '-untrusted', 'inter.crt', 'forged.pem')).rejects.toThrow(/signature failure|verification failed/);
  });
});
