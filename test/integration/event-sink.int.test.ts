// The security-event pipeline end to end: emitter → HTTP sink (undici) → a real HTTPS server
// with an openssl-made certificate, checked through what the server received, the sink's
// counters, the Prometheus registry and the log.
import { writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { createHttpSink, createSecurityEvents, type HttpSinkOptions, type SecurityEvent } from '../../sidecar/events/index.ts';
import { createGatewayMetrics, createMetricsRegistry } from '../../sidecar/metrics/index.ts';
import { makeLocalTls, type LocalTls } from '../support/local-tls.ts';
import { startRecordingServer, type RecordingServer, type Responder } from '../support/recording-https-server.ts';

let tls: LocalTls;
let foreign: LocalTls;

beforeAll(() => {
  tls = makeLocalTls('sink');
  foreign = makeLocalTls('foreign');
});
afterAll(() => {
  tls.cleanup();
  foreign.cleanup();
});

const peer = { address: '10.1.2.3', port: 40000, spiffeId: 'spiffe://cluster.local/ns/pay/sa/checkout' };

/** A log destination that counts lines and keeps only the sink's own (not the events). */
function sinkLogOnly() {
  const kept: Record<string, unknown>[] = [];
  let count = 0;
  return {
    kept,
    get count() {
      return count;
    },
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line === '') continue;
        count++;
        if (line.includes('"module":"event-sink"')) kept.push(JSON.parse(line) as Record<string, unknown>);
      }
    },
  };
}

/** The whole pipeline as the gateway wires it. */
function pipeline(url: string, options: Partial<HttpSinkOptions> = {}, logs: { write(chunk: string): void } = captureLogs()) {
  const log = createLogger({ component: 'gateway', destination: logs });
  const metrics = createGatewayMetrics(createMetricsRegistry());
  const sink = createHttpSink({ url, caFile: tls.caFile, log, initialDelayMs: 5, maxDelayMs: 20, ...options });
  metrics.trackEventSink(sink);
  const events = createSecurityEvents({ log, sink, metrics, service: { name: 'qshield-gateway' }, qmgr: 'PAYMENTS', dropReportIntervalMs: 50 });
  return { logs: logs as ReturnType<typeof captureLogs>, metrics, sink, events };
}

async function servedWith(respond?: Responder): Promise<RecordingServer> {
  return startRecordingServer(tls, respond);
}

async function metricValue(metrics: ReturnType<typeof createGatewayMetrics>, name: string, labels: Record<string, string> = {}) {
  const values = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

/** A port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('security events to an HTTPS sink', () => {
  it('delivers every event in order, in batches, as ECS JSON with the bearer token', async () => {
    const server = await servedWith();
    const tokenFile = join(tls.dir, 'token');
    writeFileSync(tokenFile, 'sink-token-0123456789\n');
    const { events, sink, logs } = pipeline(server.url, { tokenFile, maxBatchEvents: 500 });
    const sent: SecurityEvent[] = [];
    for (let i = 0; i < 1200; i++) {
      sent.push(events.authorizationDenied({ peer, principal: 'checkout', operation: 'get', objectType: 'queue', queue: `Q${i % 7}` }));
    }
    await events.close({ deadlineMs: 10_000 });
    expect(server.requests.map((r) => (JSON.parse(r.body) as unknown[]).length)).toEqual([500, 500, 200]);
    for (const r of server.requests) {
      expect(r).toMatchObject({ method: 'POST', url: '/ingest' });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers.authorization).toBe('Bearer sink-token-0123456789');
    }
    const received = server.requests.flatMap((r) => JSON.parse(r.body) as SecurityEvent[]);
    expect(received).toEqual(JSON.parse(JSON.stringify(sent)));
    expect(sink.stats()).toMatchObject({ sentEvents: 1200, droppedTotal: 0, bufferedEvents: 0 });
    expect(logs.raw.join('\n')).not.toContain('sink-token');
    await server.close();
  });

  it('delivers NDJSON when asked', async () => {
    const server = await servedWith();
    const { events } = pipeline(server.url, { format: 'ndjson' });
    events.policyBundleLoaded({ revision: 'r1' });
    events.policyBundleLoaded({ revision: 'r2' });
    await events.close();
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers['content-type']).toBe('application/x-ndjson');
    const lines = (server.requests[0]?.body ?? '').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as SecurityEvent).qshield.bundle?.revision)).toEqual(['r1', 'r2']);
    await server.close();
  });

  it('retries a batch the sink answers 503, then delivers it once', async () => {
    const server = await servedWith((n) => (n < 2 ? { status: 503, headers: { 'retry-after': '0' } } : 200));
    const { events, sink, logs } = pipeline(server.url);
    events.connectionRefused({ code: 'back-stop', peer, channel: 'pay-apps' });
    await sink.flush({ deadlineMs: 10_000 });
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((r) => r.body)).size).toBe(1);
    expect(sink.stats()).toMatchObject({ sentEvents: 1, failedAttempts: 2, droppedTotal: 0 });
    expect(logs.lines.filter((l) => l.code === 'ERR_EVENT_SINK_UNAVAILABLE').map((l) => l.status)).toEqual([503, 503]);
    await events.close();
    await server.close();
  });

  it('does not retry a batch the sink answers 400: drops it, counts it and says so', async () => {
    const server = await servedWith((n) => (n === 0 ? 400 : 200));
    const { events, sink, metrics, logs } = pipeline(server.url);
    events.connectionRefused({ code: 'back-stop', peer });
    events.connectionRefused({ code: 'peer-blocked', peer });
    await sink.flush({ deadlineMs: 10_000 });
    expect(server.requests).toHaveLength(1);
    expect(await metricValue(metrics, 'qshield_security_events_dropped_total', { reason: 'rejected' })).toBe(2);
    expect(logs.lines.find((l) => l.code === 'ERR_EVENT_SINK_REJECTED')).toMatchObject({ status: 400, events: 2 });
    // The drop is reported as an event, which the (now healthy) sink delivers.
    await vi.waitFor(() => expect(server.requests).toHaveLength(2), { timeout: 5000 });
    expect(JSON.parse(server.requests[1]?.body ?? '[]')).toEqual([
      expect.objectContaining({ event: expect.objectContaining({ action: 'events-dropped', code: 'rejected' }), qshield: expect.objectContaining({ sink: { dropped: 2, dropped_total: 2, destination: new URL(server.url).origin } }) }),
    ]);
    await events.close();
    await server.close();
  });

  it('drops against a dead sink with bounded memory, counting every drop', async () => {
    const url = `https://127.0.0.1:${await deadPort()}/ingest`;
    const logs = sinkLogOnly();
    const { events, sink, metrics } = pipeline(url, { maxBufferEvents: 200, maxBatchEvents: 50, maxBufferBytes: 1024 * 1024, maxAttempts: 1000 }, logs);
    const heapBefore = process.memoryUsage().heapUsed;
    const n = 100_000;
    const reason = 'x'.repeat(900); // about 1.5 KB per event: 150 MB if the sink kept them all
    for (let i = 0; i < n; i++) events.connectionRefused({ code: 'back-stop', peer, channel: 'pay-apps', reason });
    const stats = sink.stats();
    expect(stats.bufferedEvents).toBeLessThanOrEqual(200);
    expect(stats.bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(stats.dropped['buffer-full']).toBe(n - stats.bufferedEvents);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(await metricValue(metrics, 'qshield_security_events_dropped_total', { reason: 'buffer-full' })).toBe(n - 200);
    expect(await metricValue(metrics, 'qshield_security_event_sink_buffered_events')).toBe(200);
    await vi.waitFor(() => expect(logs.kept.some((l) => l.code === 'ERR_EVENT_SINK_UNAVAILABLE' && l.reason === 'ECONNREFUSED')).toBe(true));
    // The log still has every event: the sink is the copy that may lose them.
    expect(logs.count).toBeGreaterThanOrEqual(n);
    const closed = await sink.close({ deadlineMs: 200 });
    expect(closed.dropped.shutdown).toBe(200);
    expect(closed.bufferedEvents).toBe(0);
    await events.close();
  });

  it('flushes what is buffered on shutdown', async () => {
    const server = await servedWith();
    const { events, sink } = pipeline(server.url, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) events.identityRotated({ kind: 'svid', sha256: `fp${i}` });
    expect(server.requests).toHaveLength(0);
    await events.close({ deadlineMs: 5000 });
    expect(server.requests).toHaveLength(1);
    expect((JSON.parse(server.requests[0]?.body ?? '[]') as SecurityEvent[]).map((e) => e.qshield.identity?.sha256)).toEqual(
      Array.from({ length: 25 }, (_, i) => `fp${i}`),
    );
    expect(sink.stats()).toMatchObject({ sentEvents: 25, droppedTotal: 0 });
    await server.close();
  });

  it('keeps its shutdown deadline when the sink never answers', async () => {
    const server = await servedWith(() => 'hang');
    const { events, sink } = pipeline(server.url, { requestTimeoutMs: 60_000 });
    for (let i = 0; i < 10; i++) events.limitExceeded({ code: 'rate-limited', peer, limit: 100 });
    await sink.flush({ deadlineMs: 100 });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    const started = Date.now();
    const stats = await sink.close({ deadlineMs: 300 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(stats).toMatchObject({ sentEvents: 0, bufferedEvents: 0, dropped: { shutdown: 10 } });
    await events.close();
    await server.close();
  });

  it('refuses a sink whose certificate does not chain to the configured CA', async () => {
    const server = await startRecordingServer(foreign);
    const { events, sink, logs } = pipeline(server.url, { maxAttempts: 2 });
    events.connectionRefused({ code: 'back-stop', peer });
    await sink.flush({ deadlineMs: 5000 });
    expect(server.requests).toHaveLength(0);
    expect(server.tlsErrors).toBeGreaterThanOrEqual(1);
    expect(sink.stats()).toMatchObject({ sentEvents: 0, dropped: { 'retries-exhausted': 1 } });
    const failure = logs.lines.find((l) => l.code === 'ERR_EVENT_SINK_UNAVAILABLE');
    expect(String(failure?.reason)).toMatch(/CERT|SIGNATURE|ISSUER/);
    await events.close();
    await server.close();
  });
});
