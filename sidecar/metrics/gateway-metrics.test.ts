import { readFileSync } from 'node:fs';
import { register as globalRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DENIAL_CODES } from '../events/schema.ts';
import { createGatewayMetrics, LATENCY_BUCKETS } from './gateway-metrics.ts';
import { OUTCOMES, outcomeForStatus, tlsGroupLabel, CappedLabel } from './labels.ts';
import { createMetricsRegistry } from './metrics-registry.ts';

const docs = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
/** Rows of the first table: name, type, labels. */
const documented = [...docs.matchAll(/^\| `(qshield_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)].map((m) => ({
  name: m[1] as string,
  type: m[2] as string,
  labels: [...(m[3] as string).matchAll(/`(\w+)`/g)].map((l) => l[1] as string),
}));

function fresh() {
  return createGatewayMetrics(createMetricsRegistry());
}

async function values(metrics: ReturnType<typeof fresh>, name: string): Promise<MetricValue<string>[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return ((await metric.get()) as MetricObjectWithValues<MetricValue<string>>).values;
}

async function value(metrics: ReturnType<typeof fresh>, name: string, labels: Record<string, string> = {}) {
  const all = await values(metrics, name);
  return all.find((v) => Object.keys(v.labels).length === Object.keys(labels).length
    && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('createGatewayMetrics', () => {
  it('registers exactly the metrics docs/metrics.md lists, with their types and labels', async () => {
    const metrics = fresh();
    const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => ({
      name: m.name,
      type: String(m.type),
      labels: [...new Set(m.values.flatMap((v) => Object.keys(v.labels)).filter((l) => l !== 'le'))],
    }));
    expect(registered.map((m) => m.name).sort()).toEqual(documented.map((m) => m.name).sort());
    for (const doc of documented) {
      const reg = registered.find((m) => m.name === doc.name);
      expect(reg?.type, doc.name).toBe(doc.type);
      // Labels of series not yet observed do not show in values; check the declared ones.
      const declared = (metrics.registry.getSingleMetric(doc.name) as unknown as { labelNames: string[] }).labelNames;
      expect(declared, doc.name).toEqual(doc.labels);
    }
  });

  it('names every metric by the Prometheus conventions', () => {
    for (const { name, type } of documented) {
      expect(name).toMatch(/^qshield_[a-z][a-z0-9_]*$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (name.includes('duration') || name.includes('timestamp')) expect(name).toMatch(/_seconds$/);
    }
  });

  it('keeps registries apart: two sets in one process, none on the global registry', async () => {
    const a = fresh();
    const b = fresh();
    a.observeRequest('put', 201, 0.002);
    expect(await value(a, 'qshield_requests_total', { operation: 'put', outcome: 'success' })).toBe(1);
    expect(await value(b, 'qshield_requests_total', { operation: 'put', outcome: 'success' })).toBe(0);
    expect(globalRegistry.getSingleMetric('qshield_requests_total')).toBeUndefined();
  });

  it('refuses a second gateway set on the same registry', () => {
    const registry = createMetricsRegistry();
    createGatewayMetrics(registry);
    expect(() => createGatewayMetrics(registry)).toThrow(/already been registered/);
  });

  it('starts the known series at zero', async () => {
    const metrics = fresh();
    const requests = await values(metrics, 'qshield_requests_total');
    expect(requests).toHaveLength(7 * OUTCOMES.length);
    expect(requests.every((v) => v.value === 0)).toBe(true);
    expect((await values(metrics, 'qshield_denials_total')).map((v) => v.labels.reason).sort()).toEqual([...DENIAL_CODES].sort());
  });

  it('counts requests by outcome and observes latency in the documented buckets', async () => {
    const metrics = fresh();
    metrics.observeRequest('get', 200, 0.0004);
    metrics.observeRequest('get', 204, 5);
    metrics.observeRequest('get', 403, 0.0001);
    const end = metrics.startRequest('put');
    end(201);
    expect(await value(metrics, 'qshield_requests_total', { operation: 'get', outcome: 'success' })).toBe(1);
    expect(await value(metrics, 'qshield_requests_total', { operation: 'get', outcome: 'no_message' })).toBe(1);
    expect(await value(metrics, 'qshield_requests_total', { operation: 'get', outcome: 'denied' })).toBe(1);
    expect(await value(metrics, 'qshield_requests_total', { operation: 'put', outcome: 'success' })).toBe(1);
    const histogram = await values(metrics, 'qshield_request_duration_seconds');
    const buckets = histogram.filter((v) => (v as { metricName?: string }).metricName === 'qshield_request_duration_seconds_bucket' && v.labels.operation === 'get');
    expect(buckets.map((v) => v.labels.le)).toEqual([...LATENCY_BUCKETS, '+Inf']);
    expect(buckets.find((v) => v.labels.le === 0.0005)?.value).toBe(2);
    expect(buckets.find((v) => v.labels.le === '+Inf')?.value).toBe(3);
  });

  it.each([
    [200, 'success'], [201, 'success'], [204, 'no_message'], [401, 'denied'], [403, 'denied'], [400, 'rejected'], [404, 'rejected'],
    [413, 'rejected'], [429, 'rejected'], [503, 'unavailable'], [500, 'error'], [504, 'error'], [302, 'error'],
  ] as const)('maps HTTP %d to outcome %s', (status, outcome) => {
    expect(outcomeForStatus(status)).toBe(outcome);
  });

  it('bounds every label: values outside the set count as other', async () => {
    const metrics = fresh();
    metrics.observeRequest('DROP TABLE' as 'put', 200, 0.001);
    metrics.eventEmitted('connection-refused', 'spiffe://td/ns/x/sa/y');
    metrics.eventsDropped('whatever' as 'shutdown', 3);
    metrics.setBrokerUp('kafka', true);
    metrics.tlsHandshake('SSLv3', 'brainpoolP512r1');
    metrics.tlsHandshakeFailed('weird' as 'other');
    expect(await value(metrics, 'qshield_requests_total', { operation: 'other', outcome: 'success' })).toBe(1);
    expect(await value(metrics, 'qshield_denials_total', { reason: 'other' })).toBe(1);
    expect(await value(metrics, 'qshield_security_events_dropped_total', { reason: 'other' })).toBe(3);
    expect(await value(metrics, 'qshield_broker_up', { driver: 'other' })).toBe(1);
    expect(await value(metrics, 'qshield_tls_handshakes_total', { version: 'other', group: 'other' })).toBe(1);
    expect(await value(metrics, 'qshield_tls_handshake_failures_total', { reason: 'other' })).toBe(1);
  });

  it('caps the channel label and keeps a capped value stable', async () => {
    const metrics = createGatewayMetrics(createMetricsRegistry(), { maxChannels: 2 });
    for (const c of ['a', 'b', 'c', 'd', 'a', 'c']) metrics.connectionOpened(c);
    metrics.connectionClosed('d');
    expect(await value(metrics, 'qshield_active_connections', { channel: 'a' })).toBe(2);
    expect(await value(metrics, 'qshield_active_connections', { channel: 'b' })).toBe(1);
    expect(await value(metrics, 'qshield_active_connections', { channel: 'other' })).toBe(2);
    expect((await values(metrics, 'qshield_active_connections')).map((v) => v.labels.channel).sort()).toEqual(['a', 'b', 'other']);
  });

  it('counts denials from denial events only', async () => {
    const metrics = fresh();
    metrics.eventEmitted('authorization-denied', 'not-authorized');
    metrics.eventEmitted('limit-exceeded', 'rate-limited');
    metrics.eventEmitted('policy-bundle-refused', 'bundle-invalid');
    metrics.eventEmitted('peer-quarantined', 'denial-threshold');
    expect(await value(metrics, 'qshield_denials_total', { reason: 'not-authorized' })).toBe(1);
    expect(await value(metrics, 'qshield_denials_total', { reason: 'rate-limited' })).toBe(1);
    expect((await values(metrics, 'qshield_denials_total')).reduce((a, v) => a + v.value, 0)).toBe(2);
    expect(await value(metrics, 'qshield_security_events_total', { action: 'policy-bundle-refused' })).toBe(1);
  });

  it('keeps one bundle info series, for the revision in force', async () => {
    const metrics = fresh();
    metrics.policyBundleLoaded('rev-1', 1_000_000);
    metrics.policyBundleLoaded('rev-2', 2_000_000);
    metrics.policyBundleReloadFailed();
    expect(await values(metrics, 'qshield_policy_bundle_info')).toEqual([expect.objectContaining({ labels: { revision: 'rev-2' }, value: 1 })]);
    expect(await value(metrics, 'qshield_policy_bundle_loaded_timestamp_seconds')).toBe(2000);
    expect(await value(metrics, 'qshield_policy_bundle_reload_failures_total')).toBe(1);
  });

  it('reads the sink buffer at scrape time, and tracks broker, TLS and long-polls', async () => {
    const metrics = fresh();
    let buffered = 3;
    metrics.trackEventSink({ stats: () => ({ bufferedEvents: buffered, bufferedBytes: buffered * 100 }) });
    expect(await value(metrics, 'qshield_security_event_sink_buffered_events')).toBe(3);
    buffered = 7;
    expect(await value(metrics, 'qshield_security_event_sink_buffered_bytes')).toBe(700);
    metrics.setBrokerUp('amqp', true);
    metrics.setBrokerUp('amqp', false);
    metrics.brokerReconnected('amqp');
    metrics.tlsHandshake('TLSv1.3', 'X25519MLKEM768');
    metrics.tlsHandshake('TLSv1.3', 'prime256v1');
    metrics.tlsHandshake('TLSv1.2', undefined);
    metrics.longPollStarted();
    metrics.longPollStarted();
    metrics.longPollEnded();
    expect(await value(metrics, 'qshield_broker_up', { driver: 'amqp' })).toBe(0);
    expect(await value(metrics, 'qshield_broker_reconnects_total', { driver: 'amqp' })).toBe(1);
    expect(await value(metrics, 'qshield_tls_handshakes_total', { version: 'TLSv1.3', group: 'X25519MLKEM768' })).toBe(1);
    expect(await value(metrics, 'qshield_tls_handshakes_total', { version: 'TLSv1.3', group: 'P-256' })).toBe(1);
    expect(await value(metrics, 'qshield_tls_handshakes_total', { version: 'TLSv1.2', group: 'none' })).toBe(1);
    expect(await value(metrics, 'qshield_long_polls_in_flight')).toBe(1);
  });

  it('exports the process metrics only when asked', async () => {
    const plain = await createMetricsRegistry().metrics();
    expect(plain).not.toContain('process_cpu');
    const withProcess = createMetricsRegistry({ processMetrics: true, defaultLabels: { component: 'gateway' } });
    const text = await withProcess.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{component="gateway"\} \d/m);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('label helpers', () => {
  it.each([
    ['X25519MLKEM768', 'X25519MLKEM768'], ['secp384r1', 'P-384'], ['P-256', 'P-256'], ['', 'none'], [undefined, 'none'], ['GOST', 'other'],
  ])('tlsGroupLabel(%j) = %s', (group, label) => {
    expect(tlsGroupLabel(group)).toBe(label);
  });

  it('CappedLabel names none for an empty value', () => {
    expect(new CappedLabel(1).value('')).toBe('none');
  });
});
