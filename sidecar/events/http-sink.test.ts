import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { hasCode } from '../../lib/errors/index.ts';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { createHttpSink, type HttpSinkOptions } from './http-sink.ts';
import type { SinkRequest, SinkResponse, SinkTransport } from './undici-transport.ts';

type Step = number | { status: number; retryAfter?: string } | Error | 'hang';

/** A transport that answers from a script (200 once the script runs out) and records requests. */
class ScriptedTransport implements SinkTransport {
  readonly requests: { body: string; contentType: string; authorization?: string }[] = [];
  readonly script: Step[];
  closed = false;
  destroyed = false;
  constructor(script: Step[] = []) {
    this.script = script;
  }
  send(req: SinkRequest): Promise<SinkResponse> {
    this.requests.push({ body: req.body, contentType: req.contentType, authorization: req.authorization });
    const step = this.script.shift() ?? 200;
    if (step === 'hang') {
      return new Promise((_, reject) => req.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    if (step instanceof Error) return Promise.reject(step);
    return Promise.resolve(typeof step === 'number' ? { status: step } : step);
  }
  async close() {
    this.closed = true;
  }
  async destroy() {
    this.destroyed = true;
  }
  /** Events per request, for ECS array bodies. */
  get batches(): number[] {
    return this.requests.map((r) => (JSON.parse(r.body) as unknown[]).length);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'qshield-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sinkWith(transport: SinkTransport, options: Partial<HttpSinkOptions> = {}) {
  const logs = captureLogs();
  const sink = createHttpSink({
    url: 'https://siem.example:8443/ingest?index=qshield', log: createLogger({ component: 'test', destination: logs }), transport,
    flushIntervalMs: 20, initialDelayMs: 1, maxDelayMs: 5, random: () => 0.5, ...options,
  });
  const drops: [string, number][] = [];
  sink.onDrop((reason, count) => drops.push([reason, count]));
  return { sink, logs, drops };
}

const event = (i: number, pad = 0) => JSON.stringify({ event: { id: `e${i}` }, pad: 'x'.repeat(pad) });

describe('createHttpSink batching', () => {
  it('sends each full batch at once, in order, and holds the remainder for the interval', async () => {
    const transport = new ScriptedTransport();
    const { sink } = sinkWith(transport, { maxBatchEvents: 100, flushIntervalMs: 60_000 });
    for (let i = 0; i < 250; i++) expect(sink.enqueue(event(i))).toBe(true);
    await vi.waitFor(() => expect(transport.batches).toEqual([100, 100]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(transport.batches).toEqual([100, 100]);
    expect(sink.stats()).toMatchObject({ bufferedEvents: 50, sentEvents: 200 });
    await sink.flush();
    const ids = transport.requests.flatMap((r) => (JSON.parse(r.body) as { event: { id: string } }[]).map((e) => e.event.id));
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => `e${i}`));
    expect(sink.stats()).toMatchObject({ bufferedEvents: 0, bufferedBytes: 0, sentEvents: 250, sentBatches: 3, droppedTotal: 0 });
    await sink.close();
  });

  it('sends a partial batch when the flush interval has passed', async () => {
    const transport = new ScriptedTransport();
    const { sink } = sinkWith(transport, { maxBatchEvents: 100, flushIntervalMs: 30 });
    sink.enqueue(event(1));
    sink.enqueue(event(2));
    expect(transport.requests).toHaveLength(0);
    await vi.waitFor(() => expect(transport.batches).toEqual([2]));
    sink.enqueue(event(3));
    await vi.waitFor(() => expect(transport.batches).toEqual([2, 1]));
    await sink.close();
  });

  it('cuts batches by bytes: no body exceeds maxBatchBytes', async () => {
    const transport = new ScriptedTransport();
    const { sink } = sinkWith(transport, { maxBatchEvents: 1000, maxBatchBytes: 1000, maxBufferBytes: 100_000 });
    for (let i = 0; i < 40; i++) sink.enqueue(event(i, 100));
    await sink.flush();
    expect(transport.batches.reduce((a, b) => a + b, 0)).toBe(40);
    for (const r of transport.requests) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(1000);
    expect(transport.batches.length).toBeGreaterThan(4);
    await sink.close();
  });

  it('writes ECS bodies as one JSON array and NDJSON bodies as lines', async () => {
    const ecs = new ScriptedTransport();
    const a = sinkWith(ecs, { format: 'ecs' }).sink;
    a.enqueue('{"a":1}');
    a.enqueue('{"a":2}');
    await a.flush();
    expect(ecs.requests[0]).toMatchObject({ body: '[{"a":1},{"a":2}]', contentType: 'application/json' });
    const nd = new ScriptedTransport();
    const b = sinkWith(nd, { format: 'ndjson' }).sink;
    b.enqueue('{"a":1}');
    b.enqueue('{"a":2}');
    await b.flush();
    expect(nd.requests[0]).toMatchObject({ body: '{"a":1}\n{"a":2}\n', contentType: 'application/x-ndjson' });
    await Promise.all([a.close(), b.close()]);
  });

  it('names only the origin as its destination (no path, no query)', () => {
    const { sink } = sinkWith(new ScriptedTransport());
    expect(sink.destination).toBe('https://siem.example:8443');
  });
});

describe('createHttpSink retries', () => {
  it.each([500, 502, 503, 429])('retries a batch answered %d, then delivers it once', async (status) => {
    const transport = new ScriptedTransport([status, status]);
    const { sink, logs } = sinkWith(transport);
    sink.enqueue(event(1));
    await sink.flush();
    expect(transport.requests).toHaveLength(3);
    expect(new Set(transport.requests.map((r) => r.body)).size).toBe(1);
    expect(sink.stats()).toMatchObject({ sentEvents: 1, failedAttempts: 2, droppedTotal: 0 });
    expect(logs.lines.filter((l) => l.code === 'ERR_EVENT_SINK_UNAVAILABLE')).toHaveLength(2);
    await sink.close();
  });

  it('retries network errors', async () => {
    const transport = new ScriptedTransport([Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })]);
    const { sink, logs } = sinkWith(transport);
    sink.enqueue(event(1));
    await sink.flush();
    expect(sink.stats().sentEvents).toBe(1);
    expect(logs.lines.find((l) => l.code === 'ERR_EVENT_SINK_UNAVAILABLE')).toMatchObject({ reason: 'ECONNREFUSED', destination: 'https://siem.example:8443' });
    await sink.close();
  });

  it.each([400, 401, 403, 404, 413])('drops a batch answered %d without retrying', async (status) => {
    const transport = new ScriptedTransport([status]);
    const { sink, logs, drops } = sinkWith(transport);
    sink.enqueue(event(1));
    sink.enqueue(event(2));
    await sink.flush();
    expect(transport.requests).toHaveLength(1);
    expect(drops).toEqual([['rejected', 2]]);
    expect(sink.stats()).toMatchObject({ bufferedEvents: 0, droppedTotal: 2, dropped: { rejected: 2 } });
    expect(logs.lines.find((l) => l.code === 'ERR_EVENT_SINK_REJECTED')).toMatchObject({ level: 'error', status, events: 2 });
    await sink.close();
  });

  it('drops a batch after its last attempt and goes on with the next', async () => {
    const transport = new ScriptedTransport([503, 503, 503]);
    const { sink, drops } = sinkWith(transport, { maxAttempts: 3, maxBatchEvents: 1, maxBufferEvents: 10 });
    sink.enqueue(event(1));
    sink.enqueue(event(2));
    await sink.flush();
    expect(drops).toEqual([['retries-exhausted', 1]]);
    expect(transport.requests.map((r) => r.body)).toEqual([`[${event(1)}]`, `[${event(1)}]`, `[${event(1)}]`, `[${event(2)}]`]);
    await sink.close();
  });

  it('waits at least as long as Retry-After asks, within maxDelayMs', async () => {
    const transport = new ScriptedTransport([{ status: 429, retryAfter: '1' }]);
    const { sink, logs } = sinkWith(transport, { maxDelayMs: 60 });
    sink.enqueue(event(1));
    await sink.flush();
    expect(logs.lines.find((l) => l.code === 'ERR_EVENT_SINK_UNAVAILABLE')).toMatchObject({ status: 429, delayMs: 60 });
    await sink.close();
  });
});

describe('createHttpSink bounds', () => {
  it('holds at most maxBufferEvents, in flight included, and counts every drop', async () => {
    const transport = new ScriptedTransport(['hang']);
    const { sink, drops } = sinkWith(transport, { maxBatchEvents: 10, maxBufferEvents: 50 });
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) if (sink.enqueue(event(i))) accepted++;
    await vi.waitFor(() => expect(transport.requests).toHaveLength(1));
    for (let i = 0; i < 1000; i++) if (sink.enqueue(event(i))) accepted++;
    expect(accepted).toBe(50);
    expect(sink.stats()).toMatchObject({ bufferedEvents: 50, droppedTotal: 10_950, dropped: { 'buffer-full': 10_950 } });
    expect(drops.reduce((a, [, n]) => a + n, 0)).toBe(10_950);
    await sink.close({ deadlineMs: 20 });
  });

  it('holds at most maxBufferBytes', () => {
    const { sink } = sinkWith(new ScriptedTransport(['hang']), { maxBatchBytes: 1000, maxBufferBytes: 5000 });
    for (let i = 0; i < 500; i++) sink.enqueue(event(i, 200));
    expect(sink.stats().bufferedBytes).toBeLessThanOrEqual(5000);
    expect(sink.stats().bufferedBytes).toBeGreaterThan(4500);
    void sink.close({ deadlineMs: 1 });
  });

  it('drops an event larger than a batch may be', () => {
    const { sink, drops } = sinkWith(new ScriptedTransport(), { maxBatchBytes: 1000 });
    expect(sink.enqueue(event(1, 2000))).toBe(false);
    expect(drops).toEqual([['too-large', 1]]);
    void sink.close();
  });
});

describe('createHttpSink shutdown', () => {
  it('delivers what is buffered on close and closes the transport', async () => {
    const transport = new ScriptedTransport();
    const { sink } = sinkWith(transport, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 7; i++) sink.enqueue(event(i));
    const stats = await sink.close();
    expect(transport.batches).toEqual([7]);
    expect(stats).toMatchObject({ sentEvents: 7, bufferedEvents: 0, droppedTotal: 0 });
    expect(transport.closed).toBe(true);
    expect(transport.destroyed).toBe(false);
  });

  it('drops what it could not deliver by the deadline as shutdown, and everything enqueued after close', async () => {
    const transport = new ScriptedTransport(['hang']);
    const { sink, drops } = sinkWith(transport, { maxBatchEvents: 5, maxBufferEvents: 100 });
    for (let i = 0; i < 12; i++) sink.enqueue(event(i));
    const closing = sink.close({ deadlineMs: 50 });
    expect(sink.enqueue(event(99))).toBe(false);
    const stats = await closing;
    expect(stats).toMatchObject({ sentEvents: 0, bufferedEvents: 0, dropped: { shutdown: 13 } });
    expect(drops.filter(([r]) => r === 'shutdown').reduce((a, [, n]) => a + n, 0)).toBe(13);
    expect(transport.destroyed).toBe(true);
  });

  it('stops waiting on backoff at close and tries once more at once', async () => {
    const transport = new ScriptedTransport([503]);
    const { sink } = sinkWith(transport, { initialDelayMs: 60_000, maxDelayMs: 60_000 });
    sink.enqueue(event(1));
    await vi.waitFor(() => expect(transport.requests).toHaveLength(1));
    const stats = await sink.close({ deadlineMs: 1000 });
    expect(stats.sentEvents).toBe(1);
    expect(transport.requests).toHaveLength(2);
  });
});

describe('createHttpSink token', () => {
  it('reads the bearer token from its file for every request and never logs it', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first-token-value\n');
    const transport = new ScriptedTransport([503]);
    const { sink, logs } = sinkWith(transport, { tokenFile, initialDelayMs: 60_000, maxDelayMs: 60_000 });
    sink.enqueue(event(1));
    await vi.waitFor(() => expect(transport.requests).toHaveLength(1));
    writeFileSync(tokenFile, 'second-token-value');
    await sink.flush();
    expect(transport.requests.map((r) => r.authorization)).toEqual(['Bearer first-token-value', 'Bearer second-token-value']);
    expect(logs.raw.join('\n')).not.toContain('token-value');
    await sink.close();
  });

  it('uses the configured scheme', async () => {
    const tokenFile = join(dir, 'apikey');
    writeFileSync(tokenFile, 'a2V5');
    const transport = new ScriptedTransport();
    const { sink } = sinkWith(transport, { tokenFile, authScheme: 'ApiKey' });
    sink.enqueue(event(1));
    await sink.flush();
    expect(transport.requests[0]?.authorization).toBe('ApiKey a2V5');
    await sink.close();
  });

  it.each([
    ['empty', '   \n', 'ERR_EVENT_SINK_TOKEN_INVALID'],
    ['with a newline inside', 'abc\ndef', 'ERR_EVENT_SINK_TOKEN_INVALID'],
    ['missing', undefined, 'ERR_FILE_IO'],
  ])('does not send when the token file is %s, and retries', async (name, content, code) => {
    const tokenFile = join(dir, `bad-${name.replace(/\W/g, '')}`);
    if (content !== undefined) writeFileSync(tokenFile, content);
    const transport = new ScriptedTransport();
    const { sink, logs, drops } = sinkWith(transport, { tokenFile, maxAttempts: 2 });
    sink.enqueue(event(1));
    await sink.flush();
    expect(transport.requests).toHaveLength(0);
    expect(logs.lines.find((l) => l.code === code)).toMatchObject({ level: 'warn', path: tokenFile });
    expect(drops).toEqual([['retries-exhausted', 1]]);
    expect(logs.raw.join('\n')).not.toContain('abc');
    await sink.close();
  });
});

describe('createHttpSink options', () => {
  const log = createLogger({ component: 'test', destination: captureLogs() });

  it('refuses bad options, listing every problem', () => {
    try {
      createHttpSink({ url: 'http://user:pw@siem.example/x', log, maxBatchEvents: 0, maxBufferEvents: -1, format: 'xml' as 'ecs', authScheme: 'Bearer x' });
      expect.unreachable();
    } catch (err) {
      expect(hasCode(err, 'ERR_CONFIG_INVALID')).toBe(true);
      const problems = (err as { details: { problems: string[] } }).details.problems;
      expect(problems).toEqual(expect.arrayContaining([
        'url: must be an https:// URL', 'url: must not carry credentials (use tokenFile)', 'maxBatchEvents: must be a positive integer',
        'maxBufferEvents: must be a positive integer', 'format: must be ecs or ndjson', 'authScheme: must be one token (Bearer, ApiKey, Splunk)',
      ]));
      expect((err as Error).message).not.toContain('pw');
    }
  });

  it('refuses a URL that is not one', () => {
    expect(() => createHttpSink({ url: 'not a url', log })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('reports an unreadable CA file as ERR_FILE_IO', () => {
    expect(() => createHttpSink({ url: 'https://siem.example', log, caFile: join(dir, 'absent.pem') }))
      .toThrow(expect.objectContaining({ code: 'ERR_FILE_IO' }));
  });
});
