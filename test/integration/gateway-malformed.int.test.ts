// Malformed input over the wire: oversized headers and bodies, broken HTTP, bodies cut short,
// and a property test throwing random requests at a live gateway. Every one gets a 4xx with a
// reason (IBM's error body and the qshield-error-code header); nothing is stored half-way; the
// gateway keeps serving.
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf, type TestLeaf } from '../pki/index.ts';
import { app, call, connectOptions, Q, startGatewayFixture, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
let producer: TestLeaf;
beforeAll(async () => {
  gw = await startGatewayFixture({ config: { limits: { maxHeaderBytes: 8192, maxBodyBytes: 65_536 } } });
  producer = issueLeaf(app('producer'));
});
afterAll(async () => {
  await gw?.close();
});

/** Sends raw bytes over mTLS and returns everything the gateway answers until it closes. */
function raw(bytes: string | Buffer, options: { closeAfterMs?: number } = {}): Promise<string> {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ...connectOptions(gw.ca, producer) }, () => {
      socket.write(bytes);
      if (options.closeAfterMs !== undefined) setTimeout(() => socket.destroy(), options.closeAfterMs);
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.once('close', () => resolve(text));
    socket.once('error', (err) => (text === '' && options.closeAfterMs === undefined ? reject(err) : resolve(text)));
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
const codeOf = (text: string) => /qshield-error-code: (\S+)/.exec(text)?.[1];

describe('broken HTTP', () => {
  it('answers headers over the limit with 431 and a reason', async () => {
    const text = await raw(`GET ${Q('APP.IN')} HTTP/1.1\r\nhost: gw\r\nx-filler: ${'a'.repeat(10_000)}\r\n\r\n`);
    expect(statusOf(text)).toBe(431);
    expect(codeOf(text)).toBe('ERR_GATEWAY_HEADERS_TOO_LARGE');
    expect(text).toContain('"error":[{"type":"rest"');
  });

  it.each([
    ['a garbage request line', 'HELLO THERE\r\n\r\n'],
    ['a header without a colon', `GET ${Q('APP.IN')} HTTP/1.1\r\nhost gw\r\n\r\n`],
    ['broken chunked encoding', `POST ${Q('APP.IN')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`],
    ['two different Content-Lengths', `POST ${Q('APP.IN')} HTTP/1.1\r\nhost: gw\r\ncontent-length: 3\r\ncontent-length: 4\r\n\r\nabcd`],
  ])('answers %s with 400 and a reason', async (_what, request) => {
    const text = await raw(request);
    expect(statusOf(text)).toBe(400);
    expect(codeOf(text)).toBe('ERR_GATEWAY_BAD_REQUEST');
  });

  it('refuses a declared body over the limit before reading it (413)', async () => {
    const text = await raw(`POST ${Q('APP.IN')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\ncontent-length: 10000000\r\n\r\nabc`);
    expect(statusOf(text)).toBe(413);
    expect(codeOf(text)).toBe('ERR_GATEWAY_MESSAGE_TOO_BIG_FOR_CHANNEL');
    expect(text).toContain('connection: close');
  });

  it('stores nothing when the client stops sending half-way through the body', async () => {
    await raw(`POST ${Q('APP.OUT')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\ncontent-length: 100\r\n\r\nonly ten b`, { closeAfterMs: 150 });
    await new Promise((r) => setTimeout(r, 100));
    expect((await call(gw.client(producer), 'DELETE', Q('APP.OUT'))).status).toBe(204);
  });
});

describe('random requests', () => {
  const segment = fc.oneof(
    fc.constantFrom('ibmmq', 'rest', 'v2', 'v3', 'messaging', 'qmgr', 'QM1', 'QM2', 'queue', 'topic', 'message', 'messagelist', 'APP.IN', 'APP.SMALL', 'PROT.INT', 'prices', 'qshield', 'v1', 'connection', 'protection', '%2F', '%ZZ', '%00', '..', ''),
    fc.string({ maxLength: 12 }).map(encodeURIComponent),
  );
  const path = fc.oneof(
    fc.array(segment, { maxLength: 10 }).map((s) => `/${s.join('/')}`),
    fc.tuple(fc.constantFrom('APP.IN', 'APP.SMALL', 'PROT.INT', 'NOPE', 'bad name'), fc.constantFrom('v2', 'v3')).map(([q, v]) => Q(q, v)),
  );
  const query = fc.oneof(fc.constant(''), fc.array(fc.tuple(fc.constantFrom('wait', 'messageId', 'correlationId', 'limit', 'x'), fc.oneof(fc.constantFrom('0', '10', '-1', 'ID:', `ID:${'ab'.repeat(24)}`, 'ab'.repeat(24)), fc.string({ maxLength: 10 }))), { maxLength: 3 })
    .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`));
  const printable = fc.string({ maxLength: 60, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
  const headers = fc.dictionary(
    fc.constantFrom('ibm-mq-md-messageId', 'ibm-mq-md-correlationId', 'ibm-mq-md-persistence', 'ibm-mq-md-expiry', 'ibm-mq-md-replyTo', 'ibm-mq-md-priority', 'ibm-mq-md-format', 'ibm-mq-usr', 'content-type', 'ibm-mq-rest-csrf-token'),
    fc.oneof(fc.constantFrom('persistent', 'unlimited', '5', 'text/plain', 'application/octet-stream', `ID:${'cd'.repeat(24)}`), printable).map((v) => v.trim()),
    { maxKeys: 4 },
  );

  it('answers every one with a success or a 4xx carrying a reason, never a 500, and keeps serving', async () => {
    const client = gw.client(producer, { connections: 2 });
    await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), path, query, headers, fc.uint8Array({ maxLength: 2048 }), async (method, p, q, h, body) => {
      const reply = await call(client, method, `${p}${q}`, { headers: h, ...(method === 'POST' || method === 'PUT' ? { body: Buffer.from(body) } : {}) });
      expect(reply.status).not.toBe(500);
      expect(reply.status).toBeLessThan(600);
      if (reply.status >= 400) {
        expect(reply.headers['qshield-error-code']).toMatch(/^ERR_[A-Z0-9_]+$/);
        const entry = (reply.json as { error: { type: string; message: string }[] }).error[0];
        expect(entry?.type).toBe('rest');
        expect(entry?.message.length).toBeGreaterThan(10);
      }
    }), { numRuns: 300 });
    const ok = gw.client(producer);
    expect((await call(ok, 'POST', Q('APP.OUT'), { body: 'after the storm' })).status).toBe(201);
    // Whatever the random puts stored, the message put last comes out after them.
    let last = '';
    for (let i = 0; i < 1000; i++) {
      const got = await call(ok, 'DELETE', Q('APP.OUT'));
      if (got.status === 204) break;
      last = got.text;
    }
    expect(last).toBe('after the storm');
  });
});
