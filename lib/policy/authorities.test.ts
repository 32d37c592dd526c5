import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { APPLICABLE_PERMISSIONS, authorityRecordProblems, compileAuthorities, expandPermissions, PERMISSIONS } from './authorities.ts';
import type { AuthorityRecord, AuthorityRequest, Permission } from './authorities.ts';
import { mostSpecificMatch, parseProfile } from './profile.ts';
import { BASE_TOPIC } from './topic-tree.ts';
import type { TopicObject } from './topic-tree.ts';

const QM = 'PAYMENTS';
const CHECKOUT = 'spiffe://cluster.local/ns/pay/sa/checkout';

const queue = (principals: string[], objectName: string, permission: Permission): AuthorityRequest => ({ principals, objectType: 'queue', objectName, permission });
const topic = (principals: string[], topicString: string, permission: Permission): AuthorityRequest => ({ principals, objectType: 'topic', topicString, permission });

describe('queue authorities', () => {
  // IBM "Profile priorities": setmqaut -n AB.* +put -p fred; setmqaut -n AB.C* +get -p fred.
  const ibm = compileAuthorities({
    queueManagerName: QM,
    authorities: [
      { principal: 'fred', objectType: 'queue', profile: 'AB.*', permissions: ['put'] },
      { principal: 'fred', objectType: 'queue', profile: 'AB.C*', permissions: ['get'] },
    ],
  });

  it.each([
    ['AB.CD takes get from AB.C*, the more specific profile', 'AB.CD', 'get', true, 'AB.C*'],
    ['AB.CD does not take put from AB.*: only the most specific profile applies', 'AB.CD', 'put', false, undefined],
    ['AB.XY matches only AB.* and so may be put to', 'AB.XY', 'put', true, 'AB.*'],
    ['AB.XY may not be got from', 'AB.XY', 'get', false, undefined],
    ['a queue outside both profiles is refused', 'CD.AB', 'put', false, undefined],
  ] as const)('%s', (_name, name, permission, allowed, profile) => {
    const d = ibm.evaluate(queue(['fred'], name, permission));
    expect(d.allowed).toBe(allowed);
    expect(d.grantedBy?.profile).toBe(profile);
  });

  it('names the profile that lacked the permission in a denial', () => {
    const d = ibm.evaluate(queue(['fred'], 'AB.CD', 'put'));
    expect(d.consulted).toEqual([{ principal: 'fred', profile: 'AB.C*', permissions: ['get'] }]);
    expect(d.reason).toMatch(/fred lacks put on queue AB\.CD.*AB\.C\*/);
  });

  it('refuses a principal that has no authority at all, saying so', () => {
    const d = ibm.evaluate(queue(['mallory'], 'AB.CD', 'get'));
    expect(d).toMatchObject({ allowed: false, consulted: [] });
    expect(d.reason).toMatch(/no authority profile of mallory matches queue AB\.CD/);
  });

  it('lets a more specific "none" profile shadow a broader grant, as OAM does', () => {
    const idx = compileAuthorities({
      queueManagerName: QM,
      authorities: [
        { principal: 'apps', objectType: 'queue', profile: 'PAY.**', permissions: ['put', 'get'] },
        { principal: 'apps', objectType: 'queue', profile: 'PAY.AUDIT', permissions: ['none'] },
      ],
    });
    expect(idx.evaluate(queue(['apps'], 'PAY.REQUEST', 'put')).allowed).toBe(true);
    expect(idx.evaluate(queue(['apps'], 'PAY.AUDIT', 'put')).allowed).toBe(false);
  });

  it('gives the union over several principals (a peer and the groups it is in)', () => {
    const idx = compileAuthorities({
      queueManagerName: QM,
      authorities: [
        { principal: CHECKOUT, objectType: 'queue', profile: 'PAY.REQUEST', permissions: ['put', 'inq'] },
        { principal: 'settlement-apps', objectType: 'queue', profile: 'PAY.**', permissions: ['get', 'browse'] },
      ],
    });
    expect(idx.evaluate(queue([CHECKOUT], 'PAY.REQUEST', 'get')).allowed).toBe(false);
    const d = idx.evaluate(queue([CHECKOUT, 'settlement-apps'], 'PAY.REQUEST', 'get'));
    expect(d.allowed).toBe(true);
    expect(d.grantedBy).toEqual({ principal: 'settlement-apps', profile: 'PAY.**', permissions: ['get', 'browse'] });
  });

  it('adds up repeated records for the same principal and profile, like repeated setmqaut +auth', () => {
    const idx = compileAuthorities({
      queueManagerName: QM,
      authorities: [
        { principal: 'a', objectType: 'queue', profile: 'Q.*', permissions: ['put'] },
        { principal: 'a', objectType: 'queue', profile: 'Q.*', permissions: ['get'] },
      ],
    });
    expect(idx.evaluate(queue(['a'], 'Q.1', 'put')).allowed).toBe(true);
    expect(idx.evaluate(queue(['a'], 'Q.1', 'get')).allowed).toBe(true);
  });

  it('refuses a permission that does not apply to the object type, whatever is granted', () => {
    const idx = compileAuthorities({ queueManagerName: QM, authorities: [{ principal: 'a', objectType: 'queue', profile: '**', permissions: ['all'] }] });
    const d = idx.evaluate(queue(['a'], 'Q', 'pub'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toMatch(/"pub" is not an authority of queue objects/);
  });

  it('refuses everything for an empty principal list', () => {
    const idx = compileAuthorities({ queueManagerName: QM, authorities: [{ principal: 'a', objectType: 'queue', profile: '**', permissions: ['all'] }] });
    expect(idx.evaluate(queue([], 'Q', 'put')).allowed).toBe(false);
  });
});

describe('queue manager authorities', () => {
  it.each([
    ['without a profile', undefined],
    ['with the profile "self"', 'self'],
    ['with the queue manager name as profile', QM],
  ])('grant connect %s', (_name, profile) => {
    const idx = compileAuthorities({ queueManagerName: QM, authorities: [{ principal: 'a', objectType: 'qmgr', ...(profile === undefined ? {} : { profile }), permissions: ['connect', 'inq'] }] });
    expect(idx.evaluate({ principals: ['a'], objectType: 'qmgr', permission: 'connect' })).toMatchObject({ allowed: true, objectName: QM });
    expect(idx.evaluate({ principals: ['a'], objectType: 'qmgr', permission: 'altusr' }).allowed).toBe(false);
  });
});

describe('permission groups', () => {
  it.each([
    ['allmqi on a queue gives the MQI authorities, not context or admin ones', 'queue', 'allmqi', ['inq', 'put', 'get', 'browse', 'set']],
    ['allmqi on the queue manager', 'qmgr', 'allmqi', ['connect', 'inq', 'set', 'altusr']],
    ['allmqi on a topic', 'topic', 'allmqi', ['pub', 'sub', 'resume']],
    ['alladm on a queue', 'queue', 'alladm', ['dsp', 'chg', 'clr']],
    ['alladm on a topic has no clr', 'topic', 'alladm', ['dsp', 'chg']],
    ['all on a queue includes the context authorities', 'queue', 'all', APPLICABLE_PERMISSIONS.queue],
    ['none gives nothing', 'queue', 'none', []],
  ] as const)('%s', (_name, type, grant, expected) => {
    expect(expandPermissions(type, [grant]).sort()).toEqual([...expected].sort());
  });
});

describe('topic authorities (inherited down the tree)', () => {
  // IBM: DEFINE TOPIC(FRUIT) TOPICSTR('Price/Fruit'); setmqaut -t topic -n FRUIT +sub.
  const topics: TopicObject[] = [
    { name: 'PRICE', topicString: 'Price' },
    { name: 'FRUIT', topicString: 'Price/Fruit' },
    { name: 'APPLES', topicString: 'Price/Fruit/Apples' },
  ];
  const idx = compileAuthorities({
    queueManagerName: QM,
    topics,
    authorities: [
      { principal: 'shop', objectType: 'topic', profile: 'FRUIT', permissions: ['sub'] },
      // Lower down the tree: cannot take away what FRUIT gives.
      { principal: 'shop', objectType: 'topic', profile: 'APPLES', permissions: ['none'] },
      { principal: 'grower', objectType: 'topic', profile: 'APPLES', permissions: ['pub'] },
      { principal: 'root', objectType: 'topic', profile: 'SYSTEM.BASE.TOPIC', permissions: ['pub'] },
    ],
  });

  it.each([
    ['a grant on the topic object allows its own topic string', 'shop', 'Price/Fruit', 'sub', true, 'FRUIT'],
    ['a grant is inherited by a topic string below it with no topic object', 'shop', 'Price/Fruit/Pears/Conference', 'sub', true, 'FRUIT'],
    ['a grant cannot be revoked lower down: none on APPLES leaves FRUIT\'s sub in force', 'shop', 'Price/Fruit/Apples/Red', 'sub', true, 'FRUIT'],
    ['a grant does not flow up the tree', 'grower', 'Price/Fruit', 'pub', false, undefined],
    ['a grant on APPLES allows below APPLES', 'grower', 'Price/Fruit/Apples/Green', 'pub', true, 'APPLES'],
    ['a sibling subtree is not covered', 'shop', 'Price/Vegetables', 'sub', false, undefined],
    ['a grant on SYSTEM.BASE.TOPIC covers the whole tree', 'root', 'anything/at/all', 'pub', true, BASE_TOPIC.name],
    ['a wildcard subscription is checked where its wildcard begins', 'shop', 'Price/+/Apples', 'sub', false, undefined],
    ['a wildcard below a granted node is allowed', 'shop', 'Price/Fruit/#', 'sub', true, 'FRUIT'],
    ['a string that only starts like a topic object is not below it', 'shop', 'Price/FruitCake', 'sub', false, undefined],
  ] as const)('%s', (_name, principal, topicString, permission, allowed, node) => {
    const d = idx.evaluate(topic([principal], topicString, permission));
    expect(d.allowed).toBe(allowed);
    expect(d.grantedBy?.topicObject).toBe(node);
  });

  it('reports in a denial each topic object where a profile matched without the permission', () => {
    const d = idx.evaluate(topic(['shop'], 'Price/Fruit/Apples', 'pub'));
    expect(d.allowed).toBe(false);
    expect(d.consulted.map((c) => c.topicObject)).toEqual(['APPLES', 'FRUIT']);
  });
});

describe('authority record validation', () => {
  it.each([
    ['a permission that does not apply to topics', { principal: 'a', objectType: 'topic', profile: 'T', permissions: ['put'] }, 'permissions.0', /does not apply to topic/],
    ['an unknown permission', { principal: 'a', objectType: 'queue', profile: 'Q', permissions: ['write'] }, 'permissions.0', /unknown permission/],
    ['none mixed with other permissions', { principal: 'a', objectType: 'queue', profile: 'Q', permissions: ['none', 'put'] }, 'permissions', /cannot be combined/],
    ['an empty permission list', { principal: 'a', objectType: 'queue', profile: 'Q', permissions: [] }, 'permissions', /at least one/],
    ['a queue authority without a profile', { principal: 'a', objectType: 'queue', permissions: ['put'] }, 'profile', /required/],
    ['a qmgr authority naming another queue manager', { principal: 'a', objectType: 'qmgr', profile: 'OTHER', permissions: ['connect'] }, 'profile', /queue manager itself/],
    ['a broken generic profile', { principal: 'a', objectType: 'queue', profile: 'A**', permissions: ['put'] }, 'profile', /whole qualifier/],
    ['a principal with spaces', { principal: 'bad name', objectType: 'queue', profile: 'Q', permissions: ['put'] }, 'principal', /must be a SPIFFE id or a name/],
    ['a principal that is a SPIFFE pattern, not an id', { principal: 'spiffe://cluster.local/ns/*', objectType: 'queue', profile: 'Q', permissions: ['put'] }, 'principal', /not a pattern/],
  ])('finds %s', (_name, record, path, message) => {
    const problems = authorityRecordProblems(record as AuthorityRecord, QM);
    expect(problems.map((p) => p.path.join('.'))).toContain(path);
    expect(problems.map((p) => p.message).join(' ')).toMatch(message);
    let thrown: unknown;
    try {
      compileAuthorities({ queueManagerName: QM, authorities: [record as AuthorityRecord] });
    } catch (err) {
      thrown = err;
    }
    expect(hasCode(thrown, 'ERR_POLICY_RULE_INVALID')).toBe(true);
  });
});

// Random authorities over a small alphabet, checked against a brute-force reading of OAM:
// per principal, of all its records whose profile matches, only the most specific applies.
const principalArb = fc.constantFrom('p1', 'p2', 'p3');
const profileArb = fc.constantFrom('**', 'A.**', 'A.*', 'A.B', 'A.B*', 'A.?', '*.B', 'A.**.C', 'A.B.C', '?.B', 'B');
const nameArb = fc.constantFrom('A', 'B', 'A.B', 'A.C', 'A.BB', 'A.B.C', 'X.B', 'A.X.C', 'A.X.Y.C');
const grantArb = fc.subarray(['put', 'get', 'browse', 'inq', 'none'] as const, { minLength: 1 }).map((g) => (g.includes('none') ? ['none' as const] : g));
const recordArb = fc.record({ principal: principalArb, objectType: fc.constant('queue' as const), profile: profileArb, permissions: grantArb });

function oracle(records: AuthorityRecord[], principals: string[], name: string, permission: Permission): boolean {
  return principals.some((principal) => {
    const mine = records.filter((r) => r.principal === principal);
    const best = mostSpecificMatch([...new Set(mine.map((r) => r.profile as string))].map(parseProfile), name);
    if (best === undefined) return false;
    return mine.filter((r) => r.profile === best.text).some((r) => expandPermissions('queue', r.permissions).includes(permission));
  });
}

describe('authority properties', () => {
  it('agrees with a brute-force reading of "only the most specific profile applies"', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 12 }), fc.subarray(['p1', 'p2', 'p3']), nameArb, fc.constantFrom('put', 'get', 'browse', 'inq') as fc.Arbitrary<Permission>, (records, principals, name, permission) => {
      const idx = compileAuthorities({ queueManagerName: QM, authorities: records });
      const d = idx.evaluate(queue(principals, name, permission));
      expect(d.allowed).toBe(oracle(records, principals, name, permission));
      if (d.allowed) expect(d.grantedBy?.permissions).toContain(permission);
    }), { numRuns: 1500 });
  });

  it('allows a topic exactly when some topic object at or above the string grants it', () => {
    const levels = fc.constantFrom('a', 'b', 'c');
    const topicStringArb = fc.array(levels, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));
    const objectsArb = fc.uniqueArray(topicStringArb, { maxLength: 6 }).map((strings) => strings.map((s, i) => ({ name: `T${i}`, topicString: s })));
    fc.assert(fc.property(objectsArb, fc.array(fc.record({ node: fc.nat(6), grant: fc.constantFrom(['sub'] as const, ['none'] as const, ['pub'] as const) }), { maxLength: 5 }), topicStringArb, (objects, grants, requested) => {
      const names = [BASE_TOPIC.name, ...objects.map((o) => o.name)];
      const authorities = grants.map((g) => ({ principal: 'p', objectType: 'topic' as const, profile: names[g.node % names.length] as string, permissions: g.grant }));
      const idx = compileAuthorities({ queueManagerName: QM, topics: objects, authorities });
      const above = [BASE_TOPIC, ...objects].filter((o) => o.topicString === '' || requested === o.topicString || requested.startsWith(`${o.topicString}/`));
      const expected = above.some((o) => authorities.some((a) => a.profile === o.name && a.permissions.includes('sub' as never)));
      expect(idx.evaluate(topic(['p'], requested, 'sub')).allowed).toBe(expected);
    }), { numRuns: 1000 });
  });

  it('never allows a permission outside the object type', () => {
    const idx = compileAuthorities({ queueManagerName: QM, authorities: [{ principal: 'a', objectType: 'topic', profile: '**', permissions: ['all'] }] });
    for (const p of PERMISSIONS) {
      expect(idx.evaluate(topic(['a'], 'x/y', p)).allowed).toBe(APPLICABLE_PERMISSIONS.topic.includes(p));
    }
  });
});
