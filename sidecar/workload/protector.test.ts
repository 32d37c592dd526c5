import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { issueLeaf, makeCa, type TestLeaf } from '../../test/pki/index.ts';
import { buildMessageKeyring, type MessageKeyring } from './message-keyring.ts';
import type { PolicyInfo, ProtectionEntry } from './protection-cache.ts';
import { Protector } from './protector.ts';

const ca = makeCa({ trustDomain: 'example.org' });
const PRODUCER = 'spiffe://example.org/ns/app/sa/producer';
const CONSUMER = 'spiffe://example.org/ns/app/sa/consumer';
const DAY = 86_400_000;

function keyringOf(id: string, ...leaves: TestLeaf[]): MessageKeyring {
  const generations = new Map(leaves.map((l, i) => [i + 1, { cert: Buffer.from(l.chainPem), key: Buffer.from(l.keyPem) }] as const));
  return buildMessageKeyring('(test)', { generations, digest: id }, { spiffeId: id, trustBundle: ca.bundle });
}

const producerLeaf = issueLeaf(PRODUCER, { ca, ttlMs: 30 * DAY });
const consumerLeaf = issueLeaf(CONSUMER, { ca, ttlMs: 30 * DAY });
const otherLeaf = issueLeaf(CONSUMER, { ca, ttlMs: 30 * DAY });
const producer = new Protector({ keyring: () => keyringOf(PRODUCER, producerLeaf), trustBundle: () => ca.bundle });
const consumer = new Protector({ keyring: () => keyringOf(CONSUMER, consumerLeaf), trustBundle: () => ca.bundle });

function entryFor(qop: PolicyInfo['qualityOfProtection'] | undefined, extra: Partial<PolicyInfo> = {}, queue = 'Q1', recipients = [consumerLeaf]): ProtectionEntry {
  const policy: PolicyInfo | undefined = qop === undefined ? undefined : {
    name: 'p', qualityOfProtection: qop, authorizedSigners: qop === 'Integrity' || qop === 'Privacy' ? [PRODUCER] : [],
    recipients: qop === 'Privacy' || qop === 'Confidentiality' ? [CONSUMER] : [], toleration: false, ...extra,
  };
  const qops = { Integrity: 'integrity', Privacy: 'privacy', Confidentiality: 'confidentiality' } as const;
  return {
    qmgr: 'QM1', target: { queue }, revision: 'r1', policy, recipients: recipients.map((l) => l.cert), recipientError: undefined,
    recipientsKey: recipients.map((l) => l.cert.fingerprint256).join(','),
    openPolicy: policy === undefined || qop === 'None' ? undefined : { qop: qops[qop as keyof typeof qops], ...(policy.authorizedSigners.length > 0 ? { authorizedSigners: policy.authorizedSigners } : {}), toleration: policy.toleration },
    fetchedAt: Date.now(),
  };
}

describe('Protector', () => {
  it.each(['Integrity', 'Privacy', 'Confidentiality'] as const)('%s: what the producer seals, the consumer opens', (qop) => {
    const entry = entryFor(qop);
    const id = randomBytes(24);
    const sealed = producer.seal(entry, Buffer.from('payload'), id);
    expect(sealed.protected).toBe(true);
    const opened = consumer.open(entry, sealed.body, id);
    expect(opened.payload.toString()).toBe('payload');
    expect(opened.qop).toBe(qop.toLowerCase());
    if (qop !== 'Confidentiality') expect(opened.signer?.spiffeId).toBe(PRODUCER);
  });

  it('leaves messages of destinations without a policy (or QoP None) alone', () => {
    for (const entry of [entryFor(undefined), entryFor('None')]) {
      expect(producer.seal(entry, Buffer.from('plain'), randomBytes(24))).toEqual({ body: Buffer.from('plain'), protected: false });
      expect(consumer.opens(entry)).toBe(false);
    }
  });

  it('binds signed messages to their queue and message id', () => {
    const id = randomBytes(24);
    const sealed = producer.seal(entryFor('Privacy'), Buffer.from('x'), id);
    expect(() => consumer.open(entryFor('Privacy', {}, 'Q2'), sealed.body, id)).toThrow(expect.objectContaining({ reason: 'DESTINATION_MISMATCH' }));
    expect(() => consumer.open(entryFor('Privacy'), sealed.body, randomBytes(24))).toThrow(expect.objectContaining({ reason: 'DESTINATION_MISMATCH' }));
  });

  it('reuses one content key per recipient set under Confidentiality with key reuse, and a new one for another set', () => {
    const reuse = { keyReuse: { count: 10, maxAgeSeconds: 60 } };
    const a1 = producer.seal(entryFor('Confidentiality', reuse), Buffer.from('1'), randomBytes(24)).body;
    const a2 = producer.seal(entryFor('Confidentiality', reuse), Buffer.from('2'), randomBytes(24)).body;
    const b = producer.seal(entryFor('Confidentiality', reuse, 'Q1', [otherLeaf]), Buffer.from('3'), randomBytes(24)).body;
    // The RecipientInfos (the wrapped key) open the envelope: identical within a generation.
    const head = (e: Buffer) => e.subarray(0, 120).toString('hex');
    expect(head(a1)).toBe(head(a2));
    expect(head(b)).not.toBe(head(a1));
    expect(consumer.open(entryFor('Confidentiality', reuse), a2, randomBytes(24)).payload.toString()).toBe('2');
    const noReuse = [1, 2].map(() => head(producer.seal(entryFor('Confidentiality'), Buffer.from('n'), randomBytes(24)).body));
    expect(noReuse[0]).not.toBe(noReuse[1]);
  });

  it('refuses to seal when the recipients\' certificates could not be had', () => {
    const entry = { ...entryFor('Privacy'), recipientError: new AppError('ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE', 'none published') };
    expect(() => producer.seal(entry, Buffer.from('x'), randomBytes(24))).toThrow(expect.objectContaining({ code: 'ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE' }));
    // Integrity needs no recipients: it still seals.
    expect(producer.seal({ ...entryFor('Integrity'), recipientError: entry.recipientError }, Buffer.from('x'), randomBytes(24)).protected).toBe(true);
  });

  it('refuses a message signed by someone the policy does not authorize', () => {
    const intruder = new Protector({ keyring: () => keyringOf(CONSUMER, otherLeaf), trustBundle: () => ca.bundle });
    const id = randomBytes(24);
    const sealed = intruder.seal(entryFor('Integrity'), Buffer.from('forged'), id);
    expect(() => consumer.open(entryFor('Integrity'), sealed.body, id)).toThrow(expect.objectContaining({ reason: 'SIGNER_NOT_AUTHORIZED' }));
  });
});
