// Protection policies enforced by the gateway on puts, over the wire: envelopes made by the
// real lib/envelope with SVIDs from the real CA; what the gateway refuses (wrong QoP, an
// unlisted signer, a message bound to another queue or id, an unprotected message) and what it
// lets through (tolerated plain messages, Privacy envelopes it cannot open), each refusal an event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, open, seal } from '../../lib/envelope/index.ts';
import { issueLeaf, type TestLeaf } from '../pki/index.ts';
import { app, call, Q, startGatewayFixture, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
let producer: TestLeaf;
let signer: TestLeaf;
let impostor: TestLeaf;
let consumer: TestLeaf;
const payload = Buffer.from('{"pay":"12.50 EUR"}');
const idHex = '5eed'.repeat(12);
const idBytes = Buffer.from(idHex, 'hex');
const octets = { 'content-type': 'application/octet-stream' };

beforeAll(async () => {
  gw = await startGatewayFixture();
  producer = issueLeaf(app('producer'));
  signer = issueLeaf(app('signer'));
  impostor = issueLeaf(app('impostor'));
  consumer = issueLeaf(app('consumer'));
});
afterAll(async () => {
  await gw?.close();
});

const integrity = (who: TestLeaf, queue: string, messageId: Buffer = idBytes) =>
  seal(payload, { qop: 'integrity', signer: createSigner({ certificates: who.chain, key: who.key }), destination: { queueManager: 'QM1', queue }, messageId });
const violation = () => gw.events('protection-violation').at(-1) as Record<string, Record<string, unknown>> | undefined;

describe('an Integrity queue', () => {
  it('takes a message signed by an authorized signer for it, and hands back the same bytes', async () => {
    const c = gw.client(producer);
    const envelope = integrity(signer, 'PROT.INT');
    const put = await call(c, 'POST', Q('PROT.INT'), { body: envelope, headers: { ...octets, 'ibm-mq-md-messageId': `ID:${idHex}` } });
    expect(put.status).toBe(201);
    const got = await call(c, 'DELETE', Q('PROT.INT'));
    expect(got.body.equals(envelope)).toBe(true);
    const id = Buffer.from((got.headers['ibm-mq-md-messageid'] as string).slice(3), 'hex');
    const opened = open(got.body, { trustBundle: gw.ca.bundle, destination: { queueManager: 'QM1', queue: 'PROT.INT' }, messageId: id, policy: { qop: 'integrity' } });
    expect(opened.payload.equals(payload)).toBe(true);
  });

  it('stores a message without a caller id under the id its signature binds', async () => {
    const c = gw.client(producer);
    const bound = Buffer.alloc(24, 0x42);
    const put = await call(c, 'POST', Q('PROT.INT'), { body: integrity(signer, 'PROT.INT', bound), headers: octets });
    expect(put.headers['ibm-mq-md-messageid']).toBe(`ID:${bound.toString('hex')}`);
    expect((await call(c, 'DELETE', Q('PROT.INT'))).headers['ibm-mq-md-messageid']).toBe(`ID:${bound.toString('hex')}`);
  });

  it.each([
    ['an unprotected message', () => payload, 'not-protected', 'ERR_ENVELOPE_QOP_MISMATCH', 403],
    ['a message signed by a workload the policy does not list', () => integrity(impostor, 'PROT.INT'), 'signer-not-authorized', 'ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED', 403],
    ['a message signed for another queue', () => integrity(signer, 'APP.IN'), 'destination-mismatch', 'ERR_ENVELOPE_DESTINATION_MISMATCH', 403],
    ['a message signed under another message id', () => integrity(signer, 'PROT.INT', Buffer.alloc(24, 1)), 'destination-mismatch', 'ERR_ENVELOPE_DESTINATION_MISMATCH', 403],
    ['an encrypted message', () => seal(payload, { qop: 'confidentiality', recipients: [consumer.cert] }), 'qop-mismatch', 'ERR_ENVELOPE_QOP_MISMATCH', 403],
    ['garbage that begins like CMS', () => Buffer.concat([integrity(signer, 'PROT.INT').subarray(0, 60), Buffer.alloc(20)]), 'envelope-malformed', 'ERR_ENVELOPE_MALFORMED', 400],
  ])('refuses %s (2063) with an event, and stores nothing', async (_what, make, code, errorCode, status) => {
    const c = gw.client(producer);
    const reply = await call(c, 'POST', Q('PROT.INT'), { body: make(), headers: { ...octets, 'ibm-mq-md-messageId': `ID:${idHex}` } });
    expect(reply.status).toBe(status);
    expect(reply.headers['qshield-error-code']).toBe(errorCode);
    expect(((reply.json as { error: { reasonCode: number }[] }).error[0])?.reasonCode).toBe(2063);
    expect(violation()).toMatchObject({
      event: { code, kind: 'alert' }, error: { code: errorCode },
      qshield: { queue: 'PROT.INT', operation: 'put', message_id: idHex, reason_code: 2063, protection: { disposition: 'refused', policy: 'int', required_qop: 'Integrity' } },
    });
    expect((await call(c, 'DELETE', Q('PROT.INT'))).status).toBe(204);
  });

  it('names the refused signer in the event', async () => {
    await call(gw.client(producer), 'POST', Q('PROT.INT'), { body: integrity(impostor, 'PROT.INT'), headers: octets });
    expect((violation()?.qshield as { protection: { signer: string } }).protection.signer).toBe(app('impostor'));
  });

  it('lets plain messages through where the policy tolerates them', async () => {
    const c = gw.client(producer);
    expect((await call(c, 'POST', Q('PROT.TOLERANT'), { body: 'plain during migration' })).status).toBe(201);
    expect((await call(c, 'POST', Q('PROT.TOLERANT'), { body: integrity(impostor, 'PROT.TOLERANT'), headers: octets })).status).toBe(201);
    expect((await call(c, 'DELETE', Q('PROT.TOLERANT'))).text).toBe('plain during migration');
    await call(c, 'DELETE', Q('PROT.TOLERANT'));
  });
});

describe('a Privacy queue', () => {
  it('takes an encrypted envelope whose signer it cannot see, and refuses a signed-only one', async () => {
    const c = gw.client(producer);
    // Signed by an impostor inside the encryption: only the consumer's sidecar can find that out.
    const envelope = seal(payload, { qop: 'privacy', signer: createSigner({ certificates: impostor.chain, key: impostor.key }), recipients: [consumer.cert], destination: { queueManager: 'QM1', queue: 'PROT.PRIV' }, messageId: idBytes });
    expect((await call(c, 'POST', Q('PROT.PRIV'), { body: envelope, headers: { ...octets, 'ibm-mq-md-messageId': `ID:${idHex}` } })).status).toBe(201);
    const refused = await call(c, 'POST', Q('PROT.PRIV'), { body: integrity(signer, 'PROT.PRIV'), headers: octets });
    expect(refused.status).toBe(403);
    expect(violation()).toMatchObject({ event: { code: 'qop-mismatch' }, qshield: { protection: { required_qop: 'Privacy', found_qop: 'integrity' } } });
    const got = await call(c, 'DELETE', Q('PROT.PRIV'));
    expect(got.body.equals(envelope)).toBe(true);
  });
});

describe('denials are counted', () => {
  it('counts protection violations by code in qshield_denials_total', async () => {
    const text = await gw.running.observability.registry.metrics();
    expect(text).toMatch(/qshield_denials_total\{reason="signer-not-authorized"\} [1-9]/);
    expect(text).toMatch(/qshield_denials_total\{reason="not-protected"\} [1-9]/);
  });
});
