import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from './algorithms.ts';
import { readAuthEnvelopedData } from './auth-enveloped-data.ts';
import { DerCursor, readWhole, TAG } from '../der/index.ts';
import { createKeyring, createSealingContext, createSigner, open, seal } from './index.ts';

/** The [0] content element of a ContentInfo. */
function contentWrapper(envelope: Buffer) {
  const c = DerCursor.inside(envelope, readWhole(envelope, TAG.sequence, 'ContentInfo'), 'ContentInfo');
  c.next(TAG.oid, 'contentType');
  return c.next(TAG.ctx(0), 'content');
}

let pki: TestPki;
let ecSigner: TestIdentity;
let rsaSigner: TestIdentity;
let ecRecipient: TestIdentity;
let p384Recipient: TestIdentity;
let rsaRecipient: TestIdentity;
const destination = { queueManager: 'PAYMENTS', queue: 'PAY.REQUEST' };
const payload = Buffer.from('{"amount":"12.50","currency":"EUR"}\n\u0000\u00ff binary tail');

beforeAll(() => {
  pki = makeTestPki();
  ecSigner = pki.issue({ path: '/ns/pay/sa/checkout' });
  rsaSigner = pki.issue({ path: '/ns/pay/sa/legacy-checkout', keyType: 'rsa-2048' });
  ecRecipient = pki.issue({ path: '/ns/pay/sa/settle-engine', keyIndex: 1 });
  p384Recipient = pki.issue({ path: '/ns/pay/sa/settle-audit', keyType: 'ec-p384' });
  rsaRecipient = pki.issue({ path: '/ns/pay/sa/settle-legacy', keyType: 'rsa-2048', keyIndex: 1 });
});

const signerOf = (id: TestIdentity, algorithm?: SignatureAlgorithm) => createSigner({ certificates: id.chain, key: id.key, ...(algorithm ? { algorithm } : {}) });
const keyringOf = (...ids: TestIdentity[]) => createKeyring(ids.map((id) => ({ certificate: id.cert, key: id.key })));

describe('Integrity', () => {
  it.each(SIGNATURE_ALGORITHMS.filter((a) => a.startsWith('ecdsa')))('seals and opens with %s on an EC key', (algorithm) => {
    const envelope = seal(payload, { qop: 'integrity', signer: signerOf(ecSigner, algorithm), destination, messageId: Buffer.from('id-1') });
    const opened = open(envelope, { trustBundle: pki.bundle, destination, messageId: Buffer.from('id-1'), policy: { qop: 'integrity' } });
    expect(opened.payload.equals(payload)).toBe(true);
    expect(opened.qop).toBe('integrity');
    expect(opened.signer?.spiffeId).toBe(ecSigner.spiffeId);
    expect(opened.signer?.algorithm).toBe(algorithm);
    expect(opened.destination).toEqual(destination);
    expect(opened.messageId?.toString()).toBe('id-1');
    expect(opened.encryption).toBeUndefined();
  });

  it('binds each message to its own destination when destinations alternate (the encoding cache never answers for another)', () => {
    const a = { queueManager: 'PAYMENTS', queue: 'PAY.A' };
    const b = { queueManager: 'PAYMENTS', queue: 'PAY.B' };
    const s = signerOf(ecSigner);
    for (const d of [a, b, a, { ...b }, b, a]) {
      const envelope = seal(payload, { qop: 'integrity', signer: s, destination: d });
      expect(open(envelope, { trustBundle: pki.bundle, destination: d }).destination).toEqual(d);
      const other = d.queue === a.queue ? b : a;
      expect(() => open(envelope, { trustBundle: pki.bundle, destination: other })).toThrow(expect.objectContaining({ reason: 'DESTINATION_MISMATCH' }));
    }
  });

  it.each(SIGNATURE_ALGORITHMS.filter((a) => a.startsWith('rsa')))('seals and opens with %s on an RSA key', (algorithm) => {
    const envelope = seal(payload, { qop: 'integrity', signer: signerOf(rsaSigner, algorithm), destination });
    const opened = open(envelope, { trustBundle: pki.bundle, destination });
    expect(opened.payload.equals(payload)).toBe(true);
    expect(opened.signer?.algorithm).toBe(algorithm);
  });

  it('reports the signing time it signed, to the second', () => {
    // Relative to now: the test identities are valid around the real clock.
    const second = Math.floor(Date.now() / 1000) * 1000;
    const at = new Date(second + 700);
    const opened = open(seal(payload, { qop: 'integrity', signer: signerOf(ecSigner), clock: () => at }), { trustBundle: pki.bundle, clock: () => at });
    expect(opened.signingTime?.getTime()).toBe(second);
  });

  it('carries the payload in clear (Integrity does not encrypt)', () => {
    const envelope = seal(payload, { qop: 'integrity', signer: signerOf(ecSigner) });
    expect(envelope.includes(payload)).toBe(true);
  });

  it('seals an empty payload', () => {
    const opened = open(seal(Buffer.alloc(0), { qop: 'integrity', signer: signerOf(ecSigner) }), { trustBundle: pki.bundle });
    expect(opened.payload.length).toBe(0);
  });
});

describe('Privacy', () => {
  it('signs then encrypts for a mix of RSA and EC recipients, each of whom opens it', () => {
    const recipients = [ecRecipient.cert, p384Recipient.cert, rsaRecipient.cert];
    const envelope = seal(payload, { qop: 'privacy', signer: signerOf(rsaSigner), recipients, destination });
    expect(envelope.includes(payload)).toBe(false);
    for (const r of [ecRecipient, p384Recipient, rsaRecipient]) {
      const opened = open(envelope, { keyring: keyringOf(r), trustBundle: pki.bundle, destination, policy: { qop: 'privacy' } });
      expect(opened.payload.equals(payload)).toBe(true);
      expect(opened.qop).toBe('privacy');
      expect(opened.signer?.spiffeId).toBe(rsaSigner.spiffeId);
      expect(opened.encryption).toBe('aes256-gcm');
    }
  });

  it('uses AES-128-GCM when asked', () => {
    const envelope = seal(payload, { qop: 'privacy', signer: signerOf(ecSigner), recipients: [ecRecipient.cert], encryption: 'aes128-gcm' });
    expect(open(envelope, { keyring: keyringOf(ecRecipient), trustBundle: pki.bundle }).encryption).toBe('aes128-gcm');
  });

  it('makes a new content key per message (no key reuse in Privacy)', () => {
    const keyring = keyringOf(ecRecipient);
    for (let i = 0; i < 3; i++) open(seal(payload, { qop: 'privacy', signer: signerOf(ecSigner), recipients: [ecRecipient.cert] }), { keyring, trustBundle: pki.bundle });
    expect(keyring.contentKeys.size).toBe(0);
  });

  it('opens with an older key generation after rotation (rotation never strands a message)', () => {
    const old = pki.issue({ path: '/ns/pay/sa/settle-engine', keyIndex: 2 });
    const current = pki.issue({ path: '/ns/pay/sa/settle-engine', keyIndex: 3 });
    const queued = seal(payload, { qop: 'privacy', signer: signerOf(ecSigner), recipients: [old.cert] });
    const fresh = seal(payload, { qop: 'privacy', signer: signerOf(ecSigner), recipients: [current.cert] });
    const keyring = keyringOf(current, old);
    expect(open(queued, { keyring, trustBundle: pki.bundle }).payload.equals(payload)).toBe(true);
    expect(open(fresh, { keyring, trustBundle: pki.bundle }).payload.equals(payload)).toBe(true);
  });
});

describe('Confidentiality', () => {
  it('encrypts without a signature', () => {
    const envelope = seal(payload, { qop: 'confidentiality', recipients: [ecRecipient.cert, rsaRecipient.cert] });
    const opened = open(envelope, { keyring: keyringOf(rsaRecipient), policy: { qop: 'confidentiality' } });
    expect(opened.payload.equals(payload)).toBe(true);
    expect(opened.qop).toBe('confidentiality');
    expect(opened.signer).toBeUndefined();
  });

  it('reuses one content key for `count` messages, then makes a new one', () => {
    const context = createSealingContext({ recipients: [ecRecipient.cert, rsaRecipient.cert], count: 4, maxAgeSeconds: 300 });
    const keyring = keyringOf(ecRecipient);
    const envelopes = Array.from({ length: 10 }, (_, i) => seal(Buffer.from(`message ${i}`), { qop: 'confidentiality', context }));
    envelopes.forEach((e, i) => expect(open(e, { keyring, policy: { qop: 'confidentiality' } }).payload.toString()).toBe(`message ${i}`));
    expect(context.stats).toEqual({ generations: 3, messages: 10 });
    // One unwrap per generation; the rest came from the keyring's cache.
    expect(keyring.contentKeys.size).toBe(3);
  });

  it('makes a new content key when the current one is older than maxAgeSeconds', () => {
    const start = Math.floor(Date.now() / 1000) * 1000;
    let now = new Date(start);
    const clock = () => now;
    const context = createSealingContext({ recipients: [ecRecipient.cert], count: 1000, maxAgeSeconds: 60 });
    seal(payload, { qop: 'confidentiality', context, clock });
    now = new Date(start + 59_000);
    seal(payload, { qop: 'confidentiality', context, clock });
    expect(context.stats.generations).toBe(1);
    now = new Date(start + 60_000);
    seal(payload, { qop: 'confidentiality', context, clock });
    expect(context.stats.generations).toBe(2);
  });

  it('never repeats a nonce under one content key', () => {
    const context = createSealingContext({ recipients: [ecRecipient.cert], count: 500, maxAgeSeconds: 3600 });
    const seen = new Set<string>();
    for (let i = 0; i < 1200; i++) {
      const envelope = seal(Buffer.from('x'), { qop: 'confidentiality', context });
      const view = readAuthEnvelopedData(envelope, contentWrapper(envelope));
      const key = `${view.recipientInfos.start}:${envelope.subarray(view.recipientInfos.start, view.recipientInfos.end).toString('hex')}:${view.nonce.toString('hex')}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
    expect(context.stats.generations).toBe(3);
  });

  it('a Privacy message does not pass as Confidentiality unless the queue says Confidentiality', () => {
    const envelope = seal(payload, { qop: 'privacy', signer: signerOf(ecSigner), recipients: [ecRecipient.cert] });
    const keyring = keyringOf(ecRecipient);
    expect(open(envelope, { keyring, trustBundle: pki.bundle }).qop).toBe('privacy');
    // Declared Confidentiality: the content (a SignedData) is returned as the payload, untouched.
    const asConf = open(envelope, { keyring, policy: { qop: 'confidentiality' } });
    expect(asConf.qop).toBe('confidentiality');
    expect(asConf.payload[0]).toBe(0x30);
  });
});

describe('toleration', () => {
  it('passes an unprotected message through with qop none when the policy tolerates it', () => {
    const opened = open(Buffer.from('plain text'), { policy: { toleration: true } });
    expect(opened).toEqual({ payload: Buffer.from('plain text'), qop: 'none' });
  });
});

describe('inputs', () => {
  it('accepts certificates as DER bytes as well as X509Certificate objects', () => {
    const envelope = seal(payload, { qop: 'confidentiality', recipients: [ecRecipient.cert.raw] });
    const keyring = createKeyring([{ certificate: new Uint8Array(ecRecipient.cert.raw), key: ecRecipient.key }]);
    expect(open(new Uint8Array(envelope), { keyring }).payload.equals(payload)).toBe(true);
    expect(new X509Certificate(ecRecipient.cert.raw).subject).toBe(ecRecipient.cert.subject);
  });
});

describe('Confidentiality payloads that look like CMS', () => {
  it('a payload that begins like CMS but is not a SignedData opens as Confidentiality', () => {
    const lookalike = Buffer.concat([Buffer.from([0x30, 0x20, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]), Buffer.alloc(10)]);
    const envelope = seal(lookalike, { qop: 'confidentiality', recipients: [ecRecipient.cert] });
    const opened = open(envelope, { keyring: keyringOf(ecRecipient) });
    expect(opened.qop).toBe('confidentiality');
    expect(opened.payload.equals(lookalike)).toBe(true);
    expect(() => open(envelope, { keyring: keyringOf(ecRecipient), policy: { qop: 'privacy' } })).toThrow(/malformed/);
  });
});

describe('destination binding', () => {
  it('keeps destinations apart whatever characters their names hold', () => {
    const signer = signerOf(ecSigner);
    const a = { queueManager: 'A\u0000B', queue: 'C' };
    const b = { queueManager: 'A', queue: 'B\u0000C' };
    const first = seal(payload, { qop: 'integrity', signer, destination: a });
    const second = seal(payload, { qop: 'integrity', signer, destination: b });
    expect(open(first, { trustBundle: pki.bundle }).destination).toEqual(a);
    expect(open(second, { trustBundle: pki.bundle }).destination).toEqual(b);
  });
});

describe('input memory', () => {
  it('returns an Integrity payload as a view of the envelope, and copies envelopes in shared memory first', () => {
    const envelope = seal(payload, { qop: 'integrity', signer: signerOf(ecSigner) });
    const opened = open(envelope, { trustBundle: pki.bundle });
    expect(opened.payload.buffer).toBe(envelope.buffer);
    const shared = new Uint8Array(new SharedArrayBuffer(envelope.length));
    shared.set(envelope);
    const fromShared = open(shared, { trustBundle: pki.bundle });
    shared.fill(0);
    expect(fromShared.payload.equals(payload)).toBe(true);
  });
});
