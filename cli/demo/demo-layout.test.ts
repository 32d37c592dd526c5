import { describe, expect, it } from 'vitest';
import { parsePolicyBundle } from '../../lib/policy/index.ts';
import { DEMO_QMGR, DEMO_QUEUES, DEMO_TRUST_DOMAIN, demoPolicyBundle, spiffeIdOf } from './demo-layout.ts';

describe('the demo\'s policy bundle', () => {
  const policy = parsePolicyBundle(JSON.stringify(demoPolicyBundle()));

  it('is a valid bundle for the demo\'s queue manager and trust domain, with one queue per quality of protection', () => {
    expect(policy.trustDomain).toBe(DEMO_TRUST_DOMAIN);
    expect(policy.bundle.queueManagerName).toBe(DEMO_QMGR);
    const qops = Object.fromEntries(policy.bundle.protectionPolicies.map((p) => [p.queue, p.qualityOfProtection]));
    expect(qops).toEqual({ [DEMO_QUEUES.integrity]: 'Integrity', [DEMO_QUEUES.privacy]: 'Privacy', [DEMO_QUEUES.confidentiality]: 'Confidentiality' });
    expect(policy.bundle.queues.map((q) => q.name)).toEqual(expect.arrayContaining([...Object.values(DEMO_QUEUES), 'SYSTEM.PROTECTION.ERROR.QUEUE']));
  });

  it('gives the workloads distinct SPIFFE ids; only the intruder sits outside the demo namespace', () => {
    expect(new Set(['gateway', 'producer', 'consumer', 'intruder'].map((n) => spiffeIdOf(n as 'producer'))).size).toBe(4);
    expect(spiffeIdOf('intruder')).toBe(`spiffe://${DEMO_TRUST_DOMAIN}/ns/guest/sa/intruder`);
    expect(spiffeIdOf('producer')).toBe(`spiffe://${DEMO_TRUST_DOMAIN}/ns/demo/sa/producer`);
  });
});
