import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../metrics/index.ts';
import { createWorkloadMetrics } from './workload-metrics.ts';

const docs = readFileSync(new URL('../../docs/sidecar-config.md', import.meta.url), 'utf8');
const documented = [...docs.matchAll(/^\| `(qshield_sidecar_[a-z_]+)` \| (\w+) \|([^|]*)\|/gm)].map((m) => ({
  name: m[1] as string, type: m[2] as string, labels: (m[3] as string).split(',').map((s) => s.trim().replaceAll('`', '')).filter(Boolean).sort(),
}));

describe('workload metrics', () => {
  it('registers exactly the metrics docs/sidecar-config.md lists, with their types and labels', async () => {
    const registry = createMetricsRegistry();
    createWorkloadMetrics(registry);
    const registered = (await registry.getMetricsAsJSON()).map((m) => ({ name: m.name, type: String(m.type), labels: [] as string[] }));
    expect(registered.map((m) => m.name).sort()).toEqual(documented.map((m) => m.name).sort());
    for (const m of registered) expect(documented.find((d) => d.name === m.name)?.type).toBe(m.type);
  });

  it('counts with bounded label values', async () => {
    const registry = createMetricsRegistry();
    const metrics = createWorkloadMetrics(registry);
    metrics.sealed('Privacy');
    metrics.opened('privacy');
    metrics.quarantined('decryption-failed');
    metrics.quarantined('something we never heard of');
    metrics.settleFailed('ack');
    const text = await registry.metrics();
    expect(text).toContain('qshield_sidecar_messages_sealed_total{qop="privacy"} 1');
    expect(text).toContain('qshield_sidecar_messages_opened_total{qop="privacy"} 1');
    expect(text).toContain('qshield_sidecar_messages_quarantined_total{reason="decryption-failed"} 1');
    expect(text).toContain('qshield_sidecar_messages_quarantined_total{reason="unknown"} 1');
    expect(text).toContain('qshield_sidecar_lease_settle_failures_total{action="ack"} 1');
  });
});
