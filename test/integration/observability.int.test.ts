// The observability of a component wired as the gateway will wire it: events to a real HTTPS
// sink, metrics and readiness on the admin port, and one ordered shutdown.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCode } from '../../lib/errors/index.ts';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { compileChannelRules } from '../../lib/policy/index.ts';
import type { SecurityEvent } from '../../sidecar/events/index.ts';
import { startObservability } from '../../sidecar/observability/index.ts';
import { makeLocalTls, type LocalTls } from '../support/local-tls.ts';
import { parsePrometheusText } from '../support/prometheus-text.ts';
import { startRecordingServer } from '../support/recording-https-server.ts';

let tls: LocalTls;
beforeAll(() => {
  tls = makeLocalTls('observability');
});
afterAll(() => tls.cleanup());

const rules = compileChannelRules([{ peer: 'spiffe://cluster.local/ns/pay/sa/checkout', action: 'allow' }]);

describe('startObservability', () => {
  it('reports, serves metrics and readiness, drains, and flushes events on close', async () => {
    const siem = await startRecordingServer(tls);
    const logs = captureLogs();
    let brokerUp = true;
    const obs = await startObservability({
      log: createLogger({ component: 'gateway', destination: logs }),
      service: { name: 'qshield-gateway', version: '0.1.0' },
      qmgr: 'PAYMENTS',
      sink: { url: siem.url, caFile: tls.caFile, flushIntervalMs: 60_000 },
      readiness: { broker: () => brokerUp },
    });
    const peer = { spiffeId: 'spiffe://cluster.local/ns/shop/sa/cart', address: '10.9.9.9', port: 4444 };
    obs.events.channelDecision({ channel: 'pay-apps', decision: rules.evaluate(peer), peer });
    obs.metrics.observeRequest('put', 201, 0.001);

    const text = parsePrometheusText(await (await fetch(`${obs.admin.url}/metrics`)).text());
    expect(text.value('qshield_denials_total', { reason: 'back-stop' })).toBe(1);
    expect(text.value('qshield_security_event_sink_buffered_events')).toBe(1);
    expect(text.value('qshield_requests_total', { operation: 'put', outcome: 'success' })).toBe(1);
    expect(text.types.get('process_cpu_user_seconds_total')).toBe('counter');

    expect((await fetch(`${obs.admin.url}/readyz`)).status).toBe(200);
    brokerUp = false;
    obs.addReadinessCheck('policy', () => ({ ok: false, reason: 'no policy bundle loaded' }));
    let res = await fetch(`${obs.admin.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ failed: ['broker', 'policy'] });
    brokerUp = true;
    obs.addReadinessCheck('policy', () => true);
    obs.startDraining();
    res = await fetch(`${obs.admin.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ failed: ['draining'], checks: { draining: { ok: false, reason: 'shutting down' } } });

    expect(siem.requests).toHaveLength(0);
    await obs.close({ deadlineMs: 5000 });
    expect(siem.requests).toHaveLength(1);
    expect((JSON.parse(siem.requests[0]?.body ?? '[]') as SecurityEvent[]).map((e) => [e.event.action, e.event.code])).toEqual([['connection-refused', 'back-stop']]);
    await expect(fetch(`${obs.admin.url}/healthz`)).rejects.toThrow();
    await obs.close();
    await siem.close();
  });

  it('leaves nothing running when the admin port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(startObservability({
        log: createLogger({ component: 'gateway', destination: captureLogs() }),
        service: { name: 'qshield-gateway' },
        sink: { url: 'https://127.0.0.1:9/ingest', caFile: tls.caFile },
        admin: { port },
        processMetrics: false,
      })).rejects.toSatisfy((err: unknown) => hasCode(err, 'ERR_ADMIN_LISTEN_FAILED'));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuses bad sink options before starting anything', async () => {
    await expect(startObservability({
      log: createLogger({ component: 'gateway', destination: captureLogs() }),
      service: { name: 'qshield-gateway' },
      sink: { url: 'http://siem.example/ingest' },
    })).rejects.toSatisfy((err: unknown) => hasCode(err, 'ERR_CONFIG_INVALID'));
  });
});
