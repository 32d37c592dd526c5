// The MQ REST API of the gateway over real mTLS (undici clients with SVIDs from the real CA
// code), against the memory driver: round trips, descriptor headers, selection, long-polls,
// idempotent puts, the error replies and their security events, limits, and settling of gets.
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf, type TestLeaf } from '../pki/index.ts';
import { app, call, Q, rawGatewaySocket, startGatewayFixture, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
let producer: TestLeaf;
let reader: TestLeaf;
const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(24);

beforeAll(async () => {
  gw = await startGatewayFixture({ config: { limits: { maxLongPollsPerPeer: 2, maxWait: '10s' } } });
  producer = issueLeaf(app('producer'));
  reader = issueLeaf(app('reader'));
});
afterAll(async () => {
  await gw?.close();
});

function errorOf(reply: { json: unknown }): Record<string, unknown> {
  return ((reply.json as { error: Record<string, unknown>[] }).error[0]) ?? {};
}

describe('put and get', () => {
  it('round-trips a message with its descriptor (v3)', async () => {
    const c = gw.client(producer);
    const put = await call(c, 'POST', Q('APP.IN'), {
      body: '{"amount":12.5}',
      headers: {
        'content-type': 'application/json; charset=utf-8', 'ibm-mq-md-correlationId': `ID:${hex(7)}`, 'ibm-mq-md-persistence': 'persistent',
        'ibm-mq-md-expiry': '600000', 'ibm-mq-md-replyTo': 'APP.OUT', 'ibm-mq-md-priority': '5',
      },
    });
    expect(put.status).toBe(201);
    expect(put.body.length).toBe(0);
    const id = put.headers['ibm-mq-md-messageid'] as string;
    expect(id).toMatch(/^ID:[0-9a-f]{48}$/);
    const get = await call(c, 'DELETE', Q('APP.IN'));
    expect(get.status).toBe(200);
    expect(get.text).toBe('{"amount":12.5}');
    expect(get.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8', 'ibm-mq-md-messageid': id, 'ibm-mq-md-correlationid': `ID:${hex(7)}`,
      'ibm-mq-md-persistence': 'persistent', 'ibm-mq-md-replyto': 'APP.OUT', 'ibm-mq-md-priority': '5',
    });
    expect(Number(get.headers['ibm-mq-md-expiry'])).toBeGreaterThan(590_000);
    expect((await call(c, 'DELETE', Q('APP.IN'))).status).toBe(204);
  });

  it('speaks v2: bare hex ids, no priority header', async () => {
    const c = gw.client(producer);
    const put = await call(c, 'POST', Q('APP.IN', 'v2'), { body: 'v2', headers: { 'ibm-mq-md-correlationId': hex(9) } });
    expect(put.headers['ibm-mq-md-messageid']).toMatch(/^[0-9a-f]{48}$/);
    const get = await call(c, 'DELETE', `${Q('APP.IN', 'v2')}?correlationId=${hex(9)}`);
    expect(get.status).toBe(200);
    expect(get.headers['ibm-mq-md-correlationid']).toBe(hex(9));
    expect(get.headers['ibm-mq-md-priority']).toBeUndefined();
  });

  it('is binary-safe for protected (application/octet-stream) bodies', async () => {
    const c = gw.client(producer);
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff));
    expect((await call(c, 'POST', Q('APP.IN'), { body: bytes, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    const get = await call(c, 'DELETE', Q('APP.IN'));
    expect(get.headers['content-type']).toBe('application/octet-stream');
    expect(get.body.equals(bytes)).toBe(true);
  });

  it('selects by correlation id and by message id, leaving the others in order', async () => {
    const c = gw.client(producer);
    for (const n of [1, 2, 3]) await call(c, 'POST', Q('APP.OUT'), { body: `m${n}`, headers: { 'ibm-mq-md-correlationId': `ID:${hex(n)}` } });
    expect((await call(c, 'DELETE', `${Q('APP.OUT')}?correlationId=ID:${hex(2)}`)).text).toBe('m2');
    const list = await call(c, 'GET', `/ibmmq/rest/v3/messaging/qmgr/QM1/queue/APP.OUT/messagelist`);
    const ids = (list.json as { messages: { messageId: string }[] }).messages.map((m) => m.messageId);
    expect(ids).toHaveLength(2);
    expect((await call(c, 'DELETE', `${Q('APP.OUT')}?messageId=${ids[1] as string}`)).text).toBe('m3');
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('m1');
  });

  it('lets a caller choose the message id, and stores a retried put once', async () => {
    const c = gw.client(producer);
    const id = `ID:${hex(0xab)}`;
    const first = await call(c, 'POST', Q('APP.IN'), { body: 'once', headers: { 'ibm-mq-md-messageId': id } });
    const retry = await call(c, 'POST', Q('APP.IN'), { body: 'once', headers: { 'ibm-mq-md-messageId': id } });
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers['ibm-mq-md-messageid']).toBe(id);
    const clash = await call(c, 'POST', Q('APP.IN'), { body: 'other body', headers: { 'ibm-mq-md-messageId': id } });
    expect(clash.status).toBe(409);
    expect(clash.headers['qshield-error-code']).toBe('ERR_GATEWAY_DUPLICATE_MESSAGE_ID');
    expect((await call(c, 'DELETE', Q('APP.IN'))).headers['ibm-mq-md-messageid']).toBe(id);
    expect((await call(c, 'DELETE', Q('APP.IN'))).status).toBe(204);
  });

  it('stores pipelined retries with one id once (concurrent puts on several connections)', async () => {
    const c = gw.client(producer, { connections: 4 });
    const id = `ID:${hex(0xcd)}`;
    const replies = await Promise.all(Array.from({ length: 8 }, () => call(c, 'POST', Q('APP.IN'), { body: 'pipelined', headers: { 'ibm-mq-md-messageId': id } })));
    expect(replies.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('pipelined');
    expect((await call(c, 'DELETE', Q('APP.IN'))).status).toBe(204);
  });

  it('long-polls: a waiting get receives a message put while it waits', async () => {
    const c = gw.client(producer, { connections: 2 });
    const started = Date.now();
    const waiting = call(c, 'DELETE', `${Q('APP.OUT')}?wait=5000`);
    await new Promise((r) => setTimeout(r, 150));
    await call(c, 'POST', Q('APP.OUT'), { body: 'late' });
    const got = await waiting;
    expect(got.text).toBe('late');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('answers 204 after the wait when nothing comes', async () => {
    const c = gw.client(producer);
    const started = Date.now();
    const got = await call(c, 'DELETE', `${Q('APP.OUT')}?wait=300`);
    expect(got.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });
});

describe('browse, messagelist, publish', () => {
  it('browses without removing, and lists summaries without payloads', async () => {
    const c = gw.client(producer);
    await call(c, 'POST', Q('APP.IN'), { body: 'browse me', headers: { 'ibm-mq-md-correlationId': `ID:${hex(0x11)}` } });
    const browsed = await call(c, 'GET', Q('APP.IN'));
    expect(browsed.status).toBe(200);
    expect(browsed.text).toBe('browse me');
    const list = await call(c, 'GET', '/ibmmq/rest/v3/messaging/qmgr/QM1/queue/APP.IN/messagelist?limit=10');
    expect(list.json).toEqual({ messages: [expect.objectContaining({ correlationId: `ID:${hex(0x11)}`, size: 9, persistence: 'nonPersistent', priority: 0, expiry: 'unlimited' })] });
    expect(list.text).not.toContain('browse me');
    expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('browse me');
    expect((await call(c, 'GET', Q('APP.IN'))).status).toBe(204);
  });

  it('browses with wait until a message arrives', async () => {
    const c = gw.client(producer, { connections: 2 });
    const waiting = call(c, 'GET', `${Q('APP.IN')}?wait=3000`);
    await new Promise((r) => setTimeout(r, 120));
    await call(c, 'POST', Q('APP.IN'), { body: 'seen' });
    expect((await waiting).text).toBe('seen');
    expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('seen');
  });

  it('publishes to a topic string (201 with a message id, delivered to subscribers)', async () => {
    const c = gw.client(producer);
    const subscription = await gw.driver.subscribe('prices/#');
    const put = await call(c, 'POST', '/ibmmq/rest/v3/messaging/qmgr/QM1/topic/prices/fx/eur/message', { body: '1.09' });
    expect(put.status).toBe(201);
    const iterator = subscription[Symbol.asyncIterator]();
    const { value } = await iterator.next();
    expect(value?.message.body.toString()).toBe('1.09');
    expect(value?.source).toEqual({ kind: 'topic', topic: 'prices/fx/eur' });
    await subscription.close();
  });

  it('refuses a publication to a topic outside the grant', async () => {
    const c = gw.client(producer);
    const reply = await call(c, 'POST', '/ibmmq/rest/v3/messaging/qmgr/QM1/topic/news/message', { body: 'x' });
    expect(reply.status).toBe(403);
    expect(errorOf(reply)).toMatchObject({ reasonCode: 2035 });
  });
});

describe('refusals: IBM error body, reason code and the qshield-error-code header', () => {
  it.each([
    ['an unknown queue', 'POST', Q('NO.SUCH.QUEUE'), 404, 2085, 'ERR_GATEWAY_UNKNOWN_OBJECT'],
    ['another queue manager', 'POST', '/ibmmq/rest/v3/messaging/qmgr/QM2/queue/APP.IN/message', 404, 2058, 'ERR_GATEWAY_UNKNOWN_QMGR'],
    ['an unknown path', 'GET', '/ibmmq/rest/v3/admin/qmgr', 404, undefined, 'ERR_GATEWAY_NOT_FOUND'],
    ['a method the resource does not take', 'PUT', Q('APP.IN'), 405, undefined, 'ERR_GATEWAY_METHOD_NOT_ALLOWED'],
    ['a malformed queue name', 'POST', '/ibmmq/rest/v3/messaging/qmgr/QM1/queue/BAD%ZZ/message', 400, undefined, 'ERR_GATEWAY_BAD_PATH'],
  ])('refuses %s', async (_what, method, path, status, mqrc, code) => {
    const reply = await call(gw.client(producer), method, path, { body: method === 'POST' || method === 'PUT' ? 'x' : undefined });
    expect(reply.status).toBe(status);
    expect(reply.headers['qshield-error-code']).toBe(code);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    const entry = errorOf(reply);
    expect(entry).toMatchObject({ type: 'rest', messageId: expect.stringMatching(/^(MQWB|QSH)\d{4}E$/), message: expect.any(String), explanation: expect.any(String), action: expect.any(String) });
    if (mqrc !== undefined) expect(entry).toMatchObject({ completionCode: 2, reasonCode: mqrc });
  });

  it('demands the CSRF header on POST and DELETE only', async () => {
    const c = gw.client(producer);
    const post = await c.request({ path: Q('APP.IN'), method: 'POST', body: 'x' });
    expect(post.statusCode).toBe(403);
    expect(post.headers['qshield-error-code']).toBe('ERR_GATEWAY_CSRF_TOKEN_MISSING');
    await post.body.dump();
    const del = await c.request({ path: Q('APP.IN'), method: 'DELETE' });
    expect(del.statusCode).toBe(403);
    await del.body.dump();
    const empty = await c.request({ path: Q('APP.IN'), method: 'DELETE', headers: { 'ibm-mq-rest-csrf-token': '' } });
    expect(empty.statusCode).toBe(204);
    await empty.body.dump();
    const browse = await c.request({ path: Q('APP.IN'), method: 'GET' });
    expect(browse.statusCode).toBe(204);
    await browse.body.dump();
  });

  it('refuses an operation the principal has no authority for (2035), with an event naming the profile', async () => {
    const reply = await call(gw.client(reader), 'POST', Q('APP.IN'), { body: 'x' });
    expect(reply.status).toBe(403);
    expect(reply.headers['qshield-error-code']).toBe('ERR_GATEWAY_NOT_AUTHORIZED');
    expect(errorOf(reply)).toMatchObject({ reasonCode: 2035, completionCode: 2 });
    const event = gw.events('authorization-denied').at(-1) as Record<string, Record<string, unknown>>;
    expect(event.qshield).toMatchObject({ principal: app('reader'), operation: 'put', queue: 'APP.IN', object_type: 'queue', reason_code: 2035 });
    expect(event.client).toEqual({ user: { id: app('reader') } });
    // The reader may browse the same queue.
    expect((await call(gw.client(reader), 'GET', Q('APP.IN'))).status).toBe(204);
  });

  it('checks authority before existence, so a principal learns nothing of queues it cannot use', async () => {
    expect((await call(gw.client(reader), 'GET', Q('SECRET.QUEUE'))).status).toBe(403);
    expect((await call(gw.client(reader), 'GET', Q('APP.NOSUCH'))).status).toBe(404);
  });

  it.each([
    ['a bad wait', '?wait=soon', 'wait'],
    ['a wait beyond the maximum', '?wait=10001', 'wait'],
    ['a malformed correlation id', '?correlationId=ID:xyz', 'correlationId'],
    ['an unknown parameter', '?colour=blue', 'colour'],
  ])('refuses a get with %s (400)', async (_what, query, parameter) => {
    const reply = await call(gw.client(producer), 'DELETE', `${Q('APP.IN')}${query}`);
    expect(reply.status).toBe(400);
    expect(reply.headers['qshield-error-code']).toBe('ERR_GATEWAY_BAD_QUERY');
    expect(errorOf(reply).message).toContain(parameter);
  });

  it.each([
    [{ 'ibm-mq-md-persistence': 'forever' }, 'ERR_GATEWAY_BAD_HEADER', 400],
    [{ 'ibm-mq-md-expiry': '-1' }, 'ERR_GATEWAY_BAD_HEADER', 400],
    [{ 'ibm-mq-md-messageId': 'ID:0' }, 'ERR_GATEWAY_BAD_HEADER', 400],
    [{ 'ibm-mq-usr': 'a=b' }, 'ERR_GATEWAY_UNSUPPORTED', 400],
    [{ 'content-type': 'image/png' }, 'ERR_GATEWAY_MEDIA_TYPE', 415],
    [{ 'content-type': 'text/plain; charset=latin1' }, 'ERR_GATEWAY_MEDIA_TYPE', 415],
  ])('refuses a put with headers %o', async (headers, code, status) => {
    const reply = await call(gw.client(producer), 'POST', Q('APP.IN'), { body: 'x', headers });
    expect(reply.status).toBe(status);
    expect(reply.headers['qshield-error-code']).toBe(code);
  });
});

describe('limits', () => {
  it('refuses a body over the queue\'s maximum (413, 2030) before storing anything', async () => {
    const c = gw.client(producer);
    const reply = await call(c, 'POST', Q('APP.SMALL'), { body: Buffer.alloc(1025, 0x61) });
    expect(reply.status).toBe(413);
    expect(errorOf(reply)).toMatchObject({ reasonCode: 2030 });
    expect(gw.events('limit-exceeded').at(-1)).toMatchObject({ event: { code: 'message-too-large' }, qshield: { limit: { max: 1024, observed: 1025 }, queue: 'APP.SMALL' } });
    expect((await call(gw.client(producer), 'DELETE', Q('APP.SMALL'))).status).toBe(204);
    expect((await call(gw.client(producer), 'POST', Q('APP.SMALL'), { body: Buffer.alloc(1024, 0x61) })).status).toBe(201);
    expect((await call(gw.client(producer), 'DELETE', Q('APP.SMALL'))).body.length).toBe(1024);
  });

  it('refuses a chunked body as soon as it passes the channel\'s maximum (413, 2218)', async () => {
    const c = gw.client(producer, { channel: 'limited' });
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(512, 0x62);
    }
    const res = await c.request({ path: Q('APP.IN'), method: 'POST', headers: { 'ibm-mq-rest-csrf-token': 'x' }, body: Readable.from(chunks()) });
    expect(res.statusCode).toBe(413);
    expect((await res.body.json() as { error: { reasonCode: number }[] }).error[0]?.reasonCode).toBe(2218);
  });

  it('holds the channel\'s rate limit per peer (429 with Retry-After), with an event', async () => {
    const c = gw.client(issueLeaf(app('chatty')), { channel: 'limited' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await call(c, 'GET', Q('APP.OUT'))).status);
    expect(statuses.slice(0, 5)).toEqual([204, 204, 204, 204, 204]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const refused = await call(c, 'GET', Q('APP.OUT'));
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(gw.events('limit-exceeded').some((e) => (e.event as { code: string }).code === 'rate-limited')).toBe(true);
    // Another peer on the same channel has its own bucket.
    expect((await call(gw.client(producer, { channel: 'limited' }), 'GET', Q('APP.OUT'))).status).toBe(204);
  });

  it('limits the gets one peer may have waiting at once', async () => {
    const waiter = issueLeaf(app('waiter'));
    const c = gw.client(waiter, { connections: 3 });
    const first = call(c, 'DELETE', `${Q('APP.SHALLOW')}?wait=2000`);
    const second = call(c, 'DELETE', `${Q('APP.SHALLOW')}?wait=2000`);
    await new Promise((r) => setTimeout(r, 200));
    const third = await call(c, 'DELETE', `${Q('APP.SHALLOW')}?wait=2000`);
    expect(third.status).toBe(429);
    expect(third.headers['qshield-error-code']).toBe('ERR_GATEWAY_LONG_POLL_LIMIT');
    // A get that does not wait is not counted.
    expect((await call(c, 'DELETE', Q('APP.SHALLOW'))).status).toBe(204);
    expect((await first).status).toBe(204);
    expect((await second).status).toBe(204);
  });

  it('refuses a put beyond the queue\'s depth with 503 and MQRC 2053', async () => {
    const c = gw.client(producer);
    expect((await call(c, 'POST', Q('APP.SHALLOW'), { body: '1' })).status).toBe(201);
    expect((await call(c, 'POST', Q('APP.SHALLOW'), { body: '2' })).status).toBe(201);
    const full = await call(c, 'POST', Q('APP.SHALLOW'), { body: '3' });
    expect(full.status).toBe(503);
    expect(errorOf(full)).toMatchObject({ reasonCode: 2053 });
    await call(c, 'DELETE', Q('APP.SHALLOW'));
    await call(c, 'DELETE', Q('APP.SHALLOW'));
  });
});

/** A raw mTLS socket for requests undici would not send, or would not abandon half-way. */
function rawSocket(leaf: TestLeaf): Promise<TLSSocket> {
  return rawGatewaySocket(gw.url, gw.ca, leaf);
}

describe('settling gets: acked only after the response was written', () => {
  it('loses nothing when the client goes away while its get waits', async () => {
    const socket = await rawSocket(producer);
    socket.write(`DELETE ${Q('APP.OUT')}?wait=5000 HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 150));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const c = gw.client(producer);
    await call(c, 'POST', Q('APP.OUT'), { body: 'kept' });
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('kept');
  });

  it('puts a message back when the client disconnects in the middle of the response', async () => {
    const c = gw.client(producer);
    const big = Buffer.alloc(4 * 1024 * 1024 - 1, 0x7a);
    expect((await call(c, 'POST', Q('APP.OUT'), { body: big, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    const socket = await rawSocket(producer);
    socket.pause(); // read nothing: the 4 MiB answer cannot leave the gateway's buffers
    socket.write(`DELETE ${Q('APP.OUT')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const again = await call(c, 'DELETE', Q('APP.OUT'));
    expect(again.status).toBe(200);
    expect(again.body.length).toBe(big.length);
  });
});

describe('qshield extensions', () => {
  it('tells a peer what the gateway knows of its connection', async () => {
    const reply = await call(gw.client(producer), 'GET', '/qshield/v1/connection');
    expect(reply.json).toMatchObject({ qmgr: 'QM1', spiffeId: app('producer'), principal: 'apps', channel: 'apps', tls: { protocol: 'TLSv1.3', group: 'X25519MLKEM768', hybridKeyExchange: true } });
  });

  it('serves a queue\'s protection policy to principals that may use the queue', async () => {
    const reply = await call(gw.client(producer), 'GET', '/qshield/v1/qmgr/QM1/queue/PROT.PRIV/protection');
    expect(reply.json).toMatchObject({
      qmgr: 'QM1', revision: 'test/1', queue: 'PROT.PRIV',
      policy: { name: 'priv', qualityOfProtection: 'Privacy', authorizedSigners: [app('signer')], recipients: [app('consumer')], encryptionAlgorithm: 'AES256GCM', toleration: false },
    });
    expect((await call(gw.client(producer), 'GET', '/qshield/v1/qmgr/QM1/queue/APP.IN/protection')).json).toMatchObject({ policy: null });
    expect((await call(gw.client(reader), 'GET', '/qshield/v1/qmgr/QM1/queue/PROT.PRIV/protection')).status).toBe(403);
  });

  it('settles the acks a lease request carries first, whatever becomes of the new lease, and names those it could not', async () => {
    const c = gw.client(producer);
    const lease = (queue: string) => `/qshield/v1/qmgr/QM1/queue/${queue}/lease?visibility=60000`;
    const release = (id: string) => call(c, 'POST', `/qshield/v1/qmgr/QM1/lease/${id}/release`);
    const leaseId = (r: { headers: Record<string, unknown> }) => String(r.headers['qshield-lease-id']);
    for (const body of ['one', 'two', 'three', 'four']) expect((await call(c, 'POST', Q('APP.OUT'), { body })).status).toBe(201);
    const leasesHeld = async () => Number(/^qshield_leases_held (\d+)$/m.exec(await (await fetch(`${gw.running.observability.admin.url}/metrics`)).text())?.[1]);
    const heldBefore = await leasesHeld();
    const held = [await call(c, 'POST', lease('APP.OUT')), await call(c, 'POST', lease('APP.OUT'))].map(leaseId);
    expect(await leasesHeld()).toBe(heldBefore + 2);

    // The third lease carries the acks of the first two, and an id no lease of this peer has.
    const third = await call(c, 'POST', lease('APP.OUT'), { headers: { 'qshield-ack-leases': `${held.join(',')},noSuchLease` } });
    expect(third.status).toBe(200);
    expect(third.text).toBe('three');
    expect(third.headers['qshield-leases-acked']).toBe('2');
    expect(third.headers['qshield-lease-acks-failed']).toBe('noSuchLease');
    for (const id of held) expect((await release(id)).status).toBe(404); // acked: gone for good
    expect(await leasesHeld()).toBe(heldBefore + 1); // the third lease

    // Acks ride on a request refused after them (an unknown queue) and are settled all the same.
    const refused = await call(c, 'POST', lease('NO.SUCH.QUEUE'), { headers: { 'qshield-ack-leases': leaseId(third) } });
    expect(refused.status).toBe(404);
    expect(refused.headers['qshield-leases-acked']).toBe('1');
    expect((await release(leaseId(third))).status).toBe(404);

    // Another identity cannot ack a peer's lease; a malformed list is refused before any ack.
    const fourth = leaseId(await call(c, 'POST', lease('APP.OUT')));
    const foreign = await call(gw.client(reader), 'POST', lease('APP.OUT'), { headers: { 'qshield-ack-leases': fourth } });
    expect(foreign.headers['qshield-leases-acked']).toBe('0');
    expect(foreign.headers['qshield-lease-acks-failed']).toBe(fourth);
    const bad = await call(c, 'POST', lease('APP.OUT'), { headers: { 'qshield-ack-leases': `${fourth},not a lease id` } });
    expect(bad.status).toBe(400);
    expect(bad.headers['qshield-error-code']).toBe('ERR_GATEWAY_BAD_HEADER');
    expect(bad.headers['qshield-leases-acked']).toBeUndefined();
    expect((await release(fourth)).status).toBe(204); // still held until now, and back on the queue
    expect((await call(c, 'DELETE', Q('APP.OUT'))).text).toBe('four');
    expect((await call(c, 'DELETE', Q('APP.OUT'))).status).toBe(204);
  });
});
