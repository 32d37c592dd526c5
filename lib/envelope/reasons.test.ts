// Every reason open (and seal) can give, each produced by building exactly that situation.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { brokenLeaf } from '../../test/pki/index.ts';
import { hasCode } from '../errors/index.ts';
import { createSecretKey, randomBytes } from 'node:crypto';
import { encodeAuthEnvelopedData, readAuthEnvelopedData } from './auth-enveloped-data.ts';
import { DerCursor, encode, node, readWhole, TAG } from '../der/index.ts';
import { MAX_RECIPIENTS } from './limits.ts';
import { encodeDestination } from './destination.ts';
import { ENVELOPE_REASONS, EnvelopeError, createKeyring, createSealingContext, createSigner, open, seal, type EnvelopeReason, type OpenOptions } from './index.ts';
import { encodeSignedData, qshieldAttribute } from './signed-data.ts';

let pki: TestPki;
let stranger: TestPki;
let signer: TestIdentity;
let recipient: TestIdentity;
let rsaRecipient: TestIdentity;
let bystander: TestIdentity;
const destination = { queueManager: 'PAYMENTS', queue: 'PAY.REQUEST' };
const payload = Buffer.from('transfer 100 EUR to account 42');
const DAY = 86_400_000;

beforeAll(() => {
  pki = makeTestPki();
  stranger = makeTestPki();
  signer = pki.issue({ path: '/ns/pay/sa/checkout' });
  recipient = pki.issue({ path: '/ns/pay/sa/settle-engine', keyIndex: 1 });
  rsaRecipient = pki.issue({ path: '/ns/pay/sa/settle-legacy', keyType: 'rsa-2048' });
  bystander = pki.issue({ path: '/ns/pay/sa/bystander', keyIndex: 4 });
});

/** The SVID rule lib/identity reported under a CERTIFICATE_INVALID refusal. */
function svidCodeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof EnvelopeError ? err.details.svidCode : undefined;
  }
  return undefined;
}

function reasonOf(fn: () => unknown): EnvelopeReason | string {
  try {
    fn();
  } catch (err) {
    if (err instanceof EnvelopeError) {
      expect(err.code).toBe(`ERR_ENVELOPE_${err.reason}`);
      expect(err.details.reason).toBe(err.reason);
      expect(err.reasonCode).toBe(2063);
      return err.reason;
    }
    return `not an EnvelopeError: ${String(err)}`;
  }
  return 'no error';
}

const signerObj = () => createSigner({ certificates: signer.chain, key: signer.key });
const keyring = (id: TestIdentity) => createKeyring([{ certificate: id.cert, key: id.key }]);
const integrity = (extra: Partial<Parameters<typeof seal>[1]> = {}) => seal(payload, { qop: 'integrity', signer: signerObj(), destination, ...extra });
const privacy = () => seal(payload, { qop: 'privacy', signer: signerObj(), recipients: [recipient.cert, rsaRecipient.cert], destination });
const base = (): OpenOptions => ({ trustBundle: pki.bundle, keyring: keyring(recipient), destination });

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

function aedView(envelope: Buffer) {
  const c = DerCursor.inside(envelope, readWhole(envelope, TAG.sequence, 'ContentInfo'), 'ContentInfo');
  c.next(TAG.oid, 'contentType');
  return readAuthEnvelopedData(envelope, c.next(TAG.ctx(0), 'content'));
}

describe('open refuses, with the reason', () => {
  it('covers every reason in this file', () => {
    // A guard: the list below names each reason, so a new reason without a test fails here.
    expect([...ENVELOPE_REASONS].sort()).toEqual(['CERTIFICATE_INVALID', 'DECRYPTION_FAILED', 'DESTINATION_MISMATCH', 'MALFORMED', 'NOT_A_RECIPIENT', 'QOP_MISMATCH', 'SIGNATURE_INVALID', 'SIGNER_NOT_AUTHORIZED', 'SIZE_MISMATCH', 'STRENGTH_MISMATCH']);
  });

  describe('QOP_MISMATCH', () => {
    it('for an Integrity message on a Privacy queue', () => {
      expect(reasonOf(() => open(integrity(), { ...base(), policy: { qop: 'privacy' } }))).toBe('QOP_MISMATCH');
    });
    it('for a Privacy message on an Integrity queue, before any decryption', () => {
      expect(reasonOf(() => open(privacy(), { trustBundle: pki.bundle, policy: { qop: 'integrity' } }))).toBe('QOP_MISMATCH');
    });
    it('for a Confidentiality message on a Privacy queue', () => {
      const envelope = seal(payload, { qop: 'confidentiality', recipients: [recipient.cert] });
      expect(reasonOf(() => open(envelope, { ...base(), policy: { qop: 'privacy' } }))).toBe('QOP_MISMATCH');
    });
    it('for an unprotected message without toleration', () => {
      expect(reasonOf(() => open(payload, { ...base(), policy: { qop: 'integrity' } }))).toBe('QOP_MISMATCH');
      expect(reasonOf(() => open(payload, base()))).toBe('QOP_MISMATCH');
    });
  });

  describe('SIGNATURE_INVALID', () => {
    it('for a tampered payload byte', () => {
      const envelope = integrity();
      expect(reasonOf(() => open(flip(envelope, envelope.indexOf(payload) + 5), base()))).toBe('SIGNATURE_INVALID');
    });
    it('for a tampered signed attribute (the destination binding)', () => {
      const envelope = integrity();
      const at = envelope.indexOf(Buffer.from('PAY.REQUEST'));
      const moved = Buffer.from(envelope);
      moved.write('PAY.REQUESX', at);
      expect(reasonOf(() => open(moved, { ...base(), destination: { queueManager: 'PAYMENTS', queue: 'PAY.REQUESX' } }))).toBe('SIGNATURE_INVALID');
    });
    it('for a tampered signature', () => {
      const envelope = integrity();
      expect(reasonOf(() => open(flip(envelope, envelope.length - 3), base()))).toBe('SIGNATURE_INVALID');
    });
  });

  it('SIGNER_NOT_AUTHORIZED for a valid signer outside the authorized patterns', () => {
    const policy = { authorizedSigners: ['spiffe://example.org/ns/pay/sa/settle-*', 'spiffe://example.org/ns/other/**'] };
    expect(reasonOf(() => open(integrity(), { ...base(), policy }))).toBe('SIGNER_NOT_AUTHORIZED');
    expect(open(integrity(), { ...base(), policy: { authorizedSigners: ['spiffe://example.org/ns/pay/sa/check*'] } }).signer?.spiffeId).toBe(signer.spiffeId);
  });

  describe('DESTINATION_MISMATCH', () => {
    it('for a signed message found on another queue', () => {
      expect(reasonOf(() => open(integrity(), { ...base(), destination: { queueManager: 'PAYMENTS', queue: 'PAY.OTHER' } }))).toBe('DESTINATION_MISMATCH');
    });
    it('for a signed message found on another queue manager, inside Privacy too', () => {
      expect(reasonOf(() => open(privacy(), { ...base(), destination: { queueManager: 'OTHERS', queue: 'PAY.REQUEST' } }))).toBe('DESTINATION_MISMATCH');
    });
    it('for another message id', () => {
      const envelope = integrity({ messageId: Buffer.from('414d512031', 'hex') });
      expect(reasonOf(() => open(envelope, { ...base(), messageId: Buffer.from('414d512032', 'hex') }))).toBe('DESTINATION_MISMATCH');
      expect(open(envelope, { ...base(), messageId: Buffer.from('414d512031', 'hex') }).payload.equals(payload)).toBe(true);
    });
    it('for an envelope without a binding, unless the policy allows unbound envelopes', () => {
      const unbound = seal(payload, { qop: 'integrity', signer: signerObj() });
      expect(reasonOf(() => open(unbound, base()))).toBe('DESTINATION_MISMATCH');
      expect(open(unbound, { ...base(), policy: { allowUnbound: true } }).payload.equals(payload)).toBe(true);
    });
  });

  describe('DECRYPTION_FAILED', () => {
    it('for a tampered ciphertext byte', () => {
      const envelope = privacy();
      const view = aedView(envelope);
      const at = envelope.indexOf(view.ciphertext) + 10;
      expect(reasonOf(() => open(flip(envelope, at), base()))).toBe('DECRYPTION_FAILED');
    });
    it('for a tampered authentication tag', () => {
      const envelope = seal(payload, { qop: 'confidentiality', recipients: [recipient.cert] });
      expect(reasonOf(() => open(flip(envelope, envelope.length - 1), base()))).toBe('DECRYPTION_FAILED');
    });
    it('for a tampered RSA-OAEP wrapped key', () => {
      const envelope = seal(payload, { qop: 'confidentiality', recipients: [rsaRecipient.cert] });
      const view = aedView(envelope);
      // The wrapped key is the last 256 bytes of the only RecipientInfo.
      expect(reasonOf(() => open(flip(envelope, view.recipientInfos.end - 20), { keyring: keyring(rsaRecipient) }))).toBe('DECRYPTION_FAILED');
    });
    it('for a tampered ECDH-wrapped key', () => {
      const envelope = seal(payload, { qop: 'confidentiality', recipients: [recipient.cert] });
      const view = aedView(envelope);
      expect(reasonOf(() => open(flip(envelope, view.recipientInfos.end - 5), { keyring: keyring(recipient) }))).toBe('DECRYPTION_FAILED');
    });
    it('for an ECDH originator key off the curve', () => {
      const envelope = seal(payload, { qop: 'confidentiality', recipients: [recipient.cert] });
      expect(open(envelope, { keyring: keyring(recipient) }).payload).toEqual(payload);
      // The originator key's BIT STRING: 66 bytes, no unused bits, an uncompressed P-256 point.
      const at = envelope.indexOf(Buffer.from([TAG.bitString, 0x42, 0x00, 0x04]), aedView(envelope).recipientInfos.start);
      expect(at).toBeGreaterThan(0);
      // The last byte of y, changed, leaves the point off the curve.
      expect(reasonOf(() => open(flip(envelope, at + 3 + 64), { keyring: keyring(recipient) }))).toBe('DECRYPTION_FAILED');
    });
  });

  it('NOT_A_RECIPIENT for a keyring that holds none of the recipients\' keys', () => {
    expect(reasonOf(() => open(privacy(), { ...base(), keyring: keyring(bystander) }))).toBe('NOT_A_RECIPIENT');
    expect(reasonOf(() => open(privacy(), { trustBundle: pki.bundle }))).toBe('NOT_A_RECIPIENT');
  });

  describe('MALFORMED', () => {
    it('for a truncated envelope', () => {
      const envelope = integrity();
      expect(reasonOf(() => open(envelope.subarray(0, envelope.length - 7), base()))).toBe('MALFORMED');
    });
    it('for trailing bytes after the envelope', () => {
      expect(reasonOf(() => open(Buffer.concat([integrity(), Buffer.from([0])]), base()))).toBe('MALFORMED');
    });
    it('for more recipients than the limit, before any unwrapping', () => {
      const source = seal(payload, { qop: 'confidentiality', recipients: [recipient.cert] });
      const one = aedView(source);
      const ri = source.subarray(one.recipientInfos.valueStart, one.recipientInfos.end);
      const many = encode(node(TAG.set, Array.from({ length: MAX_RECIPIENTS + 1 }, () => ri)));
      const envelope = encodeAuthEnvelopedData(many, 'aes256-gcm', createSecretKey(randomBytes(32)), randomBytes(12), payload);
      expect(reasonOf(() => open(envelope, base()))).toBe('MALFORMED');
    });
    it('for a CMS header followed by garbage', () => {
      const head = integrity().subarray(0, 15);
      expect(reasonOf(() => open(Buffer.concat([head, Buffer.alloc(40, 0x41)]), { ...base(), policy: { toleration: true } }))).toBe('MALFORMED');
    });
  });

  describe('STRENGTH_MISMATCH', () => {
    it('for a signature weaker than the policy minimum', () => {
      expect(reasonOf(() => open(integrity(), { ...base(), policy: { minimumStrength: { signature: 'ecdsa-sha384' } } }))).toBe('STRENGTH_MISMATCH');
      const strong = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: signer.chain, key: signer.key, algorithm: 'ecdsa-sha384' }), destination });
      expect(open(strong, { ...base(), policy: { minimumStrength: { signature: 'ecdsa-sha384' } } }).signer?.algorithm).toBe('ecdsa-sha384');
    });
    it('for content encryption weaker than the policy minimum', () => {
      const envelope = seal(payload, { qop: 'confidentiality', recipients: [recipient.cert], encryption: 'aes128-gcm' });
      expect(reasonOf(() => open(envelope, { ...base(), policy: { minimumStrength: { encryption: 'aes256-gcm' } } }))).toBe('STRENGTH_MISMATCH');
    });
    it('for an RSA key under 2048 bits, already when preparing a signer or recipient', () => {
      const weak = pki.issue({ path: '/ns/pay/sa/weak', keyType: 'rsa-1024' });
      expect(reasonOf(() => createSigner({ certificates: weak.chain, key: weak.key }))).toBe('STRENGTH_MISMATCH');
      expect(reasonOf(() => seal(payload, { qop: 'confidentiality', recipients: [weak.cert] }))).toBe('STRENGTH_MISMATCH');
    });
  });

  describe('SIZE_MISMATCH', () => {
    it('for an envelope over the limit', () => {
      expect(reasonOf(() => open(integrity(), { ...base(), maxEnvelopeBytes: 100 }))).toBe('SIZE_MISMATCH');
    });
    it('for a payload over the limit when sealing', () => {
      expect(reasonOf(() => seal(Buffer.alloc(1001), { qop: 'integrity', signer: signerObj(), maxPayloadBytes: 1000 }))).toBe('SIZE_MISMATCH');
    });
  });

  describe('CERTIFICATE_INVALID', () => {
    it('for a signer from a CA outside the trust bundle', () => {
      const foreign = stranger.issue({ path: '/ns/pay/sa/checkout', keyIndex: 5 });
      const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: foreign.chain, key: foreign.key }), destination });
      expect(reasonOf(() => open(envelope, base()))).toBe('CERTIFICATE_INVALID');
      expect(svidCodeOf(() => open(envelope, base()))).toBe('ERR_SVID_UNKNOWN_ISSUER');
    });
    it('for a signer of another trust domain', () => {
      const other = makeTestPki('other.example');
      const outsider = other.issue({ path: '/ns/pay/sa/checkout' });
      const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: outsider.chain, key: outsider.key }), destination });
      expect(svidCodeOf(() => open(envelope, base()))).toBe('ERR_SVID_WRONG_TRUST_DOMAIN');
    });
    it('for a signer certificate that breaks an X.509-SVID rule', () => {
      const broken = brokenLeaf('spiffe://example.org/ns/pay/sa/checkout', 'no-client-auth', { ca: pki.ca });
      const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: broken.chain, key: broken.key }), destination });
      expect(reasonOf(() => open(envelope, base()))).toBe('CERTIFICATE_INVALID');
      expect(svidCodeOf(() => open(envelope, base()))).toBe('ERR_SVID_EXTENDED_KEY_USAGE');
    });
    it('for a signer whose certificate had expired at the signing time', () => {
      const expired = pki.issue({ path: '/ns/pay/sa/checkout', keyIndex: 6, notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
      const s = createSigner({ certificates: expired.chain, key: expired.key });
      // seal itself refuses to sign with an expired certificate …
      expect(reasonOf(() => seal(payload, { qop: 'integrity', signer: s }))).toBe('CERTIFICATE_INVALID');
      // … so the envelope is built one level down, as another tool would.
      const envelope = encodeSignedData(payload, s, { signingTime: new Date(), destination: qshieldAttribute('qshieldDestination', encodeDestination(destination)), messageId: undefined });
      expect(reasonOf(() => open(envelope, base()))).toBe('CERTIFICATE_INVALID');
      expect(svidCodeOf(() => open(envelope, base()))).toBe('ERR_SVID_EXPIRED');
    });
    it('but not for a message signed while valid and opened after the certificate expired', () => {
      const shortLived = pki.issue({ path: '/ns/pay/sa/checkout', keyIndex: 7, notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
      const signedAt = new Date(Date.now() - 5 * DAY);
      const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: shortLived.chain, key: shortLived.key }), destination, clock: () => signedAt });
      expect(open(envelope, base()).signingTime?.getTime()).toBe(Math.floor(signedAt.getTime() / 1000) * 1000);
    });
    it('for a signing time in the future', () => {
      const envelope = seal(payload, { qop: 'integrity', signer: signerObj(), destination, clock: () => new Date(Date.now() + 3600_000) });
      expect(reasonOf(() => open(envelope, base()))).toBe('CERTIFICATE_INVALID');
    });
    it('for a signed message opened without a trust bundle', () => {
      expect(reasonOf(() => open(integrity(), { destination }))).toBe('CERTIFICATE_INVALID');
    });
  });
});

describe('seal refuses misuse', () => {
  it('with ERR_INVALID_ARGUMENT when the options do not fit the QoP', () => {
    const wrong = [
      () => seal(payload, { qop: 'integrity' }),
      () => seal(payload, { qop: 'privacy', signer: signerObj() }),
      () => seal(payload, { qop: 'confidentiality', recipients: [recipient.cert], signer: signerObj() }),
      () => seal(payload, { qop: 'bogus' as 'integrity', signer: signerObj() }),
      () => createSigner({ certificates: signer.chain, key: recipient.key }),
      () => createSigner({ certificates: signer.chain, key: signer.key, algorithm: 'rsa-pss-sha256' }),
      () => createKeyring([{ certificate: recipient.cert, key: signer.key }]),
      () => seal(payload, { qop: 'integrity', signer: signerObj(), destination: { queueManager: '', queue: 'Q' } }),
      () => seal(payload, { qop: 'integrity', signer: signerObj(), destination: { queueManager: 'QM', queue: 'Q'.repeat(256) } }),
      () => seal(payload, { qop: 'integrity', signer: signerObj(), messageId: Buffer.alloc(65) }),
      () => createSealingContext({ recipients: [recipient.cert], count: 0, maxAgeSeconds: 10 }),
      () => createSealingContext({ recipients: [recipient.cert], count: 10, maxAgeSeconds: 0 }),
      () => createSealingContext({ recipients: [], count: 10, maxAgeSeconds: 10 }),
    ];
    for (const fn of wrong) {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(hasCode(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});
