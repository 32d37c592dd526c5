import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { EnvelopeError, createSealingContext, createSigner, inspect, seal } from './index.ts';

let pki: TestPki;
let signer: TestIdentity;
let recipient: TestIdentity;
let rsaRecipient: TestIdentity;
const destination = { queueManager: 'PAYMENTS', queue: 'PAY.REQUEST' };
const payload = Buffer.from('{"amount":"12.50"}');

beforeAll(() => {
  pki = makeTestPki();
  signer = pki.issue({ path: '/ns/pay/sa/checkout' });
  recipient = pki.issue({ path: '/ns/pay/sa/settle-engine', keyIndex: 1 });
  rsaRecipient = pki.issue({ path: '/ns/pay/sa/settle-legacy', keyType: 'rsa-2048' });
});

describe('inspect', () => {
  it('calls plain bytes unprotected', () => {
    expect(inspect(payload)).toEqual({ kind: 'none' });
    expect(inspect(Buffer.alloc(0))).toEqual({ kind: 'none' });
  });

  it('sees an Integrity envelope as signed', () => {
    const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: signer.chain, key: signer.key }), destination });
    expect(inspect(envelope)).toEqual({ kind: 'signed' });
  });

  it('sees Privacy and Confidentiality alike, as encrypted, with their encryption and recipient count', () => {
    const privacy = seal(payload, { qop: 'privacy', signer: createSigner({ certificates: signer.chain, key: signer.key }), recipients: [recipient.cert, rsaRecipient.cert], destination });
    expect(inspect(privacy)).toEqual({ kind: 'encrypted', encryption: 'aes256-gcm', recipients: 2 });
    const context = createSealingContext({ recipients: [recipient.cert], count: 4, maxAgeSeconds: 60, encryption: 'aes128-gcm' });
    const confidentiality = seal(payload, { qop: 'confidentiality', context });
    expect(inspect(confidentiality)).toEqual({ kind: 'encrypted', encryption: 'aes128-gcm', recipients: 1 });
  });

  it('refuses an envelope that begins like CMS and then breaks as MALFORMED', () => {
    const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: signer.chain, key: signer.key }), destination });
    const cut = envelope.subarray(0, envelope.length - 10);
    expect(() => inspect(cut)).toThrow(expect.objectContaining({ reason: 'MALFORMED' }));
  });

  it('refuses bytes over the limit before reading them', () => {
    expect(() => inspect(randomBytes(100), { maxEnvelopeBytes: 99 })).toThrow(expect.objectContaining({ reason: 'SIZE_MISMATCH' }));
  });

  it('only ever returns an inspection or throws an EnvelopeError, whatever the bytes', () => {
    const base = seal(payload, { qop: 'privacy', signer: createSigner({ certificates: signer.chain, key: signer.key }), recipients: [recipient.cert], destination });
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
        const copy = Buffer.from(base);
        copy[i] = v;
        return copy;
      }),
    ), (bytes) => {
      try {
        const result = inspect(bytes);
        expect(['none', 'signed', 'encrypted']).toContain(result.kind);
      } catch (err) {
        expect(err).toBeInstanceOf(EnvelopeError);
      }
    }), { numRuns: 500 });
  });
});
