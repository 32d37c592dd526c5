import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogs, createLogger } from '../../lib/log/index.ts';
import { FULL_INPUTS } from '../../test/fixtures/security-event-inputs.ts';
import { createGatewayMetrics } from '../metrics/gateway-metrics.ts';
import { createMetricsRegistry } from '../metrics/metrics-registry.ts';
import { EVENT_ACTIONS, EVENT_CATALOGUE, type DropReason } from './schema.ts';
import { createSecurityEvents, type EventSink, type SecurityEvents } from './security-events.ts';

/** A sink that keeps what it is given and drops on request, as the HTTP sink would. */
class ListSink implements EventSink {
  readonly destination = 'https://siem.example';
  readonly lines: string[] = [];
  accept = true;
  closedWith: { deadlineMs?: number } | undefined;
  listener: ((reason: DropReason, count: number) => void) | undefined;
  enqueue(line: string): boolean {
    if (this.closedWith !== undefined || !this.accept) {
      this.listener?.(this.closedWith !== undefined ? 'shutdown' : 'buffer-full', 1);
      return false;
    }
    this.lines.push(line);
    return true;
  }
  onDrop(listener: (reason: DropReason, count: number) => void): void {
    this.listener = listener;
  }
  async close(options?: { deadlineMs?: number }): Promise<void> {
    this.closedWith = options ?? {};
  }
}

const peer = { address: '10.0.0.7', port: 5000, spiffeId: 'spiffe://cluster.local/ns/a/sa/b' };

function setup(opts: { level?: 'info' | 'error' } = {}) {
  const logs = captureLogs();
  const log = createLogger({ component: 'gateway', level: opts.level ?? 'info', destination: logs });
  const sink = new ListSink();
  const metrics = createGatewayMetrics(createMetricsRegistry());
  let n = 0;
  const events = createSecurityEvents({
    log, sink, metrics, service: { name: 'qshield-gateway', version: '9.9.9' }, qmgr: 'QM1',
    now: () => Date.parse('2026-11-23T10:00:00Z'), newId: () => `id-${++n}`, dropReportIntervalMs: 1000,
  });
  return { logs, sink, metrics, events };
}

async function counter(metrics: ReturnType<typeof createGatewayMetrics>, name: string, labels: Record<string, string>) {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('createSecurityEvents', () => {
  it('writes one JSON log line per event: the ECS fields, pino fields, and the message as msg', () => {
    const { logs, events } = setup();
    const ev = events.connectionRefused({ code: 'back-stop', peer, channel: 'pay-apps', reason: 'no rule matched' });
    expect(logs.lines).toHaveLength(1);
    const line = logs.lines[0] as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'info', component: 'gateway', module: 'security-events', msg: 'connection refused: back-stop',
      '@timestamp': '2026-11-23T10:00:00.000Z',
      event: { id: 'id-1', action: 'connection-refused', code: 'back-stop', outcome: 'failure', reason: 'no rule matched' },
      service: { name: 'qshield-gateway', version: '9.9.9' },
      source: { ip: '10.0.0.7', port: 5000 }, client: { user: { id: peer.spiffeId } },
      qshield: { qmgr: 'QM1', channel: 'pay-apps', reason_code: 2035 },
    });
    expect(line).not.toHaveProperty('message');
    expect(ev.message).toBe('connection refused: back-stop');
  });

  it.each(EVENT_ACTIONS.filter((a) => a !== 'events-dropped'))('logs %s at its catalogue level and hands the same document to the sink', (action) => {
    const { logs, sink, events } = setup();
    const method = {
      'connection-accepted': events.connectionAccepted, 'connection-refused': events.connectionRefused,
      'authorization-denied': events.authorizationDenied, 'limit-exceeded': events.limitExceeded,
      'protection-violation': events.protectionViolation, 'policy-bundle-loaded': events.policyBundleLoaded,
      'policy-bundle-refused': events.policyBundleRefused, 'identity-rotated': events.identityRotated,
      'identity-rotation-failed': events.identityRotationFailed, 'peer-quarantined': events.peerQuarantined,
    }[action] as (input: unknown) => unknown;
    const ev = method(FULL_INPUTS[action]);
    expect(logs.lines[0]?.level).toBe(EVENT_CATALOGUE[action].level);
    expect(sink.lines).toHaveLength(1);
    expect(JSON.parse(sink.lines[0] as string)).toEqual(ev);
    const { level: _l, time: _t, component: _c, module: _m, msg, ...fields } = logs.lines[0] as Record<string, unknown>;
    expect({ ...fields, message: msg }).toEqual(ev);
  });

  it('writes events even when the operational log level hides info lines', () => {
    const { logs, events } = setup({ level: 'error' });
    events.authorizationDenied({ peer, principal: 'p', operation: 'get', objectType: 'queue', queue: 'Q' });
    expect(logs.lines.map((l) => (l.event as { action: string }).action)).toEqual(['authorization-denied']);
  });

  it('counts every event by action and every denial by its code', async () => {
    const { metrics, events } = setup();
    events.connectionRefused({ code: 'peer-blocked', peer });
    events.connectionRefused({ code: 'peer-blocked', peer });
    events.protectionViolation({ code: 'qop-mismatch', disposition: 'refused' });
    events.connectionAccepted({ code: 'peer-allowed', peer, channel: 'c', principal: 'p' });
    expect(await counter(metrics, 'qshield_security_events_total', { action: 'connection-refused' })).toBe(2);
    expect(await counter(metrics, 'qshield_security_events_total', { action: 'connection-accepted' })).toBe(1);
    expect(await counter(metrics, 'qshield_denials_total', { reason: 'peer-blocked' })).toBe(2);
    expect(await counter(metrics, 'qshield_denials_total', { reason: 'qop-mismatch' })).toBe(1);
    expect(await counter(metrics, 'qshield_denials_total', { reason: 'peer-allowed' })).toBeUndefined();
  });

  it('counts drops at once and reports them as one events-dropped event per reason per interval', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-23T10:00:00Z') });
    const { logs, sink, metrics, events } = setup();
    sink.accept = false;
    for (let i = 0; i < 5; i++) events.connectionRefused({ code: 'back-stop', peer });
    expect(await counter(metrics, 'qshield_security_events_dropped_total', { reason: 'buffer-full' })).toBe(5);
    await vi.advanceTimersByTimeAsync(0);
    let dropped = logs.lines.filter((l) => (l.event as { action: string }).action === 'events-dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ level: 'warn', event: { code: 'buffer-full' }, qshield: { sink: { dropped: 5, dropped_total: 5, destination: 'https://siem.example' } } });
    // Reporting the drop was itself dropped: counted, reported in the next interval, no loop.
    for (let i = 0; i < 3; i++) events.connectionRefused({ code: 'back-stop', peer });
    await vi.advanceTimersByTimeAsync(500);
    expect(logs.lines.filter((l) => (l.event as { action: string }).action === 'events-dropped')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    dropped = logs.lines.filter((l) => (l.event as { action: string }).action === 'events-dropped');
    expect(dropped).toHaveLength(2);
    expect(dropped[1]).toMatchObject({ qshield: { sink: { dropped: 4, dropped_total: 9 } } });
    // The second report was dropped too: counted, but with no new drop nothing more is reported.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(logs.lines.filter((l) => (l.event as { action: string }).action === 'events-dropped')).toHaveLength(2);
    expect(await counter(metrics, 'qshield_security_events_dropped_total', { reason: 'buffer-full' })).toBe(10);
    events.connectionRefused({ code: 'back-stop', peer });
    await vi.advanceTimersByTimeAsync(1000);
    dropped = logs.lines.filter((l) => (l.event as { action: string }).action === 'events-dropped');
    expect(dropped.at(-1)).toMatchObject({ qshield: { sink: { dropped: 2, dropped_total: 11 } } });
    await events.close();
  });

  it('on close reports pending drops through the sink, closes it, then logs only', async () => {
    vi.useFakeTimers();
    const { logs, sink, events } = setup();
    sink.accept = false;
    events.connectionRefused({ code: 'back-stop', peer });
    sink.accept = true;
    await events.close({ deadlineMs: 1234 });
    expect(sink.closedWith).toEqual({ deadlineMs: 1234 });
    expect(sink.lines.map((l) => (JSON.parse(l) as { event: { action: string } }).event.action)).toEqual(['events-dropped']);
    events.identityRotated({ kind: 'svid', sha256: 'ab' });
    expect(sink.lines).toHaveLength(1);
    expect(logs.lines.at(-1)).toMatchObject({ event: { action: 'identity-rotated' } });
    // A drop the sink reports after close is logged at once, never fed back to the sink.
    sink.listener?.('shutdown', 7);
    expect(logs.lines.at(-1)).toMatchObject({ event: { action: 'events-dropped', code: 'shutdown' }, qshield: { sink: { dropped: 7 } } });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('works without a sink or metrics: the log is the record', () => {
    const logs = captureLogs();
    const events: SecurityEvents = createSecurityEvents({ log: createLogger({ component: 'c', destination: logs }), service: { name: 's' } });
    events.peerQuarantined({ code: 'denial-threshold', peer, until: new Date(0) });
    expect(logs.lines[0]).toMatchObject({ event: { action: 'peer-quarantined', kind: 'alert' }, qshield: { quarantine: { until: '1970-01-01T00:00:00.000Z' } } });
  });
});
