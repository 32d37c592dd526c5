// End to end over real sockets and a real RabbitMQ: a producer's and a consumer's workload
// sidecar, each with its own SVID and message keyring, and one gateway. Every quality of
// protection round trip; every way a message can fail to open ending on the error queue with
// its reason (unauthorized signer, a byte flipped in the broker, sealed for someone else, moved
// to another queue, unprotected); key rotation with messages queued; protected pub/sub; leases;
// and a get acked only once the app has the whole response.
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeyring, createSigner, open, seal } from '../../lib/envelope/index.ts';
import { decodeErrorQueueMessage, ERROR_QUEUE, type ErrorQueueMessage } from '../../sidecar/error-queue/error-queue-message.ts';
import { RabbitMqBroker } from '../harness/rabbitmq.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { issueLeaf } from '../pki/index.ts';
import {
  appCall, leaseAckPath, leasePath, QM, queuePath, startDeployment, subscriptionPath, topicPath,
  type Deployment, type InProcessSidecar, type WorkloadFiles,
} from '../support/workload-fixture.ts';

const broker = new RabbitMqBroker(inject('rabbitmq'));
const QUEUES = ['Q.PLAIN', 'Q.INT', 'Q.PRIV', 'Q.CONF', 'Q.TOL', 'Q.BULK', 'Q.BIG', ERROR_QUEUE];

let d: Deployment;
let producer: WorkloadFiles;
let consumer: WorkloadFiles;
let intruder: WorkloadFiles;
let bystander: WorkloadFiles;
let ps: InProcessSidecar;
let cs: InProcessSidecar;
let is: InProcessSidecar;
let app: { producer: Pool; consumer: Pool; intruder: Pool };
let auditor: Pool;

beforeAll(async () => {
  await broker.deleteQueues(QUEUES);
  d = await startDeployment({ amqpUrl: broker.url });
  producer = d.addWorkload('producer', { config: { limits: { maxBodyBytes: 16_777_216 } } });
  consumer = d.addWorkload('consumer');
  // The intruder's app talks to its sidecar over a Unix socket.
  intruder = d.addWorkload('intruder', { config: { listen: { socketPath: 'app.sock' } } });
  bystander = d.addWorkload('bystander');
  [ps, cs, is] = await Promise.all([d.startSidecar(producer), d.startSidecar(consumer), d.startSidecar(intruder)]);
  app = { producer: new Pool(ps.url), consumer: new Pool(cs.url), intruder: new Pool('http://localhost', { socketPath: is.sidecar.socketPath as string }) };
  auditor = d.gatewayClient(issueLeaf('spiffe://example.org/ns/ops/sa/auditor', { ca: d.ca }));
});

afterAll(async () => {
  await Promise.allSettled(Object.values(app ?? {}).map((p) => p.destroy()));
  await d?.close();
  await broker.deleteQueues(QUEUES);
});

const put = (pool: Pool, queue: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  appCall(pool, 'POST', queuePath(queue), { body, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
const get = (pool: Pool, queue: string, waitMs = 0) => appCall(pool, 'DELETE', `${queuePath(queue)}${waitMs > 0 ? `?wait=${waitMs}` : ''}`);
const idOf = (reply: { headers: Record<string, unknown> }): string => String(reply.headers['ibm-mq-md-messageid']).replace(/^ID:/, '');

/** The next message of the error queue, read over REST by an operator identity. */
async function nextErrorMessage(waitMs = 2000): Promise<ErrorQueueMessage | undefined> {
  const reply = await appCall(auditor, 'DELETE', `${queuePath(ERROR_QUEUE)}?wait=${waitMs}`);
  if (reply.status === 204) return undefined;
  expect(reply.status).toBe(200);
  return decodeErrorQueueMessage(reply.body);
}

/** Takes the first message of a queue behind the gateway's back (AMQP), lets `change` alter it, and puts it back. */
async function tamper(queue: string, change: (content: Buffer) => Buffer, toQueue = queue): Promise<void> {
  const conn = await broker.connect();
  try {
    const ch = await conn.createChannel();
    let msg: Awaited<ReturnType<typeof ch.get>> = false;
    for (let i = 0; i < 50 && msg === false; i++) {
      msg = await ch.get(queue, { noAck: false });
      if (msg === false) await sleep(50);
    }
    if (msg === false) throw new Error(`no message on ${queue} to tamper with`);
    const p = msg.properties;
    const options = Object.fromEntries(Object.entries({
      messageId: p.messageId, correlationId: p.correlationId, deliveryMode: p.deliveryMode, priority: p.priority, contentType: p.contentType,
      timestamp: p.timestamp, headers: p.headers, replyTo: p.replyTo, expiration: p.expiration,
    }).filter(([, v]) => v !== undefined && v !== null));
    ch.sendToQueue(toQueue, change(Buffer.from(msg.content)), options);
    ch.ack(msg);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** The stored bytes of the first message of a queue, left in place. */
async function stored(queue: string): Promise<Buffer> {
  const conn = await broker.connect();
  try {
    const ch = await conn.createChannel();
    const msg = await ch.get(queue, { noAck: false });
    if (msg === false) throw new Error(`${queue} is empty`);
    const content = Buffer.from(msg.content);
    ch.nack(msg, false, true);
    await ch.close();
    return content;
  } finally {
    await conn.close();
  }
}

describe('each quality of protection, end to end', () => {
  it.each([
    ['Q.PLAIN', 'None'],
    ['Q.INT', 'Integrity'],
    ['Q.PRIV', 'Privacy'],
    ['Q.CONF', 'Confidentiality'],
  ])('%s (%s): the consumer gets what the producer put, and the broker holds what the policy demands', async (queue, qop) => {
    const text = `payment 42 for ${queue} ✓ ${randomBytes(4).toString('hex')}`;
    const correlationId = randomBytes(24).toString('hex');
    const putReply = await put(app.producer, queue, text, { 'ibm-mq-md-correlationId': `ID:${correlationId}`, 'ibm-mq-md-persistence': 'persistent', 'ibm-mq-md-priority': '4' });
    expect(putReply.status).toBe(201);
    const id = idOf(putReply);
    expect(id).toMatch(/^[0-9a-f]{48}$/);

    const raw = await stored(queue);
    if (qop === 'None') expect(raw.toString('utf8')).toBe(text);
    else {
      expect(raw[0]).toBe(0x30); // a DER ContentInfo
      expect(raw.length).toBeGreaterThan(Buffer.byteLength(text) + 32);
      // Integrity carries the content in clear (signed); the others never do.
      expect(raw.includes(Buffer.from(text))).toBe(qop === 'Integrity');
    }

    const got = await get(app.consumer, queue, 2000);
    expect(got.status).toBe(200);
    expect(got.text).toBe(text);
    expect(idOf(got)).toBe(id);
    expect(got.headers['ibm-mq-md-correlationid']).toBe(`ID:${correlationId}`);
    expect(got.headers['ibm-mq-md-persistence']).toBe('persistent');
    expect(got.headers['ibm-mq-md-priority']).toBe('4');
    expect(got.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await get(app.consumer, queue)).status).toBe(204);
  });

  it('carries binary payloads byte for byte under Privacy', async () => {
    const payload = randomBytes(64 * 1024);
    expect((await put(app.producer, 'Q.PRIV', payload, { 'content-type': 'application/octet-stream' })).status).toBe(201);
    const got = await get(app.consumer, 'Q.PRIV', 2000);
    expect(got.status).toBe(200);
    expect(got.body.equals(payload)).toBe(true);
    expect(got.headers['content-type']).toBe('application/octet-stream');
  });

  it('carries 200 messages of 64 KiB with 16 puts and 16 gets in flight at once, none lost or refused', async () => {
    const producerPool = new Pool(ps.url, { connections: 16 });
    const consumerPool = new Pool(cs.url, { connections: 16 });
    const sent = new Set<string>();
    let i = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (i < 200) {
        const n = i++;
        const body = Buffer.concat([Buffer.from(`${n}:`), randomBytes(64 * 1024)]);
        const r = await put(producerPool, 'Q.CONF', body, { 'content-type': 'application/octet-stream' });
        expect(r.status, r.text).toBe(201);
        sent.add(body.toString('base64'));
      }
    }));
    const got = new Set<string>();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (got.size < 200) {
        // No wait: gets that do not wait are the ones that could be pipelined.
        const r = await get(consumerPool, 'Q.CONF');
        if (r.status === 204) continue;
        expect(r.status, r.text).toBe(200);
        got.add(r.body.toString('base64'));
      }
    }));
    await Promise.all([producerPool.destroy(), consumerPool.destroy()]);
    expect(got).toEqual(sent);
  });

  it('seals Privacy for the consumer\'s message certificate and signs with the producer\'s (checked with lib/envelope)', async () => {
    const r = await put(app.producer, 'Q.PRIV', 'who may read this');
    const raw = await stored('Q.PRIV');
    const opened = open(raw, {
      keyring: createKeyring([{ certificate: consumer.generations.get(1)!.cert, key: consumer.generations.get(1)!.key }]),
      trustBundle: d.ca.bundle,
      destination: { queueManager: QM, queue: 'Q.PRIV' },
      messageId: Buffer.from(idOf(r), 'hex'),
      policy: { qop: 'privacy', authorizedSigners: [producer.spiffeId] },
    });
    expect(opened.payload.toString()).toBe('who may read this');
    expect(opened.signer?.spiffeId).toBe(producer.spiffeId);
    expect((await get(app.consumer, 'Q.PRIV')).text).toBe('who may read this');
  });
});

describe('messages that fail to open go to the error queue, never to the app', () => {
  it('a Privacy message signed by a workload the policy does not authorize', async () => {
    const bad = await put(app.intruder, 'Q.PRIV', 'forged payment order');
    expect(bad.status).toBe(201); // the gateway cannot see the signer inside the encryption
    const good = await put(app.producer, 'Q.PRIV', 'genuine payment order');

    const got = await get(app.consumer, 'Q.PRIV', 2000);
    expect(got.status).toBe(200);
    expect(got.text).toBe('genuine payment order');
    expect(idOf(got)).toBe(idOf(good));

    const e = await nextErrorMessage();
    expect(e?.header).toMatchObject({
      reason: 'signer-not-authorized', errorCode: 'ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED', reasonCode: 2063,
      destination: { qmgr: QM, queue: 'Q.PRIV' },
      policy: { name: 'priv', qualityOfProtection: 'Privacy', revision: 'e2e/1' },
      original: { messageId: `ID:${idOf(bad)}`, persistence: 'nonPersistent', contentType: 'text/plain; charset=utf-8' },
      detectedBy: { spiffeId: consumer.spiffeId, operation: 'get' },
    });
    expect(e?.header.explanation).toContain(intruder.spiffeId);
    expect(e?.body.length).toBe(e?.header.original.size);
    expect(e?.body[0]).toBe(0x30); // the original envelope, unchanged

    const events = cs.events('protection-violation');
    expect(events.at(-1)).toMatchObject({ event: { code: 'signer-not-authorized' }, qshield: { queue: 'Q.PRIV', message_id: idOf(bad), protection: { disposition: 'quarantined', error_queue: ERROR_QUEUE, policy: 'priv' } } });
  });

  it('the gateway itself refuses an Integrity put by an unauthorized signer (2035/2063 before any queue)', async () => {
    const refused = await put(app.intruder, 'Q.INT', 'not mine to sign');
    expect(refused.status).toBe(403);
    expect(refused.headers['qshield-error-code']).toBe('ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED');
    expect((refused.json as { error: { reasonCode: number }[] }).error[0]?.reasonCode).toBe(2063);
  });

  it('a byte flipped in the broker: Privacy fails decryption, Integrity fails its signature', async () => {
    const priv = await put(app.producer, 'Q.PRIV', 'amount: 100.00');
    await tamper('Q.PRIV', (c) => {
      c[c.length - 24] = (c[c.length - 24] as number) ^ 0x01; // inside the ciphertext
      return c;
    });
    expect((await get(app.consumer, 'Q.PRIV', 500)).status).toBe(204);
    expect((await nextErrorMessage())?.header).toMatchObject({ reason: 'decryption-failed', errorCode: 'ERR_ENVELOPE_DECRYPTION_FAILED', original: { messageId: `ID:${idOf(priv)}` } });

    const text = 'amount: 100.00';
    await put(app.producer, 'Q.INT', text);
    await tamper('Q.INT', (c) => {
      const at = c.indexOf(Buffer.from(text));
      c[at + 8] = '9'.charCodeAt(0); // 100.00 → 900.00
      return c;
    });
    expect((await get(app.consumer, 'Q.INT', 500)).status).toBe(204);
    expect((await nextErrorMessage())?.header).toMatchObject({ reason: 'signature-invalid', destination: { queue: 'Q.INT' } });
  });

  it('a signed message moved to another queue is refused where it is found', async () => {
    await put(app.producer, 'Q.INT', 'for Q.INT only');
    await tamper('Q.INT', (c) => c, 'Q.TOL');
    expect((await get(app.consumer, 'Q.TOL', 500)).status).toBe(204);
    expect((await nextErrorMessage())?.header).toMatchObject({ reason: 'destination-mismatch', destination: { queue: 'Q.TOL' }, policy: { name: 'tol' } });
  });

  it('a message sealed for another recipient fails to open (the consumer holds no key for it)', async () => {
    const messageId = randomBytes(24);
    const producerKey = producer.generations.get(1)!;
    const envelope = seal(Buffer.from('for the bystander'), {
      qop: 'privacy', signer: createSigner({ certificates: producerKey.chain, key: producerKey.key }),
      recipients: [bystander.generations.get(1)!.cert], destination: { queueManager: QM, queue: 'Q.PRIV' }, messageId,
    });
    const gw = d.gatewayClient(producer.svid);
    const res = await gw.request({
      method: 'POST', path: queuePath('Q.PRIV'), body: envelope,
      headers: { 'ibm-mq-rest-csrf-token': 'x', 'content-type': 'application/pkcs7-mime', 'ibm-mq-md-messageId': `ID:${messageId.toString('hex')}` },
    });
    await res.body.dump();
    expect(res.statusCode).toBe(201);
    expect((await get(app.consumer, 'Q.PRIV', 500)).status).toBe(204);
    expect((await nextErrorMessage())?.header).toMatchObject({ reason: 'not-a-recipient', errorCode: 'ERR_ENVELOPE_NOT_A_RECIPIENT', original: { messageId: `ID:${messageId.toString('hex')}` } });
  });

  it('an unprotected message slipped into a protected queue behind the gateway; toleration lets one through where the policy says so', async () => {
    await put(app.producer, 'Q.PLAIN', 'plain text');
    await tamper('Q.PLAIN', (c) => c, 'Q.PRIV');
    expect((await get(app.consumer, 'Q.PRIV', 500)).status).toBe(204);
    expect((await nextErrorMessage())?.header).toMatchObject({ reason: 'qop-mismatch', destination: { queue: 'Q.PRIV' } });

    const gw = d.gatewayClient(producer.svid);
    const res = await gw.request({ method: 'POST', path: queuePath('Q.TOL'), body: 'legacy unsigned', headers: { 'ibm-mq-rest-csrf-token': 'x' } });
    await res.body.dump();
    expect(res.statusCode).toBe(201);
    const got = await get(app.consumer, 'Q.TOL', 500);
    expect(got.text).toBe('legacy unsigned');
    expect(cs.logs.lines.some((l) => l.msg === 'unprotected message accepted by the policy\'s toleration' && l.queue === 'Q.TOL')).toBe(true);
    expect(await nextErrorMessage(100)).toBeUndefined();
  });

  it('a browse skips a bad message without removing it; the next get moves it aside', async () => {
    const bad = await put(app.intruder, 'Q.PRIV', 'forged');
    await put(app.producer, 'Q.PRIV', 'genuine');
    const browsed = await appCall(app.consumer, 'GET', queuePath('Q.PRIV'));
    expect(browsed.status).toBe(200);
    expect(browsed.text).toBe('genuine');
    const list = await appCall(app.consumer, 'GET', queuePath('Q.PRIV', 'messagelist'));
    expect((list.json as { messages: unknown[] }).messages).toHaveLength(2);
    expect(cs.events('protection-violation').at(-1)).toMatchObject({ qshield: { operation: 'browse', message_id: idOf(bad), protection: { disposition: 'refused' } } });
    expect((await get(app.consumer, 'Q.PRIV')).text).toBe('genuine');
    expect((await nextErrorMessage())?.header.original.messageId).toBe(`ID:${idOf(bad)}`);
  });
});

describe('key rotation never strands a queued message', () => {
  it('messages sealed for the old generation and signed by the old key open after both workloads rotate', async () => {
    const before: string[] = [];
    for (let i = 0; i < 5; i++) {
      before.push(`priv-before-${i}`);
      await put(app.producer, 'Q.PRIV', `priv-before-${i}`);
      await put(app.producer, 'Q.CONF', `conf-before-${i}`);
    }
    // The consumer's keyring gains generation 2 and its certificate is published; the producer rotates its signing key.
    d.addGeneration(consumer, 2);
    d.addGeneration(producer, 2);
    const deadline = Date.now() + 15_000;
    while (cs.sidecar.keyring().current.generation !== 2 || ps.sidecar.keyring().current.generation !== 2) {
      if (Date.now() > deadline) throw new Error('the keyrings did not reload');
      await sleep(50);
    }
    // Wait out the producer's policy cache (1 s): its next seals are for generation 2.
    await sleep(1200);
    for (let i = 0; i < 5; i++) {
      await put(app.producer, 'Q.PRIV', `priv-after-${i}`);
      await put(app.producer, 'Q.CONF', `conf-after-${i}`);
    }
    // The newest message is sealed for generation 2 only.
    const conn = await broker.connect();
    const ch = await conn.createChannel();
    const all: Buffer[] = [];
    for (;;) {
      const m = await ch.get('Q.CONF', { noAck: false });
      if (m === false) break;
      all.push(Buffer.from(m.content));
    }
    await ch.recover(); // everything back on the queue, in order
    await ch.close();
    await conn.close();
    const last = all.at(-1) as Buffer;
    const gen = (n: number) => createKeyring([{ certificate: consumer.generations.get(n)!.cert, key: consumer.generations.get(n)!.key }]);
    expect(() => open(last, { keyring: gen(1), policy: { qop: 'confidentiality' } })).toThrow(expect.objectContaining({ reason: 'NOT_A_RECIPIENT' }));
    expect(open(last, { keyring: gen(2), policy: { qop: 'confidentiality' } }).payload.toString()).toBe('conf-after-4');

    const got: string[] = [];
    for (const q of ['Q.PRIV', 'Q.CONF']) {
      for (;;) {
        const r = await get(app.consumer, q, 200);
        if (r.status === 204) break;
        got.push(r.text);
      }
    }
    expect(got).toEqual([
      ...before, ...[0, 1, 2, 3, 4].map((i) => `priv-after-${i}`),
      ...[0, 1, 2, 3, 4].map((i) => `conf-before-${i}`), ...[0, 1, 2, 3, 4].map((i) => `conf-after-${i}`),
    ]);
    expect(await nextErrorMessage(100)).toBeUndefined();
    expect(cs.events('identity-rotated').some((e) => (e.qshield as { identity?: { kind?: string } }).identity?.kind === 'message-keyring')).toBe(true);
  });
});

describe('protected publish/subscribe', () => {
  it('publications are sealed for the subscriber, opened by its sidecar; a forged one goes to the error queue', async () => {
    const res = await app.consumer.request({ method: 'GET', path: subscriptionPath('prices/%23') });
    expect(res.statusCode).toBe(200);
    const lines = createInterface({ input: res.body, crlfDelay: Infinity })[Symbol.asyncIterator]();
    await sleep(200); // the subscription exists once the headers are out; give the binding a moment
    const pub = (pool: Pool, topic: string, text: string) => appCall(pool, 'POST', topicPath(topic), { body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    expect((await pub(app.producer, 'prices/fx', 'EURUSD 1.0842')).status).toBe(201);
    expect((await pub(app.intruder, 'prices/fx', 'EURUSD 9.9999')).status).toBe(201);
    expect((await pub(app.producer, 'prices/equity/ibm', 'IBM 251.10')).status).toBe(201);
    const received: { topic: string; text: string }[] = [];
    while (received.length < 2) {
      const next = await lines.next();
      if (next.done === true) break;
      const line = JSON.parse(next.value) as { topic: string; body: string };
      received.push({ topic: line.topic, text: Buffer.from(line.body, 'base64').toString('utf8') });
    }
    res.body.destroy();
    expect(received).toEqual([{ topic: 'prices/fx', text: 'EURUSD 1.0842' }, { topic: 'prices/equity/ibm', text: 'IBM 251.10' }]);
    expect((await nextErrorMessage())?.header).toMatchObject({ reason: 'signer-not-authorized', destination: { qmgr: QM, topic: 'prices/fx' }, detectedBy: { operation: 'subscribe' } });
  });
});

describe('delivery: acks after the app has the whole response; leases', () => {
  it('a get whose app goes away in the middle of the response leaves the message on the queue', async () => {
    // Larger than the kernel's socket buffers on both ends (4 MiB each at most here), so the
    // response cannot be written in full while the app reads nothing.
    const big = randomBytes(12 * 1024 * 1024);
    const r = await put(app.producer, 'Q.BIG', big, { 'content-type': 'application/octet-stream' });
    expect(r.status).toBe(201);
    const url = new URL(cs.url);
    const socket = netConnect({ host: url.hostname, port: Number(url.port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // read nothing: the answer cannot leave the sidecar's buffers
    socket.write(`DELETE ${queuePath('Q.BIG')} HTTP/1.1\r\nhost: localhost\r\nibm-mq-rest-csrf-token: x\r\n\r\n`);
    await sleep(1000);
    socket.destroy();
    await sleep(300);
    const again = await get(app.consumer, 'Q.BIG', 2000);
    expect(again.status).toBe(200);
    expect(idOf(again)).toBe(idOf(r));
    expect(again.body.equals(big)).toBe(true);
  });

  it('gets back to back carry their acks on the next lease request: one exchange per message, nothing left held', async () => {
    const sum = async (adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> => {
      const text = await (await fetch(`${adminUrl}/metrics`)).text();
      return parsePrometheusText(text).samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((total, s) => total + s.value, 0);
    };
    const gatewayRequests = (operation: string) => sum(d.gateway.observability.admin.url, 'qshield_requests_total', { operation });
    const settleFailures = () => sum(cs.sidecar.adminUrl, 'qshield_sidecar_lease_settle_failures_total');
    const leasesHeld = () => sum(d.gateway.observability.admin.url, 'qshield_leases_held');
    const failuresBefore = await settleFailures();
    const leasesBefore = await leasesHeld();
    const n = 20;
    for (let i = 0; i < n; i++) expect((await put(app.producer, 'Q.PLAIN', `ack ride ${i}`)).status).toBe(201);
    const [otherBefore, getsBefore] = [await gatewayRequests('other'), await gatewayRequests('get')];
    for (let i = 0; i < n; i++) expect((await get(app.consumer, 'Q.PLAIN')).text).toBe(`ack ride ${i}`);
    const last = await get(app.consumer, 'Q.PLAIN'); // carries the 20th ack
    expect(last.status).toBe(204);
    await sleep(200); // past the linger: anything still waiting went alone
    expect(await gatewayRequests('get') - getsBefore).toBe(n + 1);
    // Acks and releases are the gateway's "other" requests: without the ride there would be n.
    expect(await gatewayRequests('other') - otherBefore).toBeLessThanOrEqual(2);
    // Every carried ack was settled: the gateway named none as failed and holds none of the leases.
    expect(await settleFailures() - failuresBefore).toBe(0);
    expect(await leasesHeld()).toBe(leasesBefore);
  });

  it('a lease hides the message until it expires, then it returns; an acked lease removes it', async () => {
    const r = await put(app.producer, 'Q.CONF', 'process me once');
    const leased = await appCall(app.consumer, 'POST', leasePath('Q.CONF', '?visibility=1000'));
    expect(leased.status).toBe(200);
    expect(leased.text).toBe('process me once');
    const leaseId = String(leased.headers['qshield-lease-id']);
    expect(Date.parse(String(leased.headers['qshield-lease-expires']))).toBeGreaterThan(Date.now());
    expect((await get(app.consumer, 'Q.CONF')).status).toBe(204);
    await sleep(1500);
    const expired = await appCall(app.consumer, 'DELETE', leaseAckPath(leaseId));
    expect(expired.status).toBe(409);
    expect(expired.headers['qshield-error-code']).toBe('ERR_LEASE_EXPIRED');

    const again = await appCall(app.consumer, 'POST', leasePath('Q.CONF', '?visibility=5000'));
    expect(idOf(again)).toBe(idOf(r));
    const ack = await appCall(app.consumer, 'DELETE', leaseAckPath(String(again.headers['qshield-lease-id'])));
    expect(ack.status).toBe(204);
    expect((await get(app.consumer, 'Q.CONF')).status).toBe(204);
    expect((await appCall(app.consumer, 'DELETE', leaseAckPath(String(again.headers['qshield-lease-id'])))).status).toBe(404);
    // A lease of another workload is unknown to everyone else.
    const third = await put(app.producer, 'Q.CONF', 'mine');
    const mine = await appCall(app.consumer, 'POST', leasePath('Q.CONF', '?visibility=5000'));
    expect(idOf(mine)).toBe(idOf(third));
    expect((await appCall(app.producer, 'DELETE', leaseAckPath(String(mine.headers['qshield-lease-id'])))).status).toBe(404);
    expect((await appCall(app.consumer, 'DELETE', leaseAckPath(String(mine.headers['qshield-lease-id'])))).status).toBe(204);
  });
});
