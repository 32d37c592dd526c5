import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../lib/log/index.ts';
import { DOC_CONTEXT, DOC_EXAMPLES, FULL_INPUTS } from '../../test/fixtures/security-event-inputs.ts';
import {
  BUILDERS, MAX_BUNDLE_PROBLEMS, MAX_REASON_LENGTH,
  buildAuthorizationDenied, buildConnectionAccepted, buildConnectionRefused, buildLimitExceeded, buildPolicyBundleRefused,
  buildProtectionViolation, type EventContext,
} from './build-event.ts';
import { ECS_VERSION, EVENT_ACTIONS, EVENT_CATALOGUE, type SecurityEventAction } from './schema.ts';

const docs = readFileSync(new URL('../../docs/security-events.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = docs.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = docs.indexOf('\n## ', start + 4);
  return docs.slice(start, end < 0 ? undefined : end);
}

/** The JSON examples of the Events section, in order. */
const documentedExamples = [...section('Events').matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => JSON.parse(m[1] as string) as Record<string, unknown>);

/** Leaf paths of a document; arrays are leaves. */
function paths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => paths(v, prefix === '' ? k : `${prefix}.${k}`));
}

function build(action: SecurityEventAction, input: unknown, ctx: EventContext = DOC_CONTEXT) {
  return (BUILDERS[action] as (c: EventContext, i: unknown) => ReturnType<typeof buildConnectionAccepted>)(ctx, input);
}

const ctx: EventContext = { now: 0, id: 'id-1', service: { name: 'qshield-gateway' } };

describe('the security-event constructors against docs/security-events.md', () => {
  it('documents each example exactly as its constructor builds it', () => {
    expect(documentedExamples).toHaveLength(DOC_EXAMPLES.length);
    DOC_EXAMPLES.forEach((ex, i) => {
      const built = build(ex.action, ex.input, { ...DOC_CONTEXT, service: ex.service ?? DOC_CONTEXT.service });
      expect(documentedExamples[i], `example ${i} (${ex.action})`).toEqual(JSON.parse(JSON.stringify(built)));
    });
  });

  it('has a section and an example for every action', () => {
    const documented = new Set(documentedExamples.map((e) => (e.event as { action: string }).action));
    for (const action of EVENT_ACTIONS) {
      expect(docs, action).toContain(`\n### ${action}\n`);
      expect(documented.has(action), action).toBe(true);
    }
  });

  it.each(EVENT_ACTIONS)('%s: with every fact given, produces exactly the fields its examples document', (action) => {
    const built = paths(build(action, FULL_INPUTS[action])).sort();
    const shown = [...new Set(documentedExamples.filter((e) => (e.event as { action: string }).action === action).flatMap((e) => paths(e)))].sort();
    expect(built).toEqual(shown);
  });

  it('describes every field an event can carry in the Fields tables', () => {
    const fields = section('Fields');
    const names = [...fields.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...(m[1] as string).matchAll(/`([^`]+)`/g)].map((n) => n[1] as string));
    const covered = (path: string) => names.some((n) => n === path || (n.endsWith('.*') && path.startsWith(n.slice(0, -1))));
    const all = new Set(EVENT_ACTIONS.flatMap((a) => paths(build(a, FULL_INPUTS[a]))));
    expect([...all].filter((p) => !covered(p))).toEqual([]);
  });

  it('matches the catalogue table: kind, category, type, outcome, level and codes', () => {
    const rows = [...section('The catalogue').matchAll(/^\| \[`([a-z-]+)`\][^|]*\|(.*)\|$/gm)];
    expect(rows.map((r) => r[1])).toEqual(EVENT_ACTIONS);
    for (const row of rows) {
      const spec = EVENT_CATALOGUE[row[1] as SecurityEventAction];
      const cells = (row[2] as string).split('|').map((c) => c.trim());
      const list = (cell: string | undefined) => (cell === '—' ? [] : (cell ?? '').split(', '));
      expect(cells[0], row[1]).toBe(spec.kind);
      expect(list(cells[1]), row[1]).toEqual(spec.category);
      expect(list(cells[2]), row[1]).toEqual(spec.type);
      expect(cells[3], row[1]).toBe(spec.outcome);
      expect(cells[4], row[1]).toBe(spec.level);
      expect([...(cells[5] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1]), row[1]).toEqual(spec.codes);
      expect(row[0].includes('*denial*'), row[1]).toBe(spec.denial);
    }
  });
});

describe('security-event constructors', () => {
  it('write the common ECS fields on every event', () => {
    const ev = buildConnectionAccepted({ ...ctx, now: Date.parse('2026-11-23T10:00:00Z') }, { code: 'peer-allowed', peer: {}, channel: 'c', principal: 'p' });
    expect(ev['@timestamp']).toBe('2026-11-23T10:00:00.000Z');
    expect(ev.ecs).toEqual({ version: ECS_VERSION });
    expect(ev.event).toEqual({
      id: 'id-1', kind: 'event', category: ['network', 'authentication'], type: ['connection', 'start', 'allowed'],
      action: 'connection-accepted', outcome: 'success', code: 'peer-allowed', dataset: 'qshield.security',
    });
    expect(ev.service).toEqual({ name: 'qshield-gateway' });
    expect(ev.message).toBe('connection accepted: peer-allowed');
  });

  it('leave out every fact the caller did not give', () => {
    const ev = buildConnectionRefused(ctx, { code: 'no-client-certificate', peer: {} });
    expect(Object.keys(ev)).toEqual(['@timestamp', 'ecs', 'message', 'event', 'service', 'qshield']);
    expect(ev.qshield).toEqual({});
  });

  it('split the TLS protocol into ECS version and protocol, and name the group as tls.curve', () => {
    const ev = buildConnectionAccepted(ctx, { code: 'peer-allowed', peer: {}, channel: 'c', principal: 'p', tls: { protocol: 'TLSv1.2', group: 'P-256' } });
    expect(ev.tls).toEqual({ version: '1.2', version_protocol: 'tls', curve: 'P-256' });
  });

  it.each([
    ['peer-blocked', 2035], ['address-blocked', 2035], ['back-stop', 2035], ['invalid-peer', 2035], ['peer-quarantined', 2035],
    ['identity-invalid', undefined], ['no-client-certificate', undefined], ['tls-too-weak', undefined],
  ] as const)('give %s the MQ reason code %s by default', (code, mqrc) => {
    expect(buildConnectionRefused(ctx, { code, peer: {} }).qshield.reason_code).toBe(mqrc);
  });

  it('default the MQ reason codes of denials, violations and size limits', () => {
    const peer = { address: '10.0.0.1' };
    expect(buildAuthorizationDenied(ctx, { peer, principal: 'p', operation: 'put', objectType: 'queue', queue: 'Q' }).qshield.reason_code).toBe(2035);
    expect(buildProtectionViolation(ctx, { code: 'not-protected', disposition: 'refused' }).qshield.reason_code).toBe(2063);
    expect(buildLimitExceeded(ctx, { code: 'message-too-large', peer, limit: 1 }).qshield.reason_code).toBe(2030);
    expect(buildLimitExceeded(ctx, { code: 'rate-limited', peer, limit: 1 }).qshield.reason_code).toBeUndefined();
  });

  it('let a request name its own queue manager over the default', () => {
    const ev = buildAuthorizationDenied({ ...ctx, qmgr: 'QM1' }, { peer: {}, principal: 'p', operation: 'sub', objectType: 'topic', qmgr: 'QM2', topic: 'prices/fx' });
    expect(ev.qshield).toMatchObject({ qmgr: 'QM2', topic: 'prices/fx', object_type: 'topic' });
  });

  it('keep events small whatever the peer sends: long strings are cut, bundle problems capped', () => {
    const ev = buildConnectionRefused(ctx, { code: 'back-stop', peer: { spiffeId: `spiffe://td/${'a'.repeat(100_000)}` }, reason: 'r'.repeat(100_000) });
    expect(ev.event.reason).toHaveLength(MAX_REASON_LENGTH);
    expect(ev.client?.user.id.length).toBeLessThanOrEqual(2048);
    const problems = Array.from({ length: 500 }, (_, i) => ({ path: `$.queues[${i}]`, message: 'x'.repeat(5000) }));
    const refused = buildPolicyBundleRefused(ctx, { code: 'bundle-invalid', problems });
    expect(refused.qshield.bundle?.problems).toHaveLength(MAX_BUNDLE_PROBLEMS);
    expect(refused.qshield.bundle?.problems_total).toBe(500);
    expect(JSON.stringify(refused).length).toBeLessThan(20_000);
  });

  it('use no field name the logger would redact (the event logger skips redaction)', () => {
    const redacted = new Set(REDACT_PATHS.map((p) => p.replace(/^\*\./, '').split(/[.[]/)[0]));
    const names = EVENT_ACTIONS.flatMap((a) => paths(build(a, FULL_INPUTS[a])).flatMap((p) => p.split('.')));
    expect(names.filter((n) => redacted.has(n))).toEqual([]);
    expect(redacted.has('token') && redacted.has('key')).toBe(true);
  });

  it('refuse misspelt or unknown fields and codes at compile time', () => {
    const check = () => {
      // @ts-expect-error `spiffeID` is not a field of PeerInfo
      buildConnectionRefused(ctx, { code: 'back-stop', peer: { spiffeID: 'x' } });
      // @ts-expect-error `blocked` is not a connection-refused code
      buildConnectionRefused(ctx, { code: 'blocked', peer: {} });
      // @ts-expect-error disposition is required on a protection violation
      buildProtectionViolation(ctx, { code: 'unknown' });
    };
    expect(check).toBeTypeOf('function');
  });
});
