// The gateway in front of a real RabbitMQ (the harness's node), configured as a deployment
// would be (amqp URL without credentials, credentials from files): round trips with the MQ
// REST API, settling of gets against real acks, and a broker restart mid-traffic: prompt 503s
// while it is away, /readyz not ready, then recovery with no confirmed message lost.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RabbitMqBroker } from '../harness/rabbitmq.ts';
import { issueLeaf, type TestLeaf } from '../pki/index.ts';
import { app, call, Q, rawGatewaySocket, startGatewayFixture, testBundle, type GatewayFixture } from '../support/gateway-fixture.ts';

const broker = new RabbitMqBroker(inject('rabbitmq'));
const QUEUES = (testBundle() as { queues: { name: string }[] }).queues.map((q) => q.name);
let gw: GatewayFixture;
let producer: TestLeaf;
let secrets: string;
let brokerConfig: Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await broker.deleteQueues(QUEUES);
  secrets = mkdtempSync(join(tmpdir(), 'qshield-amqp-secrets-'));
  const url = new URL(broker.url);
  writeFileSync(join(secrets, 'username'), `${decodeURIComponent(url.username)}\n`);
  writeFileSync(join(secrets, 'password'), `${decodeURIComponent(url.password)}\n`);
  url.username = '';
  url.password = '';
  brokerConfig = { driver: 'amqp', url: url.toString(), usernameFile: join(secrets, 'username'), passwordFile: join(secrets, 'password'), operationTimeout: '5s' };
  gw = await startGatewayFixture({ config: { broker: brokerConfig } });
  producer = issueLeaf(app('producer'));
  const end = Date.now() + 30_000;
  while (!gw.running.gateway.readiness().ok && Date.now() < end) await sleep(50);
});
afterAll(async () => {
  await gw?.close();
  await broker.ensureRunning();
  await broker.deleteQueues(QUEUES);
  rmSync(secrets, { recursive: true, force: true });
});

describe('the MQ REST API over RabbitMQ', () => {
  it('round-trips persistent and non-persistent messages with their descriptors', async () => {
    const c = gw.client(producer);
    const corr = `ID:${'0a'.repeat(24)}`;
    const put = await call(c, 'POST', Q('APP.IN'), { body: 'durable', headers: { 'ibm-mq-md-persistence': 'persistent', 'ibm-mq-md-correlationId': corr, 'ibm-mq-md-priority': '3' } });
    expect(put.status).toBe(201);
    expect((await call(c, 'POST', Q('APP.IN'), { body: 'fleeting' })).status).toBe(201);
    const first = await call(c, 'DELETE', Q('APP.IN'));
    expect(first.text).toBe('durable');
    expect(first.headers).toMatchObject({ 'ibm-mq-md-messageid': put.headers['ibm-mq-md-messageid'], 'ibm-mq-md-correlationid': corr, 'ibm-mq-md-persistence': 'persistent' });
    expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('fleeting');
    expect((await call(c, 'DELETE', Q('APP.IN'))).status).toBe(204);
  });

  it('selects by correlation id, browses, lists and long-polls', async () => {
    const c = gw.client(producer, { connections: 2 });
    for (const n of [1, 2, 3]) await call(c, 'POST', Q('APP.OUT'), { body: `m${n}`, headers: { 'ibm-mq-md-correlationId': `ID:${String(n).repeat(48)}` } });
    expect((await call(c, 'DELETE', `${Q('APP.OUT')}?correlationId=ID:${'2'.repeat(48)}`)).text).toBe('m2');
    expect((await call(c, 'GET', Q('APP.OUT'))).text).toBe('m1');
    const list = await call(c, 'GET', '/ibmmq/rest/v3/messaging/qmgr/QM1/queue/APP.OUT/messagelist');
    expect((list.json as { messages: unknown[] }).messages).toHaveLength(2);
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('m1');
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('m3');
    const waiting = call(c, 'DELETE', `${Q('APP.OUT')}?wait=5000`);
    await sleep(200);
    await call(c, 'POST', Q('APP.OUT'), { body: 'arrived' });
    expect((await waiting).text).toBe('arrived');
  });

  it('stores a retried put with the same message id once', async () => {
    const c = gw.client(producer, { connections: 3 });
    const id = `ID:${'be'.repeat(24)}`;
    const replies = await Promise.all(Array.from({ length: 6 }, () => call(c, 'POST', Q('APP.IN'), { body: 'one', headers: { 'ibm-mq-md-messageId': id, 'ibm-mq-md-persistence': 'persistent' } })));
    expect(replies.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect((await call(c, 'DELETE', Q('APP.IN'))).headers['ibm-mq-md-messageid']).toBe(id);
    expect((await call(c, 'DELETE', Q('APP.IN'))).status).toBe(204);
  });

  it('publishes to a topic through the topic exchange', async () => {
    const subscription = await gw.driver.subscribe('prices/#');
    const put = await call(gw.client(producer), 'POST', '/ibmmq/rest/v3/messaging/qmgr/QM1/topic/prices/fx/message', { body: '1.09' });
    expect(put.status).toBe(201);
    const { value } = await subscription[Symbol.asyncIterator]().next();
    expect(value?.message.body.toString()).toBe('1.09');
    await value?.ack();
    await subscription.close();
  });

  it('returns a message to the queue when the client disconnects in the middle of the response', async () => {
    const c = gw.client(producer);
    const big = Buffer.alloc(4 * 1024 * 1024 - 1, 0x71);
    expect((await call(c, 'POST', Q('APP.OUT'), { body: big, headers: { 'content-type': 'application/octet-stream', 'ibm-mq-md-persistence': 'persistent' } })).status).toBe(201);
    await abandonGetMidResponse(gw, 'APP.OUT');
    // The gateway releases it once it sees the socket gone; a waiting get is woken by that.
    const again = await call(c, 'DELETE', `${Q('APP.OUT')}?wait=60000`);
    expect(again.status).toBe(200);
    expect(again.body.equals(big)).toBe(true);
  });
});

describe('reading ahead', () => {
  let ahead: GatewayFixture;
  beforeAll(async () => {
    ahead = await startGatewayFixture({ config: { broker: { ...brokerConfig, readAhead: { prefetch: 4, hotGetsPerSecond: 1, idle: '300ms' } } } });
    const end = Date.now() + 30_000;
    while (!ahead.running.gateway.readiness().ok && Date.now() < end) await sleep(50);
  });
  afterAll(async () => {
    await ahead?.close();
  });

  it('returns a message to its place when the client disconnects in the middle of the response', async () => {
    const c = ahead.client(producer);
    const big = Buffer.alloc(4 * 1024 * 1024 - 1, 0x72);
    for (const body of [Buffer.from('zero'), big, Buffer.from('second'), Buffer.from('third')]) {
      expect((await call(c, 'POST', Q('APP.OUT'), { body, headers: { 'content-type': 'application/octet-stream', 'ibm-mq-md-persistence': 'persistent' } })).status).toBe(201);
    }
    // The first get makes the queue hot: the gateway reads the others ahead.
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('zero');
    await abandonGetMidResponse(ahead, 'APP.OUT');
    const again = await call(c, 'DELETE', `${Q('APP.OUT')}?wait=60000`);
    expect(again.status).toBe(200);
    expect(again.body.equals(big)).toBe(true);
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('second');
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('third');
    expect((await call(c, 'DELETE', Q('APP.OUT'))).status).toBe(204);
  });
});

describe('a broker restart mid-traffic', () => {
  it('answers 503 promptly while the broker is away, then recovers with no confirmed message lost', async () => {
    const c = gw.client(producer, { connections: 4 });
    const confirmed = new Set<string>();
    const attempted = new Set<string>();
    const outageReplies: { status: number; code: string | undefined; ms: number }[] = [];
    let outage = false;
    let running = true;
    let n = 0;
    const producers = Array.from({ length: 3 }, async () => {
      while (running) {
        const body = `msg-${n++}`;
        attempted.add(body);
        const started = Date.now();
        try {
          const reply = await call(c, 'POST', Q('APP.IN'), { body, headers: { 'ibm-mq-md-persistence': 'persistent' } });
          if (reply.status === 201) confirmed.add(body);
          else if (outage) outageReplies.push({ status: reply.status, code: reply.headers['qshield-error-code'] as string | undefined, ms: Date.now() - started });
          if (reply.status !== 201) await sleep(50);
        } catch {
          await sleep(50);
        }
      }
    });
    await sleep(500);
    const stopping = broker.stop();
    outage = true;
    const end = Date.now() + 120_000;
    while (gw.running.gateway.readiness().ok && Date.now() < end) await sleep(50);
    const readyz = await fetch(`${gw.running.observability.admin.url}/readyz`);
    expect(readyz.status).toBe(503);
    await stopping;
    // A waiting get during the outage also answers at once.
    const started = Date.now();
    const get = await call(c, 'DELETE', `${Q('APP.IN')}?wait=20000`);
    expect(get.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
    await sleep(500);
    // The node accepts connections well before start() returns on a loaded machine: watch the
    // gateway come back meanwhile and stop the traffic soon after, so that what is left to check
    // does not grow with the machine's load.
    const starting = broker.start();
    const back = Date.now() + 180_000;
    while (!gw.running.gateway.readiness().ok && Date.now() < back) await sleep(100);
    outage = false;
    expect(gw.running.gateway.readiness()).toEqual({ ok: true });
    await sleep(500);
    running = false;
    await Promise.all([starting, ...producers]);

    expect(outageReplies.length).toBeGreaterThan(0);
    for (const r of outageReplies) {
      expect(r.status).toBe(503);
      expect(r.code).toMatch(/^ERR_BROKER_(UNAVAILABLE|CONNECTION_BROKEN)$/);
      expect(r.ms).toBeLessThan(2000);
    }
    // Everything confirmed is still there (a put in doubt may be there too), each at least once.
    const received = new Set<string>();
    for (;;) {
      const got = await call(c, 'DELETE', Q('APP.IN'));
      if (got.status === 204) break;
      expect(got.status).toBe(200);
      received.add(got.text);
    }
    for (const body of confirmed) expect(received.has(body), body).toBe(true);
    for (const body of received) expect(attempted.has(body), body).toBe(true);
    expect(confirmed.size).toBeGreaterThan(10);
  }, 420_000);
});

describe('a queue the broker holds with other attributes', () => {
  it('keeps the gateway not ready, saying which queue and that waiting will not cure it, until the queue is reconciled', async () => {
    const bundle = testBundle() as { queues: { name: string }[] };
    bundle.queues.push({ name: 'APP.CLASH' });
    await broker.deleteQueues(['APP.CLASH']);
    const conn = await broker.connect();
    try {
      await (await conn.createChannel()).assertQueue('APP.CLASH', { durable: true, arguments: { 'x-max-length': 7 } });
    } finally {
      await conn.close();
    }
    const clash = await startGatewayFixture({ bundle, config: { broker: brokerConfig } });
    try {
      const until = async (done: () => boolean, what: string) => {
        const end = Date.now() + 30_000;
        while (!done()) {
          if (Date.now() > end) throw new Error(`${what} within 30 s: ${JSON.stringify(clash.running.gateway.readiness())}`);
          await sleep(50);
        }
      };
      await until(() => clash.running.gateway.readiness().code !== undefined, 'no readiness code');
      const state = clash.running.gateway.readiness();
      expect(state).toMatchObject({ ok: false, code: 'ERR_BROKER_QUEUE_MISMATCH' });
      expect(state.reason).toContain('APP.CLASH');
      const readyz = await fetch(`${clash.running.observability.admin.url}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.text()).toContain('APP.CLASH');
      // Somebody removes the stray queue: the gateway declares it as configured and is ready.
      await broker.deleteQueues(['APP.CLASH']);
      await until(() => clash.running.gateway.readiness().ok, 'not ready after the queue was removed');
      expect(clash.running.gateway.readiness()).toEqual({ ok: true });
    } finally {
      await clash.close();
      await broker.deleteQueues(['APP.CLASH']);
    }
  });
});

/** A raw mTLS client that sends a destructive get, reads nothing of the answer, and disconnects. */
async function abandonGetMidResponse(fixture: GatewayFixture, queue: string): Promise<void> {
  const socket = await rawGatewaySocket(fixture.url, fixture.ca, producer);
  socket.pause();
  socket.write(`DELETE ${Q(queue)} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`);
  await sleep(500);
  socket.destroy();
}
