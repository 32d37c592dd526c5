// HTTP/1.1 pipelining over mutual TLS: requests sent back to back on one connection, the first
// answered with a large message that the client is slow to read (the response is written under
// backpressure). Every request gets its own answer, in order, and the gateway keeps serving.
import type { TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueLeaf, type TestLeaf } from '../pki/index.ts';
import { app, call, Q, rawGatewaySocket, startGatewayFixture, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
let producer: TestLeaf;
beforeAll(async () => {
  gw = await startGatewayFixture();
  producer = issueLeaf(app('producer'));
});
afterAll(async () => {
  await gw?.close();
});
beforeEach(async () => {
  // Each test starts from empty queues, whatever the one before left.
  const c = gw.client(producer);
  for (const queue of ['APP.IN', 'APP.OUT']) while ((await call(c, 'DELETE', Q(queue))).status === 200);
});

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Reads `count` HTTP/1.1 responses (content-length framed) from `socket`, or fewer if it closes. */
function readResponses(socket: TLSSocket, count: number, timeoutMs = 60_000): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const responses: RawResponse[] = [];
    let buffer = Buffer.alloc(0);
    // Chunks wait here until the response being read is complete: joining each chunk to the
    // buffer at once would copy megabytes of body over and over.
    let pending: Buffer[] = [];
    let pendingLength = 0;
    let needed = 0;
    const timer = setTimeout(() => reject(new Error(`only ${responses.length} of ${count} responses within ${timeoutMs} ms`)), timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(responses);
    };
    const parse = (): void => {
      for (;;) {
        needed = 0;
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const length = Number(headers['content-length'] ?? 0);
        if (buffer.length < end + 4 + length) {
          needed = end + 4 + length - buffer.length;
          return;
        }
        responses.push({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]), headers, body: Buffer.from(buffer.subarray(end + 4, end + 4 + length)) });
        buffer = buffer.subarray(end + 4 + length);
        if (responses.length === count) return finish();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      pendingLength += chunk.length;
      if (pendingLength < needed) return;
      buffer = Buffer.concat([buffer, ...pending]);
      pending = [];
      pendingLength = 0;
      parse();
    });
    socket.once('close', finish);
    socket.once('error', () => undefined);
  });
}

/**
 * Writes `request` as a TLS record of its own: the write completes before the next one starts. A
 * write the gateway no longer takes (it closed the connection) shows as a missing response.
 */
function send(socket: TLSSocket, request: string): Promise<void> {
  if (socket.destroyed || !socket.writable) return Promise.resolve();
  return new Promise((resolve) => socket.write(request, () => resolve()));
}

const connect = (): Promise<TLSSocket> => rawGatewaySocket(gw.url, gw.ca, producer);

describe('pipelined requests behind a large response', () => {
  it('answers every request of a long pipeline, in order, to a client that reads in fits and starts', async () => {
    const c = gw.client(producer, { connections: 4 });
    const body = Buffer.alloc(256 * 1024, 0x71);
    const rounds = 10;
    const gets = 20;
    let seed = 7;
    /** A fixed pseudo-random sequence (mulberry32), so that every run sends the same pattern. */
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    await Promise.all(Array.from({ length: rounds * gets }, () => call(c, 'POST', Q('APP.OUT'), { body, headers: { 'content-type': 'application/octet-stream' } })));
    const get = `DELETE ${Q('APP.OUT')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`;
    const put = `POST ${Q('APP.IN')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\npipelined`;
    for (let round = 0; round < rounds; round++) {
      const socket = await connect();
      socket.pause();
      const plan = Array.from({ length: 2 * gets }, (_, i) => (i % 2 === 0 ? 'get' : 'put'));
      const responses = readResponses(socket, plan.length);
      // Each request its own TLS record; the client reads now and then, so the gateway's answers
      // keep meeting backpressure while more requests arrive, several at once.
      for (const kind of plan) {
        await send(socket, kind === 'get' ? get : put);
        if (random() < 0.3) await sleep(random() * 5);
        if (random() < 0.2) {
          socket.resume();
          await sleep(1);
          socket.pause();
        }
      }
      socket.resume();
      const got = await responses;
      expect(got.map((r) => r.status)).toEqual(plan.map((kind) => (kind === 'get' ? 200 : 201)));
      for (const [i, r] of got.entries()) if (plan[i] === 'get') expect(r.body.length).toBe(body.length);
    }
    for (let i = 0; i < rounds * gets; i++) expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('pipelined');
    expect((await call(c, 'DELETE', Q('APP.IN'))).status).toBe(204);
  }, 300_000);

  it('answers each, in order, while earlier responses wait for a slow reader', async () => {
    const c = gw.client(producer);
    const big = Buffer.alloc(4 * 1024 * 1024 - 1, 0x70);
    for (const body of [big, big, big, big, Buffer.from('fifth')]) {
      expect((await call(c, 'POST', Q('APP.OUT'), { body, headers: { 'content-type': 'application/octet-stream' } })).status).toBe(201);
    }
    const socket = await connect();
    socket.pause();
    const get = `DELETE ${Q('APP.OUT')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`;
    const put = `POST ${Q('APP.IN')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\npipelined`;
    // The client reads nothing, so the first large answers fill the socket's buffers (the
    // kernel's may take the first whole): the gateway stops reading, with one 4 MiB answer stuck
    // and the next queued behind it, and stays stopped until the client reads. The requests after
    // them pile up unread, each its own TLS record, a get of another large message first. Once the
    // client reads, they reach the gateway in one read while a large answer is being written: the
    // first of them stops reading again (its own large answer keeps it stopped), with the others
    // already decrypted.
    for (let i = 0; i < 3; i++) {
      await send(socket, get);
      await sleep(300);
    }
    await send(socket, get);
    await send(socket, put);
    await send(socket, get);
    await send(socket, put);
    await sleep(300);
    const responses = readResponses(socket, 7);
    socket.resume();
    const got = await responses;
    expect(got.map((r) => r.status)).toEqual([200, 200, 200, 200, 201, 200, 201]);
    for (const i of [0, 1, 2, 3]) expect(got[i]?.body.equals(big)).toBe(true);
    expect(got[5]?.body.toString()).toBe('fifth');
    // Everything was served: both puts are on their queue, and the queue of the gets is empty.
    expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('pipelined');
    expect((await call(c, 'DELETE', Q('APP.IN'))).text).toBe('pipelined');
    expect((await call(c, 'DELETE', Q('APP.OUT'))).status).toBe(204);
  });
});

describe('a malformed request pipelined behind others', () => {
  it('is answered 400 after the answers of the requests before it, then the connection closes', async () => {
    const c = gw.client(producer);
    expect((await call(c, 'POST', Q('APP.OUT'), { body: 'kept' })).status).toBe(201);
    const socket = await connect();
    // A get that waits on an empty queue (its answer comes after 1.5 s), a get of the message
    // put above, then bytes that are no HTTP request: the 400 must not overtake the answers.
    const waiting = `DELETE ${Q('APP.IN')}?wait=1500 HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`;
    const get = `DELETE ${Q('APP.OUT')} HTTP/1.1\r\nhost: gw\r\nibm-mq-rest-csrf-token: x\r\n\r\n`;
    const responses = readResponses(socket, 3);
    socket.write(waiting + get + 'NOT HTTP AT ALL\r\n\r\n');
    const got = await responses;
    expect(got.map((r) => r.status)).toEqual([204, 200, 400]);
    expect(got[1]?.body.toString()).toBe('kept');
    expect(got[2]?.headers['qshield-error-code']).toBe('ERR_GATEWAY_BAD_REQUEST');
    expect(got[2]?.headers.connection).toBe('close');
    // The connection ends after the 400; nothing was lost on the way.
    expect(socket.destroyed || socket.readableEnded).toBe(true);
    expect((await call(c, 'DELETE', Q('APP.OUT'))).status).toBe(204);
  });
});
