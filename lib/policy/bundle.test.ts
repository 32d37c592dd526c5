import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { MAX_REPORTED_PROBLEMS, parsePolicyBundle, policyBundleProblems } from './bundle.ts';
import type { PolicyProblem } from './bundle.ts';
import { policyBundleJsonSchema } from './bundle-schema.ts';

const EXAMPLE_TEXT = readFileSync(new URL('../../examples/policy-bundle.json', import.meta.url), 'utf8');
const example = (): Record<string, any> => JSON.parse(EXAMPLE_TEXT); // eslint-disable-line @typescript-eslint/no-explicit-any
const TD = 'spiffe://cluster.local';

function problemsOf(input: unknown): PolicyProblem[] {
  try {
    parsePolicyBundle(input);
  } catch (err) {
    if (!hasCode(err, 'ERR_POLICY_BUNDLE_INVALID')) throw err;
    return err.details.problems as PolicyProblem[];
  }
  return [];
}

describe('the example bundle (examples/policy-bundle.json)', () => {
  const policy = parsePolicyBundle(EXAMPLE_TEXT);

  it('parses with no problems and no warnings', () => {
    expect(policy.revision).toBe('pay/payments/7');
    expect(policy.queueManagerName).toBe('PAYMENTS');
    expect(policy.trustDomain).toBe('cluster.local');
    expect(policy.warnings).toEqual([]);
    expect(policyBundleProblems(EXAMPLE_TEXT)).toEqual([]);
  });

  it('applies the documented defaults', () => {
    expect(policy.queue('PAY.REQUEST')).toEqual({ name: 'PAY.REQUEST', maxDepth: 5000, maxMessageLength: 4_194_304 });
    expect(policy.queue('PAY.AUDIT')?.maxDepth).toBe(100_000);
    expect(policy.queue('PAY.NOPE')).toBeUndefined();
    const minimal = parsePolicyBundle({ apiVersion: 'qshield.io/policy-bundle/v1alpha1', revision: '1', queueManagerName: 'QM', trustDomain: 'td', channels: [{ name: 'c' }] });
    expect(minimal.channel('c')?.settings).toEqual({ name: 'c', type: 'ServerConnection', tls: { minVersion: 'TLSv1.3', keyExchange: 'hybrid-preferred' }, rules: [], maxMessageLength: 4_194_304 });
    expect(minimal.bundle.queues).toEqual([]);
  });

  it('decides peers on the pay-apps channel', () => {
    const channel = policy.channel('pay-apps');
    expect(channel?.settings.rateLimit).toEqual({ messagesPerSecond: 2000, burst: 4000 });
    expect(channel?.evaluate({ spiffeId: `${TD}/ns/pay/sa/settle-engine`, address: '10.1.0.9' })).toMatchObject({ allowed: true, principal: 'settlement-apps' });
    expect(channel?.evaluate({ spiffeId: `${TD}/ns/pay/sa/legacy`, address: '10.1.0.9' }).reason).toMatch(/retired 2026-10/);
    expect(channel?.evaluate({ spiffeId: `${TD}/ns/pay/sa/checkout`, address: '10.20.0.9' }).outcome).toBe('AddressBlocked');
    expect(policy.channel('other')).toBeUndefined();
  });

  it('authorizes by the most specific profile, with topic inheritance', () => {
    const checkout = [`${TD}/ns/pay/sa/checkout`];
    expect(policy.authorize({ principals: checkout, objectType: 'qmgr', permission: 'connect' }).allowed).toBe(true);
    expect(policy.authorize({ principals: checkout, objectType: 'queue', objectName: 'PAY.REQUEST', permission: 'put' }).allowed).toBe(true);
    expect(policy.authorize({ principals: checkout, objectType: 'queue', objectName: 'PAY.REQUEST', permission: 'get' }).allowed).toBe(false);
    // PAY.AUDIT has its own profile for settlement-apps: put only, so PAY.** get no longer applies.
    expect(policy.authorize({ principals: ['settlement-apps'], objectType: 'queue', objectName: 'PAY.AUDIT', permission: 'get' }).allowed).toBe(false);
    expect(policy.authorize({ principals: ['settlement-apps'], objectType: 'queue', objectName: 'PAY.REPLY', permission: 'get' }).allowed).toBe(true);
    expect(policy.authorize({ principals: ['settlement-apps'], objectType: 'topic', topicString: 'prices/fx/eur', permission: 'sub' })).toMatchObject({ allowed: true, grantedBy: { topicObject: 'PRICES' } });
    const pricer = [`${TD}/ns/market/sa/pricer`];
    expect(policy.authorize({ principals: pricer, objectType: 'topic', topicString: 'prices/fx/eur', permission: 'pub' })).toMatchObject({ allowed: true, grantedBy: { topicObject: 'PRICES.FX' } });
    expect(policy.authorize({ principals: pricer, objectType: 'topic', topicString: 'prices/equity', permission: 'pub' }).allowed).toBe(false);
  });

  it('finds protection policies for queues and, inherited down the tree, for topics', () => {
    expect(policy.protectionFor({ queue: 'PAY.REQUEST' })).toMatchObject({ name: 'pay-request', qualityOfProtection: 'Privacy', signatureAlgorithm: 'SHA256', encryptionAlgorithm: 'AES256GCM' });
    expect(policy.protectionFor({ queue: 'PAY.REPLY' })).toBeUndefined();
    expect(policy.protectionFor({ topic: 'prices/fx/eur' })).toMatchObject({ name: 'prices', target: { kind: 'topic', name: 'PRICES' }, signatureAlgorithm: 'SHA256' });
    expect(policy.protectionFor({ topic: 'news' })).toBeUndefined();
    const audit = policy.protectionFor({ queue: 'PAY.AUDIT' });
    expect(audit?.signatureAlgorithm).toBeUndefined();
    expect(audit?.keyReuse).toEqual({ count: 32, maxAgeSeconds: 300 });
    expect(audit?.acceptsConnection({ tlsVersion: 'TLSv1.3', hybridKeyExchange: false })).toBe(false);
    expect(audit?.acceptsConnection({ tlsVersion: 'TLSv1.3', hybridKeyExchange: true })).toBe(true);
    expect(policy.protectionFor({ queue: 'PAY.REQUEST' })?.isAuthorizedSigner(`${TD}/ns/pay/sa/checkout`)).toBe(true);
    expect(policy.protectionFor({ queue: 'PAY.REQUEST' })?.isAuthorizedSigner(`${TD}/ns/pay/sa/mallory`)).toBe(false);
  });

  it('is immutable all the way down', () => {
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.bundle.channels[0]?.rules[0])).toBe(true);
    expect(() => {
      (policy.bundle.queues as { name: string }[]).push({ name: 'X' });
    }).toThrow(TypeError);
  });

  it('takes UTF-8 bytes and already-parsed values as well as text', () => {
    expect(parsePolicyBundle(new TextEncoder().encode(EXAMPLE_TEXT)).revision).toBe('pay/payments/7');
    expect(parsePolicyBundle(example()).revision).toBe('pay/payments/7');
  });
});

type Mutation = (b: Record<string, any>) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('bundle validation', () => {
  it.each<[string, Mutation, string, RegExp]>([
    ['an unknown top-level field', (b) => { b.channel = []; }, '$.channel', /not a known field/],
    ['a misspelt nested field', (b) => { b.channels[0].tsl = b.channels[0].tls; }, '$.channels[0].tsl', /not a known field/],
    ['a misspelt field in a rule', (b) => { b.channels[0].rules[0].principle = 'x'; }, '$.channels[0].rules[0].principle', /not a known field/],
    ['another apiVersion', (b) => { b.apiVersion = 'qshield.io/policy-bundle/v2'; }, '$.apiVersion', /must be "qshield\.io\/policy-bundle\/v1alpha1"/],
    ['a missing revision', (b) => { delete b.revision; }, '$.revision', /is required/],
    ['a revision with a space', (b) => { b.revision = 'a b'; }, '$.revision', /printable ASCII/],
    ['a trust domain written as an id', (b) => { b.trustDomain = 'spiffe://cluster.local'; }, '$.trustDomain', /bare trust domain/],
    ['an uppercase trust domain', (b) => { b.trustDomain = 'Cluster.Local'; }, '$.trustDomain', /not a valid/],
    ['a queue manager name with a dash', (b) => { b.queueManagerName = 'PAY-MENTS'; }, '$.queueManagerName', /MQ object name/],
    ['a queue declared twice', (b) => { b.queues.push({ name: 'PAY.REQUEST' }); }, '$.queues[3].name', /repeats the name of queues\[0\]/],
    ['a depth of zero', (b) => { b.queues[0].maxDepth = 0; }, '$.queues[0].maxDepth', /at least 1/],
    ['a fractional message length', (b) => { b.queues[0].maxMessageLength = 1.5; }, '$.queues[0].maxMessageLength', /an integer/],
    ['a message length beyond 100 MiB', (b) => { b.channels[0].maxMessageLength = 104_857_601; }, '$.channels[0].maxMessageLength', /at most 104857600/],
    ['a redefined SYSTEM.BASE.TOPIC', (b) => { b.topics.push({ name: 'SYSTEM.BASE.TOPIC', topicString: 'all' }); }, '$.topics[2].name', /implicit root/],
    ['two topic objects on one topic string', (b) => { b.topics.push({ name: 'OTHER', topicString: 'prices' }); }, '$.topics[2].topicString', /repeats the topic string/],
    ['a topic string with a wildcard level', (b) => { b.topics[0].topicString = 'prices/#'; }, '$.topics[0].topicString', /wildcard/],
    ['an invalid generic profile', (b) => { b.authorities[4].profile = 'PAY.***'; }, '$.authorities[4].profile', /whole qualifier/],
    ['a permission that does not apply to the object type', (b) => { b.authorities[6].permissions = ['put']; }, '$.authorities[6].permissions[0]', /does not apply to topic/],
    ['an unknown permission', (b) => { b.authorities[2].permissions = ['write']; }, '$.authorities[2].permissions[0]', /must be one of/],
    ['a qmgr authority naming another queue manager', (b) => { b.authorities[0].profile = 'OTHER'; }, '$.authorities[0].profile', /queue manager itself/],
    ['a SPIFFE pattern as principal', (b) => { b.authorities[2].principal = `${TD}/ns/pay/sa/*`; }, '$.authorities[2].principal', /not a pattern/],
    ['a channel declared twice', (b) => { b.channels.push({ name: 'pay-apps' }); }, '$.channels[1].name', /repeats the name/],
    ['hybrid-required over TLS 1.2', (b) => { b.channels[0].tls = { minVersion: 'TLSv1.2', keyExchange: 'hybrid-required' }; }, '$.channels[0].tls.keyExchange', /needs minVersion TLSv1\.3/],
    ['an unknown key exchange', (b) => { b.channels[0].tls.keyExchange = 'pq'; }, '$.channels[0].tls.keyExchange', /classical/],
    ['a map rule without principal', (b) => { delete b.channels[0].rules[0].principal; }, '$.channels[0].rules[0].principal', /required when the action is map/],
    ['a rule repeating another', (b) => { b.channels[0].rules.push({ peer: `${TD}/ns/pay/sa/checkout`, action: 'block' }); }, '$.channels[0].rules[5]', /same peer and address as rule 1/],
    ['a CIDR block with host bits', (b) => { b.channels[0].rules[4].address = '10.20.1.0/16'; }, '$.channels[0].rules[4].address', /did you mean 10\.20\.0\.0\/16/],
    ['a peer pattern with a wildcard trust domain', (b) => { b.channels[0].rules[1].peer = 'spiffe://*/ns/pay'; }, '$.channels[0].rules[1].peer', /trust domain/],
    ['a rate limit of zero', (b) => { b.channels[0].rateLimit.messagesPerSecond = 0; }, '$.channels[0].rateLimit.messagesPerSecond', /at least 1/],
    ['a protection policy for an undeclared (misspelt) queue', (b) => { b.protectionPolicies[0].queue = 'PAY.REQEUST'; }, '$.protectionPolicies[0].queue', /does not declare: a misspelt queue would stay unprotected/],
    ['a protection policy for an undeclared topic', (b) => { b.protectionPolicies[2].topic = 'prices'; }, '$.protectionPolicies[2].topic', /does not declare/],
    ['two policies for one queue', (b) => { b.protectionPolicies.push({ ...b.protectionPolicies[0], name: 'again' }); }, '$.protectionPolicies[3]', /one policy per queue or topic/],
    ['a policy naming both a queue and a topic', (b) => { b.protectionPolicies[2].queue = 'PAY.REPLY'; }, '$.protectionPolicies[2]', /exactly one of queue and topic/],
    ['a policy naming neither', (b) => { delete b.protectionPolicies[2].topic; }, '$.protectionPolicies[2]', /exactly one of queue and topic/],
    ['Privacy without recipients', (b) => { b.protectionPolicies[0].recipients = []; }, '$.protectionPolicies[0].recipients', /at least one recipient/],
    ['Confidentiality with authorized signers', (b) => { b.protectionPolicies[1].authorizedSigners = [`${TD}/ns/pay/sa/x`]; }, '$.protectionPolicies[1].authorizedSigners', /carry no signature/],
    ['Confidentiality with a signature algorithm', (b) => { b.protectionPolicies[1].signatureAlgorithm = 'SHA256'; }, '$.protectionPolicies[1].signatureAlgorithm', /encrypts without signing/],
    ['Integrity with recipients', (b) => { b.protectionPolicies[2].recipients = [`${TD}/ns/pay/sa/x`]; }, '$.protectionPolicies[2].recipients', /nothing is encrypted/],
    ['key reuse outside Confidentiality', (b) => { b.protectionPolicies[0].keyReuse = { count: 2, maxAgeSeconds: 5 }; }, '$.protectionPolicies[0].keyReuse', /only Confidentiality/],
    ['an unknown quality of protection', (b) => { b.protectionPolicies[0].qualityOfProtection = 'privacy'; }, '$.protectionPolicies[0].qualityOfProtection', /"Privacy"/],
    ['a weak encryption algorithm', (b) => { b.protectionPolicies[0].encryptionAlgorithm = '3DES'; }, '$.protectionPolicies[0].encryptionAlgorithm', /AES128GCM/],
    ['a repeated signer', (b) => { b.protectionPolicies[0].authorizedSigners.push(b.protectionPolicies[0].authorizedSigners[0]); }, '$.protectionPolicies[0].authorizedSigners[1]', /repeats entry 0/],
    ['a string where a list belongs', (b) => { b.queues = 'PAY.REQUEST'; }, '$.queues', /must be an array/],
    ['a __proto__ key', (b) => { b.channels[0] = JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(b.channels[0]).slice(1)}`); }, '$.channels[0].__proto__', /not a known field/],
  ])('refuses %s', (_name, mutate, path, message) => {
    const b = example();
    mutate(b);
    const problems = problemsOf(JSON.stringify(b));
    const found = problems.filter((p) => p.path === path);
    expect(found.map((p) => p.message).join(' | '), JSON.stringify(problems, null, 1)).toMatch(message);
  });

  it.each<[string, unknown, RegExp]>([
    ['text that is not JSON', '{"apiVersion": ', /not valid JSON/],
    ['an array', '[]', /must be an object/],
    ['null', null, /must be an object/],
    ['bytes that are not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ['text over the size limit', `{"x": "${'a'.repeat(4 * 1024 * 1024)}"}`, /more than the 4194304 allowed/],
  ])('refuses %s at the root', (_name, input, message) => {
    const problems = problemsOf(input);
    expect(problems[0]?.path).toBe('$');
    expect(problems[0]?.message).toMatch(message);
  });

  it('refuses a key repeated within one object, which JSON.parse would silently resolve', () => {
    const text = EXAMPLE_TEXT.replace('"action": "block", "description"', '"action": "block", "action": "allow", "description"');
    expect(text).not.toBe(EXAMPLE_TEXT);
    expect(problemsOf(text)).toEqual([{ path: '$.channels[0].rules[2].action', message: expect.stringMatching(/repeats a key/) }]);
  });

  it('reports every independent problem in one error', () => {
    const b = example();
    b.queues[0].maxDepth = -1;
    b.topics[0].extra = true;
    b.authorities[0].principal = 'not a principal';
    b.channels[0].rules[0].action = 'permit';
    b.protectionPolicies[0].queue = 'NOPE';
    let thrown: unknown;
    try {
      parsePolicyBundle(JSON.stringify(b));
    } catch (err) {
      thrown = err;
    }
    expect(hasCode(thrown, 'ERR_POLICY_BUNDLE_INVALID')).toBe(true);
    const problems = (thrown as { details: { problems: PolicyProblem[]; revision: string } }).details;
    expect(problems.revision).toBe('pay/payments/7');
    expect(problems.problems.map((p) => p.path).sort()).toEqual([
      '$.authorities[0].principal', '$.channels[0].rules[0].action', '$.protectionPolicies[0].queue', '$.queues[0].maxDepth', '$.topics[0].extra',
    ]);
    expect((thrown as Error).message).toMatch(/^policy bundle is invalid \(5 problems\)/);
  });

  it('caps the list of problems and says how many more there were', () => {
    const b = example();
    b.queues.push(...Array.from({ length: 500 }, (_, i) => ({ name: `bad name ${i}` })));
    const problems = problemsOf(b);
    expect(problems).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
    expect(problems.at(-1)?.message).toBe(`… and ${500 - MAX_REPORTED_PROBLEMS} more problems`);
  });
});

describe('bundle warnings', () => {
  it.each<[string, Mutation, string, RegExp]>([
    ['a channel that admits no one', (b) => { b.channels[0].rules = [{ address: '10.0.0.0/8', action: 'block' }]; }, '$.channels[0].rules', /every peer meets the back-stop/],
    ['a topic profile written as a topic string (lowercase), matching no topic object', (b) => { b.authorities[6].profile = 'prices'; }, '$.authorities[6].profile', /topic profiles name topic objects, not topic strings/],
    ['a grant on the whole topic tree', (b) => { b.authorities[6].profile = '**'; }, '$.authorities[6].profile', /covers every topic/],
    ['toleration of unprotected messages', (b) => { b.protectionPolicies[0].toleration = true; }, '$.protectionPolicies[0].toleration', /migration only/],
    ['a peer pattern of another trust domain', (b) => { b.channels[0].rules[1].peer = 'spiffe://partner.example/ns/pay/sa/checkout'; }, '$.channels[0].rules[1].peer', /trust domain partner\.example/],
  ])('warns about %s', (_name, mutate, path, message) => {
    const b = example();
    mutate(b);
    const policy = parsePolicyBundle(b);
    expect(policy.warnings.filter((w) => w.path === path).map((w) => w.message).join(' | ')).toMatch(message);
  });
});

describe('the bundle JSON Schema', () => {
  const schema = policyBundleJsonSchema() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  // Walks the example alongside the schema: every field the example uses is a property the
  // schema declares, and every object in the schema refuses other properties.
  function walk(value: unknown, node: Record<string, any>, path: string): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (Array.isArray(value)) return value.flatMap((v, i) => walk(v, node.items, `${path}[${i}]`));
    if (typeof value !== 'object' || value === null) return [];
    const missing: string[] = [];
    if (node.additionalProperties !== false) missing.push(`${path} allows unknown fields`);
    for (const [k, v] of Object.entries(value)) {
      const child = node.properties?.[k];
      if (child === undefined) missing.push(`${path}.${k}`);
      else missing.push(...walk(v, child, `${path}.${k}`));
    }
    return missing;
  }

  it('declares every field of the example and refuses unknown ones everywhere', () => {
    expect(walk(example(), schema, '$')).toEqual([]);
  });

  it('carries descriptions, defaults and required fields for the CRD generator', () => {
    expect(schema.required).toEqual(['apiVersion', 'revision', 'queueManagerName', 'trustDomain']);
    const channel = schema.properties.channels.items;
    expect(channel.properties.maxMessageLength.default).toBe(4_194_304);
    expect(channel.properties.tls.properties.keyExchange.enum).toEqual(['classical', 'hybrid-preferred', 'hybrid-required']);
    expect(channel.properties.rules.items.properties.peer.description).toMatch(/SPIFFE id pattern/);
    expect(JSON.stringify(schema)).not.toContain('$ref');
  });
});

// Fuzzing: whatever arrives, the parser answers with a compiled policy or ERR_POLICY_BUNDLE_INVALID.
function expectTypedOutcome(input: unknown): void {
  try {
    parsePolicyBundle(input);
  } catch (err) {
    if (!hasCode(err, 'ERR_POLICY_BUNDLE_INVALID')) throw err;
    const problems = err.details.problems as PolicyProblem[];
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.path).toMatch(/^\$/);
      expect(p.message.length).toBeGreaterThan(0);
    }
  }
}

// Every path to a value inside a JSON document.
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(value)) return here.concat(value.flatMap((v, i) => paths(v, [...at, i])));
  if (typeof value === 'object' && value !== null) return here.concat(Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k])));
  return here;
}
const ALL_PATHS = paths(example()).filter((p) => p.length > 0);

const mutationArb = fc.tuple(
  fc.constantFrom(...ALL_PATHS),
  fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 3 }) }),
    fc.record({ kind: fc.constant('delete' as const) }),
    fc.record({ kind: fc.constant('add' as const), key: fc.string({ maxLength: 12 }), value: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ kind: fc.constant('scalar' as const), value: fc.constantFrom('', '*', '**', '10.0.0.0/0', 'spiffe://cluster.local/**', -1, 0, 1e21, true, null, 'SYSTEM.BASE.TOPIC', 'none', 'map') }),
  ),
);

type Change = { kind: 'replace' | 'scalar'; value: unknown } | { kind: 'delete' } | { kind: 'add'; key: string; value: unknown };

function applyMutation(doc: Record<string, unknown>, path: (string | number)[], m: Change): void {
  const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], doc); // eslint-disable-line @typescript-eslint/no-explicit-any
  const key = path.at(-1) as string | number;
  if (m.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (m.kind === 'add') {
    const target = parent[key];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) target[m.key] = m.value;
    else if (Array.isArray(target)) target.push(m.value);
  } else {
    parent[key] = m.value;
  }
}

describe('bundle parser fuzzing', () => {
  it('answers random JSON values with a typed error', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expectTypedOutcome(value);
      expectTypedOutcome(JSON.stringify(value));
    }), { numRuns: 500 });
  });

  it('answers random objects with bundle-like keys with a typed error', () => {
    const keys = fc.constantFrom('apiVersion', 'revision', 'queueManagerName', 'trustDomain', 'queues', 'topics', 'authorities', 'channels', 'protectionPolicies', 'rules', 'name');
    fc.assert(fc.property(fc.dictionary(keys, fc.jsonValue({ maxDepth: 3 })), (value) => {
      expectTypedOutcome(value);
    }), { numRuns: 500 });
  });

  it('answers mutated valid bundles with a policy or a typed error', () => {
    fc.assert(fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (mutations) => {
      const doc = example();
      for (const [path, m] of mutations) {
        try {
          applyMutation(doc, path, m);
        } catch {
          // An earlier mutation removed the path; the remaining ones still apply.
        }
      }
      expectTypedOutcome(doc);
      expectTypedOutcome(JSON.stringify(doc));
    }), { numRuns: 1500 });
  });

  it('always refuses an unknown field added anywhere, and a required field removed', () => {
    const objectPaths = ALL_PATHS.filter((p) => {
      const v = p.reduce<any>((node, key) => node[key], example()); // eslint-disable-line @typescript-eslint/no-explicit-any
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    });
    fc.assert(fc.property(fc.constantFrom([], ...objectPaths), fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !['name', 'topic', 'queue'].includes(k)), (path, key) => {
      const doc = example();
      const target = path.reduce<any>((node, k) => node[k], doc); // eslint-disable-line @typescript-eslint/no-explicit-any
      fc.pre(!(key in target) && key !== '__proto__');
      target[key] = 'x';
      expect(problemsOf(JSON.stringify(doc)).length).toBeGreaterThan(0);
    }), { numRuns: 300 });
    for (const required of ['apiVersion', 'revision', 'queueManagerName', 'trustDomain']) {
      const doc = example();
      delete doc[required];
      expect(problemsOf(doc).map((p) => p.path)).toContain(`$.${required}`);
    }
  });

  it('answers corrupted bundle text with a typed error', () => {
    fc.assert(fc.property(fc.nat(EXAMPLE_TEXT.length - 1), fc.string({ maxLength: 3 }), fc.nat(3), (at, insert, cut) => {
      expectTypedOutcome(EXAMPLE_TEXT.slice(0, at) + insert + EXAMPLE_TEXT.slice(at + cut));
    }), { numRuns: 1000 });
  });
});
