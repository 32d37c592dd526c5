import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { compareSpecificity, compileSpiffePattern, parseSpiffeId } from '../identity/index.ts';
import { cidrContains, parseCidr, parseIpAddress } from './address.ts';
import { channelRuleProblems, compileChannelRules } from './channel-rules.ts';
import type { ChannelOutcome, ChannelRuleSpec } from './channel-rules.ts';

const TD = 'spiffe://cluster.local';
const sa = (name: string, ns = 'pay') => `${TD}/ns/${ns}/sa/${name}`;

describe('channel rules: the DESIGN.md pay-apps channel', () => {
  const rules = compileChannelRules([
    { peer: sa('settle-*'), action: 'map', principal: 'settlement-apps' },
    { peer: sa('checkout'), action: 'allow' },
    { peer: sa('legacy'), action: 'block' },
    { address: '10.20.0.0/16', action: 'block' },
  ]);

  it.each([
    ['a settle- service account is mapped to settlement-apps', sa('settle-engine'), '10.1.2.3', 'PeerMapped', 'settlement-apps', 0],
    ['checkout is allowed as its own SPIFFE id', sa('checkout'), '10.1.2.3', 'PeerAllowed', sa('checkout'), 1],
    ['legacy is blocked by its rule', sa('legacy'), '10.1.2.3', 'PeerBlocked', undefined, 2],
    ['an address block acts before a peer allow (like BLOCKADDR)', sa('checkout'), '10.20.7.8', 'AddressBlocked', undefined, 3],
    ['an address block also catches an IPv4-mapped IPv6 peer address', sa('checkout'), '::ffff:10.20.7.8', 'AddressBlocked', undefined, 3],
    ['a peer no rule names is blocked by the back-stop', sa('intruder'), '10.1.2.3', 'BackStop', undefined, undefined],
    ['the same service account name in another namespace is not matched', sa('checkout', 'shop'), '10.1.2.3', 'BackStop', undefined, undefined],
    ['a peer of another trust domain is never matched', 'spiffe://evil.example/ns/pay/sa/checkout', '10.1.2.3', 'BackStop', undefined, undefined],
    ['settle alone does not match settle-*', sa('settle'), '10.1.2.3', 'BackStop', undefined, undefined],
    ['a peer id that is not a SPIFFE id is refused', 'https://cluster.local/ns/pay/sa/checkout', '10.1.2.3', 'InvalidPeer', undefined, undefined],
    ['a peer address that is not an IP address is refused', sa('checkout'), 'localhost', 'InvalidPeer', undefined, undefined],
  ] as const)('%s', (_name, id, address, outcome, principal, index) => {
    const d = rules.evaluate({ spiffeId: id, address });
    expect(d.outcome).toBe(outcome);
    expect(d.allowed).toBe(outcome === 'PeerAllowed' || outcome === 'PeerMapped');
    expect(d.principal).toBe(principal);
    expect(d.decidedBy?.index).toBe(index);
  });

  it('explains each decision in one sentence naming the rule', () => {
    expect(rules.evaluate({ spiffeId: sa('settle-engine'), address: '10.1.2.3' }).reason)
      .toBe(`peer ${sa('settle-engine')} from 10.1.2.3 is mapped to principal settlement-apps by rule 0 (peer ${sa('settle-*')}, map to settlement-apps)`);
    expect(rules.evaluate({ spiffeId: sa('checkout'), address: '10.20.7.8' }).reason)
      .toBe(`address 10.20.7.8 of peer ${sa('checkout')} is blocked by rule 3 (address 10.20.0.0/16, block)`);
    expect(rules.evaluate({ spiffeId: sa('x'), address: '10.1.2.3' }).reason)
      .toBe(`no rule matches peer ${sa('x')} from 10.1.2.3: blocked by the back-stop`);
  });

  it('takes a parsed SpiffeId as well as a string', () => {
    expect(rules.evaluate({ spiffeId: parseSpiffeId(sa('checkout')), address: '10.1.2.3' }).outcome).toBe('PeerAllowed');
  });
});

describe('channel rule precedence', () => {
  const decide = (specs: ChannelRuleSpec[], id: string, address = '10.1.2.3'): [ChannelOutcome, number | undefined] => {
    const d = compileChannelRules(specs).evaluate({ spiffeId: id, address });
    return [d.outcome, d.decidedBy?.index];
  };

  it.each([
    ['an exact peer allow beats a namespace-wide block (IBM: SSLPEERMAP CN=* NOACCESS plus an exact DN)',
      [{ peer: `${TD}/**`, action: 'block' }, { peer: sa('checkout'), action: 'allow' }], sa('checkout'), undefined, ['PeerAllowed', 1]],
    ['the namespace-wide block still blocks everyone else',
      [{ peer: `${TD}/**`, action: 'block' }, { peer: sa('checkout'), action: 'allow' }], sa('other'), undefined, ['PeerBlocked', 0]],
    ['an exact block beats a wider allow',
      [{ peer: `${TD}/ns/pay/**`, action: 'allow' }, { peer: sa('legacy'), action: 'block' }], sa('legacy'), undefined, ['PeerBlocked', 1]],
    ['a partial glob beats * in the same place',
      [{ peer: sa('*'), action: 'block' }, { peer: sa('settle-*'), action: 'map', principal: 's' }], sa('settle-x'), undefined, ['PeerMapped', 1]],
    ['left to right: a literal namespace beats a wildcard namespace with a literal account',
      [{ peer: `${TD}/ns/*/sa/checkout`, action: 'block' }, { peer: sa('*'), action: 'allow' }], sa('checkout'), undefined, ['PeerAllowed', 1]],
    ['rule order does not matter',
      [{ peer: sa('checkout'), action: 'allow' }, { peer: `${TD}/**`, action: 'block' }], sa('checkout'), undefined, ['PeerAllowed', 0]],
    ['a narrower address allow carves an exception out of an address block',
      [{ address: '10.0.0.0/8', action: 'block' }, { address: '10.1.2.0/24', action: 'allow' }, { peer: sa('checkout'), action: 'allow' }], sa('checkout'), '10.1.2.5', ['PeerAllowed', 2]],
    ['outside the exception the address block holds',
      [{ address: '10.0.0.0/8', action: 'block' }, { address: '10.1.2.0/24', action: 'allow' }, { peer: sa('checkout'), action: 'allow' }], sa('checkout'), '10.9.9.9', ['AddressBlocked', 0]],
    ['an address allow alone admits no one: only a peer rule does',
      [{ address: '10.0.0.0/8', action: 'allow' }], sa('checkout'), '10.1.2.3', ['BackStop', undefined]],
    ['a peer rule narrowed to addresses beats the same peer without addresses',
      [{ peer: sa('legacy'), action: 'block' }, { peer: sa('legacy'), address: '10.5.0.0/16', action: 'allow' }], sa('legacy'), '10.5.1.1', ['PeerAllowed', 1]],
    ['from other addresses the narrowed rule does not apply',
      [{ peer: sa('legacy'), action: 'block' }, { peer: sa('legacy'), address: '10.5.0.0/16', action: 'allow' }], sa('legacy'), '10.6.1.1', ['PeerBlocked', 0]],
    ['the narrower address wins between two narrowed rules of one pattern',
      [{ peer: sa('*'), address: '10.0.0.0/8', action: 'allow' }, { peer: sa('*'), address: '10.5.0.0/16', action: 'block' }], sa('x'), '10.5.1.1', ['PeerBlocked', 1]],
    ['the peer pattern ranks before the address narrowing',
      [{ peer: sa('*'), address: '10.1.0.0/16', action: 'block' }, { peer: sa('checkout'), action: 'allow' }], sa('checkout'), '10.1.2.3', ['PeerAllowed', 1]],
    ['an exact peer rule narrowed to other addresses leaves the decision to wildcard rules',
      [{ peer: sa('checkout'), address: '10.9.0.0/16', action: 'allow' }, { peer: sa('*'), action: 'block' }], sa('checkout'), '10.1.2.3', ['PeerBlocked', 1]],
    ['IPv6 address rules match IPv6 peers',
      [{ address: '2001:db8::/32', action: 'block' }, { peer: sa('checkout'), action: 'allow' }], sa('checkout'), '2001:db8::7', ['AddressBlocked', 0]],
    ['an empty rule list blocks everyone', [], sa('checkout'), undefined, ['BackStop', undefined]],
  ] as const)('%s', (_name, specs, id, address, expected) => {
    expect(decide(specs as unknown as ChannelRuleSpec[], id, address)).toEqual(expected);
  });
});

describe('channel rule validation', () => {
  it.each([
    ['a map rule without a principal', [{ peer: sa('a'), action: 'map' }], '0.principal', /required when the action is map/],
    ['an allow rule with a principal', [{ peer: sa('a'), action: 'allow', principal: 'x' }], '0.principal', /only for map rules/],
    ['an address rule that maps', [{ address: '10.0.0.0/8', action: 'map', principal: 'x' }], '0.action', /only allow or block/],
    ['a rule with neither peer nor address', [{ action: 'allow' }], '0', /needs a peer.*or an address/],
    ['an unknown action', [{ peer: sa('a'), action: 'permit' }], '0.action', /allow, map, block/],
    ['a peer pattern with a wildcard trust domain', [{ peer: 'spiffe://*/ns/a', action: 'allow' }], '0.peer', /not a valid SPIFFE id pattern/],
    ['a peer pattern with ** in the middle', [{ peer: `${TD}/**/sa/x`, action: 'allow' }], '0.peer', /not a valid SPIFFE id pattern/],
    ['a CIDR block with host bits', [{ address: '10.20.1.0/16', action: 'block' }], '0.address', /did you mean 10\.20\.0\.0\/16/],
    ['a mapped principal that is a pattern', [{ peer: sa('a'), action: 'map', principal: `${TD}/ns/*` }], '0.principal', /not a pattern/],
    ['two rules for the same peer', [{ peer: sa('a'), action: 'allow' }, { peer: sa('a'), action: 'block' }], '1', /same peer and address as rule 0/],
    ['two rules for the same block written differently', [{ address: '2001:db8::/32', action: 'block' }, { address: '2001:DB8:0::/32', action: 'allow' }], '1', /same address as rule 0/],
    ['a description that is too long', [{ peer: sa('a'), action: 'allow', description: 'x'.repeat(257) }], '0.description', /at most 256/],
  ])('finds %s', (_name, specs, path, message) => {
    const problems = channelRuleProblems(specs as unknown as ChannelRuleSpec[]);
    const found = problems.find((p) => p.path.join('.') === path);
    expect(found?.message, JSON.stringify(problems)).toMatch(message);
    let thrown: unknown;
    try {
      compileChannelRules(specs as unknown as ChannelRuleSpec[]);
    } catch (err) {
      thrown = err;
    }
    expect(hasCode(thrown, 'ERR_POLICY_RULE_INVALID')).toBe(true);
  });

  it('accepts the same peer narrowed to different addresses', () => {
    expect(channelRuleProblems([
      { peer: sa('a'), action: 'allow', address: '10.0.0.0/8' },
      { peer: sa('a'), action: 'block' },
      { peer: sa('a'), action: 'block', address: '10.5.0.0/16' },
    ])).toEqual([]);
  });
});

// Brute force: every rule is looked at; the address stage takes the longest matching address
// rule; then of all matching peer rules the most specific pattern, then the narrowest address.
function oracle(specs: ChannelRuleSpec[], id: string, ip: string): [ChannelOutcome, number | undefined] {
  const address = parseIpAddress(ip);
  if (address === undefined) return ['InvalidPeer', undefined];
  const block = (s: ChannelRuleSpec) => {
    const parsed = parseCidr(s.address);
    return parsed.ok ? parsed.block : undefined;
  };
  const addressHits = specs.map((s, i) => ({ s, i, b: block(s) })).filter((r) => r.s.peer === undefined && cidrContains(r.b as NonNullable<typeof r.b>, address));
  addressHits.sort((x, y) => (y.b?.prefix ?? 0) - (x.b?.prefix ?? 0));
  const first = addressHits[0];
  if (first !== undefined && first.s.action === 'block') return ['AddressBlocked', first.i];
  const peerHits = specs
    .map((s, i) => ({ s, i, b: s.address === undefined ? undefined : block(s) }))
    .filter((r) => r.s.peer !== undefined && compileSpiffePattern(r.s.peer).matches(id) && (r.b === undefined || cidrContains(r.b, address)));
  peerHits.sort((x, y) => compareSpecificity(compileSpiffePattern(x.s.peer as string), compileSpiffePattern(y.s.peer as string)) || (y.b?.prefix ?? -1) - (x.b?.prefix ?? -1));
  const winner = peerHits[0];
  if (winner === undefined) return ['BackStop', undefined];
  return [winner.s.action === 'allow' ? 'PeerAllowed' : winner.s.action === 'map' ? 'PeerMapped' : 'PeerBlocked', winner.i];
}

const patternArb = fc.constantFrom(`${TD}/**`, `${TD}/ns/pay/**`, sa('*'), sa('checkout'), sa('settle-*'), sa('s*'), `${TD}/ns/*/sa/checkout`, `${TD}/ns/*/sa/*`, sa('legacy'));
const cidrArb = fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '0.0.0.0/0', '2001:db8::/32', '::/0');
const ruleArb: fc.Arbitrary<ChannelRuleSpec> = fc.oneof(
  fc.record({ peer: patternArb, action: fc.constantFrom('allow', 'block') }),
  fc.record({ peer: patternArb, action: fc.constant('map'), principal: fc.constantFrom('g1', 'g2') }),
  fc.record({ peer: patternArb, address: cidrArb, action: fc.constantFrom('allow', 'block') }),
  fc.record({ address: cidrArb, action: fc.constantFrom('allow', 'block') }),
);
const idArb = fc.constantFrom(sa('checkout'), sa('settle-engine'), sa('legacy'), sa('checkout', 'shop'), sa('x', 'other'), `${TD}/ns/pay`, 'spiffe://other.td/ns/pay/sa/checkout');
const ipArb = fc.constantFrom('10.1.2.3', '10.1.9.9', '10.200.0.1', '192.0.2.1', '::ffff:10.1.2.3', '2001:db8::1', '2001:db9::1');

describe('channel rule properties', () => {
  it('agrees with a brute-force reading of the precedence rules', () => {
    const uniqueRules = fc.uniqueArray(ruleArb, { maxLength: 8, selector: (r) => `${r.peer ?? ''} ${r.address ?? ''}` });
    fc.assert(fc.property(uniqueRules, idArb, ipArb, (specs, id, ip) => {
      const d = compileChannelRules(specs).evaluate({ spiffeId: id, address: ip });
      expect([d.outcome, d.decidedBy?.index]).toEqual(oracle(specs, id, ip));
    }), { numRuns: 3000 });
  });

  it('never throws and never allows without a principal, whatever the peer claims', () => {
    const rules = compileChannelRules([{ peer: `${TD}/**`, action: 'allow' }, { address: '10.0.0.0/8', action: 'block' }]);
    fc.assert(fc.property(fc.oneof(fc.string(), idArb), fc.oneof(fc.string(), ipArb), (id, ip) => {
      const d = rules.evaluate({ spiffeId: id, address: ip });
      expect(d.allowed).toBe(d.principal !== undefined);
      expect(d.reason.length).toBeGreaterThan(0);
    }));
  });
});
