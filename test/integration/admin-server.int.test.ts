// The admin server over real HTTP: health, readiness with injected checks, the gateway's
// metrics read back through a strict Prometheus text parser, and a graceful close.
import { createServer, type AddressInfo } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { hasCode } from '../../lib/errors/index.ts';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { startAdminServer, type AdminServer, type AdminServerOptions } from '../../sidecar/admin/index.ts';
import { createSecurityEvents } from '../../sidecar/events/index.ts';
import { createGatewayMetrics, createMetricsRegistry } from '../../sidecar/metrics/index.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<AdminServerOptions> = {}) {
  const logs = captureLogs();
  const server = await startAdminServer({ log: createLogger({ component: 'gateway', destination: logs }), ...options });
  servers.push(server);
  return { server, logs };
}

/** One request over a fresh connection; answers status, headers and body. */
function get(url: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin server', () => {
  it('listens on 127.0.0.1 by default and answers /healthz', async () => {
    const { server } = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await get(`${server.url}/healthz`);
    expect(res).toMatchObject({ status: 200, body: 'ok\n' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers /readyz 200 when every check passes and 503 naming the ones that fail', async () => {
    let brokerUp = false;
    const { server, logs } = await start({
      readiness: {
        broker: () => (brokerUp ? true : { ok: false, reason: 'broker disconnected' }),
        policy: async () => true,
        identity: () => { throw new Error('internal detail'); },
      },
    });
    let res = await get(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({
      status: 'not-ready', failed: ['broker', 'identity'],
      checks: { broker: { ok: false, reason: 'broker disconnected' }, policy: { ok: true }, identity: { ok: false, reason: 'check threw' } },
    });
    expect(res.body).not.toContain('internal detail');
    expect(logs.lines.find((l) => l.msg === 'not ready')).toMatchObject({ level: 'warn', failed: ['broker', 'identity'] });
    brokerUp = true;
    const ready = await startAdminServer({ log: createLogger({ component: 'g', destination: captureLogs() }), readiness: { broker: () => brokerUp } });
    servers.push(ready);
    res = await get(`${ready.url}/readyz`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ready', checks: { broker: { ok: true } } });
  });

  it('serves the gateway metrics in Prometheus text format, readable back', async () => {
    const registry = createMetricsRegistry({ defaultLabels: { component: 'gateway' } });
    const metrics = createGatewayMetrics(registry);
    const events = createSecurityEvents({ log: createLogger({ component: 'g', destination: captureLogs() }), metrics, service: { name: 'qshield-gateway' } });
    metrics.observeRequest('put', 201, 0.0007);
    metrics.observeRequest('get', 204, 2);
    metrics.setBrokerUp('amqp', true);
    metrics.tlsHandshake('TLSv1.3', 'X25519MLKEM768');
    metrics.policyBundleLoaded('payments-42', 1_700_000_000_000);
    metrics.connectionOpened('pay-apps');
    events.authorizationDenied({ peer: {}, principal: 'p', operation: 'get', objectType: 'queue', queue: 'Q' });
    events.connectionRefused({ code: 'back-stop', peer: {} });
    const { server } = await start({ registry });
    const res = await get(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = parsePrometheusText(res.body);
    const c = { component: 'gateway' };
    expect(text.types.get('qshield_requests_total')).toBe('counter');
    expect(text.types.get('qshield_request_duration_seconds')).toBe('histogram');
    expect(text.value('qshield_requests_total', { ...c, operation: 'put', outcome: 'success' })).toBe(1);
    expect(text.value('qshield_requests_total', { ...c, operation: 'get', outcome: 'no_message' })).toBe(1);
    expect(text.value('qshield_request_duration_seconds_bucket', { ...c, operation: 'put', le: '0.001' })).toBe(1);
    expect(text.value('qshield_request_duration_seconds_bucket', { ...c, operation: 'get', le: '1' })).toBe(0);
    expect(text.value('qshield_request_duration_seconds_count', { ...c, operation: 'get' })).toBe(1);
    expect(text.value('qshield_denials_total', { ...c, reason: 'not-authorized' })).toBe(1);
    expect(text.value('qshield_denials_total', { ...c, reason: 'back-stop' })).toBe(1);
    expect(text.value('qshield_broker_up', { ...c, driver: 'amqp' })).toBe(1);
    expect(text.value('qshield_tls_handshakes_total', { ...c, version: 'TLSv1.3', group: 'X25519MLKEM768' })).toBe(1);
    expect(text.value('qshield_policy_bundle_info', { ...c, revision: 'payments-42' })).toBe(1);
    expect(text.value('qshield_policy_bundle_loaded_timestamp_seconds', c)).toBe(1_700_000_000);
    expect(text.value('qshield_active_connections', { ...c, channel: 'pay-apps' })).toBe(1);
    expect(text.value('qshield_security_events_total', { ...c, action: 'connection-refused' })).toBe(1);
    expect(text.samples.every((s) => s.name.startsWith('qshield_'))).toBe(true);
  });

  it('answers 404 for other paths and for /metrics without a registry, 405 for other methods, and HEAD without a body', async () => {
    const { server } = await start();
    expect((await get(`${server.url}/`)).status).toBe(404);
    expect((await get(`${server.url}/metrics`)).status).toBe(404);
    expect((await get(`${server.url}/healthz/../admin`)).status).toBe(404);
    const post = await get(`${server.url}/healthz`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await get(`${server.url}/healthz?probe=1`, 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe('3');
  });

  it('refuses a port that is taken, with ERR_ADMIN_LISTEN_FAILED', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startAdminServer({ port, log: createLogger({ component: 'g', destination: captureLogs() }) }))
        .rejects.toSatisfy((err: unknown) => hasCode(err, 'ERR_ADMIN_LISTEN_FAILED') && err.details.port === port);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('closes gracefully: a request in progress completes, new connections are refused', async () => {
    let release: () => void = () => {};
    const gate = new Promise<boolean>((resolve) => {
      release = () => resolve(true);
    });
    const { server } = await start({ readiness: { slow: () => gate }, checkTimeoutMs: 10_000 });
    const inProgress = get(`${server.url}/readyz`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = server.close({ deadlineMs: 5000 });
    await expect(get(`${server.url}/healthz`)).rejects.toThrow(/ECONNREFUSED/);
    release();
    expect((await inProgress).status).toBe(200);
    await closing;
  });

  it('cuts requests still running at the close deadline', async () => {
    const { server } = await start({ readiness: { stuck: () => new Promise<boolean>(() => {}) }, checkTimeoutMs: 60_000 });
    const stuck = get(`${server.url}/readyz`).catch((err: Error) => err);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await server.close({ deadlineMs: 100 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await stuck).toBeInstanceOf(Error);
  });
});
