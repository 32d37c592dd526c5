import { beforeAll, describe, expect, it } from 'vitest';
import { createSealingContext, createSigner, seal } from '../../lib/envelope/index.ts';
import { compileProtectionPolicy, type ProtectionPolicyInput } from '../../lib/policy/index.ts';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { checkProtection, ProtectionRefusal } from './protection-check.ts';

let pki: TestPki;
let stranger: TestPki;
let signer: TestIdentity;
let other: TestIdentity;
let consumer: TestIdentity;
const TD = 'example.org';
const destination = { queueManager: 'QM1', queue: 'PROT.Q' };
const id = Buffer.from('0123456789abcdef01234567');
const idHex = id.toString('hex');
const body = Buffer.from('{"amount":1}');

beforeAll(() => {
  pki = makeTestPki();
  stranger = makeTestPki();
  signer = pki.issue({ path: '/ns/app/sa/signer' });
  other = pki.issue({ path: '/ns/app/sa/other', keyIndex: 2 });
  consumer = pki.issue({ path: '/ns/app/sa/consumer', keyIndex: 1 });
});

const policy = (p: Partial<ProtectionPolicyInput>) => compileProtectionPolicy({ name: 'p', queue: 'PROT.Q', qualityOfProtection: 'Integrity', toleration: false, ...p });
const signed = (who: TestIdentity, options: { queue?: string; messageId?: Buffer | null } = {}) => seal(body, {
  qop: 'integrity', signer: createSigner({ certificates: who.chain, key: who.key }),
  destination: { queueManager: 'QM1', queue: options.queue ?? 'PROT.Q' },
  ...(options.messageId === null ? {} : { messageId: options.messageId ?? id }),
});
/** `messageId` null: the caller chose no id. */
const check = (p: ReturnType<typeof policy>, bytes: Buffer, messageId: string | null = idHex) =>
  checkProtection({ policy: p, body: bytes, destination, messageId: messageId ?? undefined, trustBundle: pki.bundle });

function refusalOf(fn: () => unknown): ProtectionRefusal {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtectionRefusal) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('checkProtection: Integrity', () => {
  const integrity = () => policy({ authorizedSigners: [`spiffe://${TD}/ns/app/sa/signer`] });

  it('accepts a message signed by an authorized signer for this queue and id', () => {
    expect(check(integrity(), signed(signer))).toEqual({ found: 'integrity', signer: `spiffe://${TD}/ns/app/sa/signer` });
  });

  it('takes the signed message id when the caller gave none', () => {
    expect(check(integrity(), signed(signer), null)).toMatchObject({ boundMessageId: idHex });
  });

  it.each([
    ['a signer the policy does not list', () => signed(other), 'ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED'],
    ['a message signed for another queue', () => signed(signer, { queue: 'ELSEWHERE' }), 'ERR_ENVELOPE_DESTINATION_MISMATCH'],
    ['a message signed under another id', () => signed(signer, { messageId: Buffer.alloc(24, 7) }), 'ERR_ENVELOPE_DESTINATION_MISMATCH'],
    ['a signer of a CA the bundle does not hold', () => signed(stranger.issue({ path: '/ns/app/sa/signer', keyIndex: 3 })), 'ERR_ENVELOPE_CERTIFICATE_INVALID'],
    ['a tampered message', () => {
      const bytes = Buffer.from(signed(signer));
      const at = bytes.indexOf(body);
      bytes[at] = 0x5b;
      return bytes;
    }, 'ERR_ENVELOPE_SIGNATURE_INVALID'],
    ['an encrypted message', () => seal(body, { qop: 'confidentiality', recipients: [consumer.cert] }), 'ERR_ENVELOPE_QOP_MISMATCH'],
    ['bytes that begin like CMS and break', () => signed(signer).subarray(0, 40), 'ERR_ENVELOPE_MALFORMED'],
  ])('refuses %s', (_what, make, code) => {
    const refusal = refusalOf(() => check(integrity(), make()));
    expect(refusal.error.code).toBe(code);
    expect(refusal.notProtected).toBe(false);
  });

  it('names the signer it refused', () => {
    expect(refusalOf(() => check(integrity(), signed(other))).signer).toBe(`spiffe://${TD}/ns/app/sa/other`);
  });

  it('checks each message against its own policy object, however often the policies are used', () => {
    const forSigner = integrity();
    const forOther = policy({ authorizedSigners: [`spiffe://${TD}/ns/app/sa/other`] });
    const strongSignature = policy({ authorizedSigners: [`spiffe://${TD}/ns/app/sa/signer`], signatureAlgorithm: 'SHA512' });
    for (let i = 0; i < 3; i++) {
      expect(check(forSigner, signed(signer)).signer).toBe(`spiffe://${TD}/ns/app/sa/signer`);
      expect(refusalOf(() => check(forOther, signed(signer))).error.code).toBe('ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED');
      expect(check(forOther, signed(other)).signer).toBe(`spiffe://${TD}/ns/app/sa/other`);
      expect(refusalOf(() => check(strongSignature, signed(signer))).error.code).toBe('ERR_ENVELOPE_STRENGTH_MISMATCH');
    }
  });

  it('refuses a message without a message-id binding when the caller gave no id', () => {
    expect(refusalOf(() => check(integrity(), signed(signer, { messageId: null }), null)).error.code).toBe('ERR_ENVELOPE_DESTINATION_MISMATCH');
  });

  it('refuses a plain message as not protected, unless the policy tolerates it', () => {
    const refusal = refusalOf(() => check(integrity(), body));
    expect(refusal).toMatchObject({ notProtected: true, found: 'none' });
    expect(refusal.error.code).toBe('ERR_ENVELOPE_QOP_MISMATCH');
    expect(check(policy({ toleration: true }), body)).toEqual({ found: 'none' });
  });
});

describe('checkProtection: Privacy and Confidentiality', () => {
  const privacy = (encryptionAlgorithm: 'AES128GCM' | 'AES256GCM' = 'AES256GCM') => policy({
    qualityOfProtection: 'Privacy', encryptionAlgorithm, recipients: [`spiffe://${TD}/ns/app/sa/consumer`],
  });

  it('accepts an AuthEnvelopedData: the signer inside cannot be seen by the gateway', () => {
    const envelope = seal(body, { qop: 'privacy', signer: createSigner({ certificates: other.chain, key: other.key }), recipients: [consumer.cert], destination, messageId: id });
    expect(check(privacy(), envelope)).toEqual({ found: 'encrypted' });
  });

  it('refuses a signed-only message and a weaker cipher than the policy names', () => {
    expect(refusalOf(() => check(privacy(), signed(signer))).error.code).toBe('ERR_ENVELOPE_QOP_MISMATCH');
    const weak = seal(body, { qop: 'confidentiality', context: createSealingContext({ recipients: [consumer.cert], count: 2, maxAgeSeconds: 60, encryption: 'aes128-gcm' }) });
    expect(refusalOf(() => check(privacy(), weak)).error.code).toBe('ERR_ENVELOPE_STRENGTH_MISMATCH');
    expect(check(privacy('AES128GCM'), weak)).toEqual({ found: 'encrypted' });
  });

  it('does not look at the body of an unprotected queue', () => {
    expect(check(policy({ qualityOfProtection: 'None' }), Buffer.from([0x30, 0x80, 0xff]))).toEqual({ found: 'unchecked' });
  });
});
