// OpenSSL's `cms` command as the independent oracle for the envelope, in both directions and for
// both key types: what seal makes, OpenSSL verifies and decrypts; what OpenSSL signs and
// encrypts, open opens — or refuses with the documented reason.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeError, createKeyring, createSigner, open, seal, type Keyring, type SignatureAlgorithm } from '../../lib/envelope/index.ts';
import { keyPem, makeTestPki, pem, type TestIdentity, type TestPki } from '../envelope/pki.ts';

const run = promisify(execFile);
let dir: string;
let pki: TestPki;
let ids: Record<'ecSigner' | 'rsaSigner' | 'ecRecipient' | 'p384Recipient' | 'rsaRecipient' | 'weakSigner', TestIdentity>;
const destination = { queueManager: 'PAYMENTS', queue: 'PAY.REQUEST' };
// Every byte value, so nothing in the path may treat the payload as text.
const payload = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n.\r\nFrom x\n')]);
const large = randomBytes(64 * 1024);

const file = (name: string) => join(dir, name);

async function openssl(args: string[]): Promise<Buffer> {
  const { stdout } = await run('openssl', args, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** openssl exits non-zero; resolves to its stderr. */
async function opensslFails(args: string[]): Promise<string> {
  try {
    await run('openssl', args, { encoding: 'buffer' });
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? '');
  }
  throw new Error(`openssl ${args.join(' ')} unexpectedly succeeded`);
}

function write(name: string, data: string | Buffer): string {
  writeFileSync(file(name), data);
  return file(name);
}

function keyringOf(...list: TestIdentity[]): Keyring {
  return createKeyring(list.map((id) => ({ certificate: id.cert, key: id.key })));
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof EnvelopeError ? err.reason : `untyped: ${String(err)}`;
  }
  return 'opened';
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qshield-cms-'));
  pki = makeTestPki();
  ids = {
    ecSigner: pki.issue({ path: '/ns/pay/sa/checkout' }),
    rsaSigner: pki.issue({ path: '/ns/pay/sa/legacy', keyType: 'rsa-2048' }),
    ecRecipient: pki.issue({ path: '/ns/pay/sa/settle-engine', keyIndex: 1 }),
    p384Recipient: pki.issue({ path: '/ns/pay/sa/settle-audit', keyType: 'ec-p384' }),
    rsaRecipient: pki.issue({ path: '/ns/pay/sa/settle-legacy', keyType: 'rsa-2048', keyIndex: 1 }),
    weakSigner: pki.issue({ path: '/ns/pay/sa/weak', keyType: 'rsa-1024' }),
  };
  write('root.pem', pem(pki.root.cert));
  write('intermediate.pem', pem(pki.intermediate.cert));
  for (const [name, id] of Object.entries(ids)) {
    write(`${name}.pem`, pem(id.cert));
    write(`${name}.key`, keyPem(id.key));
  }
  write('payload.bin', payload);
  write('large.bin', large);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const verifyArgs = (input: string) => ['cms', '-verify', '-binary', '-inform', 'DER', '-in', input, '-CAfile', file('root.pem'), '-purpose', 'any'];

describe('what seal makes, OpenSSL accepts', () => {
  const cases: [keyof typeof ids, SignatureAlgorithm][] = [
    ['ecSigner', 'ecdsa-sha256'], ['ecSigner', 'ecdsa-sha384'],
    ['rsaSigner', 'rsa-pss-sha256'], ['rsaSigner', 'rsa-pss-sha512'], ['rsaSigner', 'rsa-pkcs1-sha256'], ['rsaSigner', 'rsa-pkcs1-sha384'],
  ];

  it.each(cases)('Integrity by %s with %s passes openssl cms -verify', async (who, algorithm) => {
    const id = ids[who];
    const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: id.chain, key: id.key, algorithm }), destination });
    const out = await openssl(verifyArgs(write(`int-${who}-${algorithm}.der`, envelope)));
    expect(out.equals(payload)).toBe(true);
  });

  it('a tampered Integrity envelope fails openssl cms -verify too', async () => {
    const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: ids.ecSigner.chain, key: ids.ecSigner.key }), destination });
    envelope.writeUInt8(envelope.readUInt8(envelope.indexOf(payload) + 100) ^ 1, envelope.indexOf(payload) + 100);
    expect(await opensslFails(verifyArgs(write('int-tampered.der', envelope)))).toMatch(/digest failure|verification failure/i);
  });

  it.each(['ecRecipient', 'p384Recipient', 'rsaRecipient'] as const)('Privacy for %s passes openssl cms -decrypt, then -verify', async (who) => {
    const recipients = [ids.ecRecipient.cert, ids.p384Recipient.cert, ids.rsaRecipient.cert];
    const envelope = seal(large, { qop: 'privacy', signer: createSigner({ certificates: ids.rsaSigner.chain, key: ids.rsaSigner.key }), recipients, destination });
    const signedData = await openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', write(`priv-${who}.der`, envelope), '-recip', file(`${who}.pem`), '-inkey', file(`${who}.key`)]);
    const out = await openssl(verifyArgs(write(`priv-${who}-inner.der`, signedData)));
    expect(out.equals(large)).toBe(true);
  });

  it.each(['ecRecipient', 'rsaRecipient'] as const)('Confidentiality for %s passes openssl cms -decrypt', async (who) => {
    const envelope = seal(payload, { qop: 'confidentiality', recipients: [ids.ecRecipient.cert, ids.rsaRecipient.cert], encryption: 'aes128-gcm' });
    const out = await openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', write(`conf-${who}.der`, envelope), '-recip', file(`${who}.pem`), '-inkey', file(`${who}.key`)]);
    expect(out.equals(payload)).toBe(true);
  });

  it('OpenSSL refuses our Confidentiality envelope to a non-recipient', async () => {
    const envelope = seal(payload, { qop: 'confidentiality', recipients: [ids.ecRecipient.cert] });
    await opensslFails(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', write('conf-stranger.der', envelope), '-recip', file('rsaRecipient.pem'), '-inkey', file('rsaRecipient.key')]);
  });
});

describe('what OpenSSL makes, open accepts', () => {
  const sign = (who: keyof typeof ids, input: string, extra: string[] = []) => openssl([
    'cms', '-sign', '-binary', '-nodetach', '-outform', 'DER', '-in', input,
    '-signer', file(`${who}.pem`), '-inkey', file(`${who}.key`), '-certfile', file('intermediate.pem'), ...extra,
  ]);

  it.each([
    ['ecSigner', [], 'ecdsa-sha256'],
    ['ecSigner', ['-md', 'sha384'], 'ecdsa-sha384'],
    ['rsaSigner', [], 'rsa-pkcs1-sha256'],
    ['rsaSigner', ['-md', 'sha512'], 'rsa-pkcs1-sha512'],
    ['rsaSigner', ['-keyopt', 'rsa_padding_mode:pss'], 'rsa-pss-sha256'],
    ['rsaSigner', ['-md', 'sha384', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:48'], 'rsa-pss-sha384'],
  ] as const)('openssl cms -sign by %s %j opens as Integrity with %s', async (who, extra, algorithm) => {
    const envelope = await sign(who, file('payload.bin'), [...extra]);
    // OpenSSL does not bind a destination: such envelopes open where the policy allows unbound ones.
    expect(reasonOf(() => open(envelope, { trustBundle: pki.bundle, destination }))).toBe('DESTINATION_MISMATCH');
    const opened = open(envelope, { trustBundle: pki.bundle, destination, policy: { qop: 'integrity', allowUnbound: true } });
    expect(opened.payload.equals(payload)).toBe(true);
    expect(opened.signer?.spiffeId).toBe(ids[who].spiffeId);
    expect(opened.signer?.algorithm).toBe(algorithm);
    expect(opened.signingTime).toBeInstanceOf(Date);
  });

  it('opens what OpenSSL signs and encrypts with subject key identifiers (-keyid) instead of issuer and serial', async () => {
    const signed = await sign('rsaSigner', file('payload.bin'), ['-keyid']);
    expect(open(signed, { trustBundle: pki.bundle, policy: { allowUnbound: true } }).signer?.spiffeId).toBe(ids.rsaSigner.spiffeId);
    const envelope = await encrypt(file('payload.bin'), [['-keyid', ...rsaRecip()], ['-keyid', ...ecRecip()]]);
    for (const who of ['rsaRecipient', 'ecRecipient'] as const) expect(open(envelope, { keyring: keyringOf(ids[who]) }).payload.equals(payload)).toBe(true);
  });

  it('an OpenSSL signature by a 1024-bit RSA key is refused as STRENGTH_MISMATCH', async () => {
    const envelope = await sign('weakSigner', file('payload.bin'));
    expect(reasonOf(() => open(envelope, { trustBundle: pki.bundle, policy: { allowUnbound: true } }))).toBe('STRENGTH_MISMATCH');
  });

  it('an OpenSSL SHA-1 signature is refused as STRENGTH_MISMATCH', async () => {
    const envelope = await sign('ecSigner', file('payload.bin'), ['-md', 'sha1']);
    expect(reasonOf(() => open(envelope, { trustBundle: pki.bundle, policy: { allowUnbound: true } }))).toBe('STRENGTH_MISMATCH');
  });

  const encrypt = (input: string, recipients: string[][], cipher = '-aes-256-gcm') => openssl(['cms', '-encrypt', cipher, '-binary', '-outform', 'DER', '-in', input, ...recipients.flat()]);
  const rsaOaep = ['-recip', '', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'];
  const rsaRecip = () => rsaOaep.map((a) => (a === '' ? file('rsaRecipient.pem') : a));
  const ecRecip = (who: 'ecRecipient' | 'p384Recipient' = 'ecRecipient') => ['-recip', file(`${who}.pem`), '-keyopt', 'ecdh_kdf_md:sha256'];

  it('openssl cms -encrypt -aes-256-gcm to an RSA recipient (OAEP SHA-256) opens as Confidentiality', async () => {
    const envelope = await encrypt(file('large.bin'), [rsaRecip()]);
    const opened = open(envelope, { keyring: keyringOf(ids.rsaRecipient), policy: { qop: 'confidentiality' } });
    expect(opened.payload.equals(large)).toBe(true);
    expect(opened.encryption).toBe('aes256-gcm');
  });

  it.each(['ecRecipient', 'p384Recipient'] as const)('openssl cms -encrypt -aes-256-gcm to EC recipient %s (ECDH, SHA-256 KDF) opens', async (who) => {
    const envelope = await encrypt(file('payload.bin'), [ecRecip(who)]);
    expect(open(envelope, { keyring: keyringOf(ids[who]) }).payload.equals(payload)).toBe(true);
  });

  it('openssl cms -encrypt -aes-128-gcm to a mix of recipients opens for each', async () => {
    const envelope = await encrypt(file('payload.bin'), [rsaRecip(), ecRecip()], '-aes-128-gcm');
    for (const who of ['rsaRecipient', 'ecRecipient'] as const) {
      const opened = open(envelope, { keyring: keyringOf(ids[who]) });
      expect(opened.payload.equals(payload)).toBe(true);
      expect(opened.encryption).toBe('aes128-gcm');
    }
    expect(reasonOf(() => open(envelope, { keyring: keyringOf(ids.p384Recipient) }))).toBe('NOT_A_RECIPIENT');
  });

  it('openssl cms -sign then -encrypt opens as Privacy', async () => {
    const signed = await sign('ecSigner', file('payload.bin'));
    const envelope = await encrypt(write('ossl-signed.der', signed), [rsaRecip()]);
    const opened = open(envelope, { keyring: keyringOf(ids.rsaRecipient), trustBundle: pki.bundle, policy: { qop: 'privacy', allowUnbound: true } });
    expect(opened.qop).toBe('privacy');
    expect(opened.payload.equals(payload)).toBe(true);
    expect(opened.signer?.spiffeId).toBe(ids.ecSigner.spiffeId);
  });

  it('RSA PKCS#1 v1.5 key transport (OpenSSL\'s default for RSA) is refused unless the policy allows it', async () => {
    const envelope = await encrypt(file('payload.bin'), [['-recip', file('rsaRecipient.pem')]]);
    expect(reasonOf(() => open(envelope, { keyring: keyringOf(ids.rsaRecipient) }))).toBe('STRENGTH_MISMATCH');
    expect(open(envelope, { keyring: keyringOf(ids.rsaRecipient), policy: { allowRsaPkcs1KeyTransport: true } }).payload.equals(payload)).toBe(true);
  });

  it('ECDH with OpenSSL\'s default SHA-1 KDF is refused as STRENGTH_MISMATCH', async () => {
    const envelope = await encrypt(file('payload.bin'), [['-recip', file('ecRecipient.pem')]]);
    expect(reasonOf(() => open(envelope, { keyring: keyringOf(ids.ecRecipient) }))).toBe('STRENGTH_MISMATCH');
  });

  it('AES-CBC EnvelopedData (no authentication) is refused as STRENGTH_MISMATCH', async () => {
    const envelope = await encrypt(file('payload.bin'), [rsaRecip()], '-aes-256-cbc');
    expect(reasonOf(() => open(envelope, { keyring: keyringOf(ids.rsaRecipient) }))).toBe('STRENGTH_MISMATCH');
  });

  it('an OpenSSL envelope with a tampered ciphertext byte fails as DECRYPTION_FAILED', async () => {
    const envelope = await encrypt(file('large.bin'), [ecRecip()]);
    envelope.writeUInt8(envelope.readUInt8(envelope.length - 1000) ^ 0x40, envelope.length - 1000);
    expect(reasonOf(() => open(envelope, { keyring: keyringOf(ids.ecRecipient) }))).toBe('DECRYPTION_FAILED');
  });

  it('reads a detached OpenSSL signature as MALFORMED (content must be encapsulated)', async () => {
    const envelope = await openssl(['cms', '-sign', '-binary', '-outform', 'DER', '-in', file('payload.bin'), '-signer', file('ecSigner.pem'), '-inkey', file('ecSigner.key')]);
    expect(reasonOf(() => open(envelope, { trustBundle: pki.bundle, policy: { allowUnbound: true } }))).toBe('MALFORMED');
    expect(readFileSync(file('payload.bin')).equals(payload)).toBe(true);
  });
});
