// Parses and compiles the policy bundle of one queue manager (docs/policy-bundle.md): checks
// everything, reports every problem with its JSON path in one ERR_POLICY_BUNDLE_INVALID, and
// compiles a valid bundle into an immutable CompiledPolicy with fast lookups.
import type { z } from 'zod';
import { AppError } from '../errors/index.ts';
import { compileSpiffePattern } from '../identity/index.ts';
import { authorityRecordProblems, compileAuthorities } from './authorities.ts';
import type { AuthorityDecision, AuthorityRecord, AuthorityRequest } from './authorities.ts';
import {
  AuthoritySchema, ChannelRuleSchema, ChannelTlsSchema, PolicyBundleSchema, POLICY_BUNDLE_API_VERSION, ProtectionPolicySchema,
} from './bundle-schema.ts';
import type { ChannelSettings, PolicyBundle, QueueSettings } from './bundle-schema.ts';
import { compileChannelRules, duplicateRuleProblems, ruleProblems } from './channel-rules.ts';
import type { ChannelDecision, ChannelRules, ChannelRuleSpec, PeerContext } from './channel-rules.ts';
import { findDuplicateKeys } from './json-duplicate-keys.ts';
import { formatJsonPath } from './problem.ts';
import type { RecordProblem } from './problem.ts';
import { parseProfile } from './profile.ts';
import { compileProtectionPolicy, protectionPolicyProblems } from './protection.ts';
import type { ProtectionPolicy } from './protection.ts';
import { BASE_TOPIC } from './topic-tree.ts';
import type { TopicObject, TopicTree } from './topic-tree.ts';

/** Largest bundle text accepted (a ConfigMap holds at most 1 MiB; room for other sources). */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;
/** Most JSON values (objects, arrays, scalars) in one bundle. */
export const MAX_BUNDLE_VALUES = 500_000;
/** Most problems listed in one error; the last entry then says how many more there were. */
export const MAX_REPORTED_PROBLEMS = 200;

/** One problem of a bundle: a JSON path (`$.channels[0].rules[2].peer`) and what is wrong. */
export interface PolicyProblem {
  readonly path: string;
  readonly message: string;
}

/** A channel, compiled: its settings as in the bundle plus its rules, ready to decide. */
export interface CompiledChannel {
  readonly name: string;
  readonly settings: ChannelSettings;
  readonly rules: ChannelRules;
  /** Decides a peer by the channel's rules (see channel-rules.ts). */
  evaluate(peer: PeerContext): ChannelDecision;
}

/** The compiled policy of one queue manager. Immutable; every lookup is pure. */
export interface CompiledPolicy {
  readonly apiVersion: typeof POLICY_BUNDLE_API_VERSION;
  readonly revision: string;
  readonly queueManagerName: string;
  readonly trustDomain: string;
  /** The bundle with defaults applied, deep-frozen. */
  readonly bundle: PolicyBundle;
  /** Valid but suspicious settings (a channel that admits no one, a grant on the whole topic tree…). */
  readonly warnings: readonly PolicyProblem[];
  readonly topics: TopicTree;
  /** A declared queue, or undefined (the gateway answers MQRC 2085). */
  queue(name: string): QueueSettings | undefined;
  /** The closest topic object at or above a topic string (SYSTEM.BASE.TOPIC at worst). */
  topicObject(topicString: string): TopicObject;
  channel(name: string): CompiledChannel | undefined;
  /** OAM authority check (see authorities.ts); for setid/setall also check the qmgr. */
  authorize(request: AuthorityRequest): AuthorityDecision;
  /**
   * The protection policy of a queue, or of a topic string: the policy of the closest topic
   * object at or above it that has one (protection, like authority, is inherited down the tree).
   */
  protectionFor(target: { readonly queue: string } | { readonly topic: string }): ProtectionPolicy | undefined;
}

/**
 * Parses, validates and compiles a policy bundle: JSON text (string or UTF-8 bytes) or an
 * already-parsed value. Unknown fields, repeated keys and every semantic problem are refused.
 * @throws AppError ERR_POLICY_BUNDLE_INVALID with `details.problems: PolicyProblem[]` (all of
 *   them, up to MAX_REPORTED_PROBLEMS) and `details.revision` when the bundle names one.
 */
export function parsePolicyBundle(input: unknown): CompiledPolicy {
  const { value, problems } = readBundle(input);
  if (problems.length === 0) {
    const parsed = PolicyBundleSchema.safeParse(value);
    if (parsed.success) return compile(parsed.data);
  }
  throw bundleError(problems.length > 0 ? problems : [{ path: '$', message: 'is not a valid policy bundle' }], value);
}

/**
 * Every problem of a bundle, without compiling it: what the operator reports when the policy
 * it rendered would be refused. An empty list means parsePolicyBundle will succeed.
 */
export function policyBundleProblems(input: unknown): PolicyProblem[] {
  return readBundle(input).problems;
}

function bundleError(problems: readonly PolicyProblem[], value: unknown): AppError {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  if (problems.length > shown.length) shown.push({ path: '$', message: `… and ${problems.length - shown.length} more problems` });
  const revision = isRecord(value) && typeof value.revision === 'string' ? value.revision.slice(0, 128) : undefined;
  const head = shown.slice(0, 3).map((p) => `${p.path} ${p.message}`).join('; ');
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  return new AppError('ERR_POLICY_BUNDLE_INVALID', `policy bundle is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${head}${more}`, {
    details: { problems: shown, ...(revision === undefined ? {} : { revision }) },
  });
}

function readBundle(input: unknown): { value: unknown; problems: PolicyProblem[] } {
  let value = input;
  if (input instanceof Uint8Array) {
    if (input.byteLength > MAX_BUNDLE_BYTES) return tooLarge(input.byteLength);
    try {
      value = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return { value: undefined, problems: [{ path: '$', message: 'is not valid UTF-8' }] };
    }
  }
  if (typeof value === 'string') {
    const text = value;
    if (text.length > MAX_BUNDLE_BYTES) return tooLarge(text.length);
    try {
      value = JSON.parse(text);
    } catch (err) {
      return { value: undefined, problems: [{ path: '$', message: `is not valid JSON: ${err instanceof Error ? err.message : String(err)}` }] };
    }
    const repeated = findDuplicateKeys(text);
    if (repeated.length > 0) {
      return { value, problems: repeated.map((d) => ({ path: formatJsonPath(d.path), message: 'repeats a key of the same object (JSON readers would silently keep only the last)' })) };
    }
  }
  const count = countValues(value, MAX_BUNDLE_VALUES + 1);
  if (count > MAX_BUNDLE_VALUES) return { value: undefined, problems: [{ path: '$', message: `holds more than ${MAX_BUNDLE_VALUES} JSON values` }] };
  return { value, problems: dedupe([...schemaProblems(value), ...semanticProblems(value)]) };
}

function tooLarge(size: number): { value: unknown; problems: PolicyProblem[] } {
  return { value: undefined, problems: [{ path: '$', message: `is ${size} bytes, more than the ${MAX_BUNDLE_BYTES} allowed` }] };
}

function countValues(value: unknown, stopAt: number): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && count < stopAt) {
    const v = pending.pop();
    count += 1;
    if (Array.isArray(v)) pending.push(...v);
    else if (isRecord(v)) pending.push(...Object.values(v));
  }
  return count;
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// zod's messages, reworded to read after a JSON path: "$.queues[0].maxDepth must be at least 1".
function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${article(issue.expected)}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `must have at least ${issue.minimum} entries` : issue.origin === 'string' ? `must have at least ${issue.minimum} characters` : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `must have at most ${issue.maximum} entries` : issue.origin === 'string' ? `must have at most ${issue.maximum} characters` : `must be at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

function article(expected: string): string {
  const names: Record<string, string> = { int: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', array: 'an array', object: 'an object' };
  return names[expected] ?? expected;
}

function schemaProblems(value: unknown): PolicyProblem[] {
  const result = PolicyBundleSchema.safeParse(value, { error: issueMessage });
  if (result.success) return [];
  return result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatJsonPath([...issue.path, key]),
        message: 'is not a known field (unknown fields are refused so that a misspelt setting cannot go unnoticed)',
      }));
    }
    return [{ path: formatJsonPath(issue.path), message: issue.message }];
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown, key: string): string | undefined => (isRecord(v) && typeof v[key] === 'string' ? v[key] : undefined);

/**
 * Checks that span fields or objects. Runs on the raw value, whatever else is wrong with it,
 * so that one pass reports everything: each object whose own shape is valid is checked.
 */
function semanticProblems(raw: unknown): PolicyProblem[] {
  if (!isRecord(raw)) return [];
  const problems: PolicyProblem[] = [];
  const add = (base: readonly (string | number)[], found: readonly RecordProblem[]) => {
    for (const p of found) problems.push({ path: formatJsonPath([...base, ...p.path]), message: p.message });
  };
  const unique = (field: string, key: string, what: string, reserved?: (value: string) => string | undefined) => {
    const first = new Map<string, number>();
    list(raw[field]).forEach((item, i) => {
      const value = str(item, key);
      if (value === undefined) return;
      const why = reserved?.(value);
      if (why !== undefined) problems.push({ path: formatJsonPath([field, i, key]), message: why });
      const at = first.get(value);
      if (at === undefined) first.set(value, i);
      else problems.push({ path: formatJsonPath([field, i, key]), message: `repeats the ${what} of ${field}[${at}]` });
    });
    return first;
  };

  const queues = unique('queues', 'name', 'name');
  const topics = unique('topics', 'name', 'name', (v) => (v === BASE_TOPIC.name ? `${BASE_TOPIC.name} is the implicit root of the topic tree and cannot be redefined` : undefined));
  unique('topics', 'topicString', 'topic string');
  unique('channels', 'name', 'name');
  unique('protectionPolicies', 'name', 'name');

  const qmName = str(raw, 'queueManagerName');
  list(raw.authorities).forEach((item, i) => {
    const parsed = AuthoritySchema.safeParse(item);
    if (!parsed.success) return;
    const record = parsed.data as AuthorityRecord;
    // Without a valid queue manager name (reported elsewhere) skip the qmgr profile check.
    add(['authorities', i], authorityRecordProblems(record, qmName ?? record.profile ?? ''));
  });

  list(raw.channels).forEach((channel, c) => {
    if (!isRecord(channel)) return;
    const tls = ChannelTlsSchema.safeParse(channel.tls ?? {});
    if (tls.success && tls.data.keyExchange === 'hybrid-required' && tls.data.minVersion === 'TLSv1.2') {
      problems.push({ path: formatJsonPath(['channels', c, 'tls', 'keyExchange']), message: 'hybrid-required needs minVersion TLSv1.3: hybrid post-quantum key exchange exists only in TLS 1.3' });
    }
    const valid: { rule: ChannelRuleSpec; index: number }[] = [];
    list(channel.rules).forEach((rule, r) => {
      const parsed = ChannelRuleSchema.safeParse(rule);
      if (!parsed.success) return;
      valid.push({ rule: parsed.data, index: r });
      add(['channels', c, 'rules', r], ruleProblems(parsed.data));
    });
    for (const d of duplicateRuleProblems(valid.map((v) => v.rule))) {
      const index = valid[d.path[0] as number]?.index as number;
      problems.push({ path: formatJsonPath(['channels', c, 'rules', index]), message: d.message.replace(/rule (\d+)/, (_m, k: string) => `rule ${valid[Number(k)]?.index}`) });
    }
  });

  const targets = new Map<string, number>();
  list(raw.protectionPolicies).forEach((item, i) => {
    const parsed = ProtectionPolicySchema.safeParse(item);
    if (!parsed.success) return;
    const p = parsed.data;
    add(['protectionPolicies', i], protectionPolicyProblems(p));
    if (p.queue !== undefined && !queues.has(p.queue)) {
      problems.push({ path: formatJsonPath(['protectionPolicies', i, 'queue']), message: `names queue ${p.queue}, which the bundle does not declare: a misspelt queue would stay unprotected` });
    }
    if (p.topic !== undefined && !topics.has(p.topic)) {
      problems.push({ path: formatJsonPath(['protectionPolicies', i, 'topic']), message: `names topic object ${p.topic}, which the bundle does not declare: a misspelt topic would stay unprotected` });
    }
    const target = p.queue !== undefined ? `queue ${p.queue}` : p.topic !== undefined ? `topic ${p.topic}` : undefined;
    if (target === undefined || (p.queue !== undefined && p.topic !== undefined)) return;
    const at = targets.get(target);
    if (at === undefined) targets.set(target, i);
    else problems.push({ path: formatJsonPath(['protectionPolicies', i]), message: `protects ${target} as protectionPolicies[${at}] already does: one policy per queue or topic` });
  });
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function warningsOf(bundle: PolicyBundle, topics: TopicTree): PolicyProblem[] {
  const warnings: PolicyProblem[] = [];
  const warn = (path: (string | number)[], message: string) => warnings.push({ path: formatJsonPath(path), message });
  const foreign = (text: string) => {
    const td = /^spiffe:\/\/([^/]+)/.exec(text)?.[1];
    return td !== undefined && td !== bundle.trustDomain ? td : undefined;
  };
  bundle.channels.forEach((ch, c) => {
    if (!ch.rules.some((r) => r.peer !== undefined && r.action !== 'block')) {
      warn(['channels', c, 'rules'], 'has no peer rule that allows or maps: every peer meets the back-stop and is blocked');
    }
    ch.rules.forEach((r, i) => {
      const td = r.peer === undefined ? undefined : foreign(r.peer);
      if (td !== undefined) warn(['channels', c, 'rules', i, 'peer'], `is in trust domain ${td}, not the bundle's ${bundle.trustDomain}`);
    });
  });
  bundle.authorities.forEach((a, i) => {
    if (a.objectType !== 'topic' || a.profile === undefined) return;
    const profile = parseProfile(a.profile);
    const granting = !a.permissions.includes('none');
    if (granting && profile.matches(BASE_TOPIC.name)) {
      warn(['authorities', i, 'profile'], `matches ${BASE_TOPIC.name}: the grant covers every topic of the queue manager`);
    } else if (!topics.objects.some((t) => profile.matches(t.name))) {
      warn(['authorities', i, 'profile'], 'matches no topic object of the bundle: topic profiles name topic objects, not topic strings');
    }
    const td = foreign(a.principal);
    if (td !== undefined) warn(['authorities', i, 'principal'], `is in trust domain ${td}, not the bundle's ${bundle.trustDomain}`);
  });
  bundle.protectionPolicies.forEach((p, i) => {
    if (p.toleration) warn(['protectionPolicies', i, 'toleration'], 'is true: unprotected messages are accepted (meant for migration only)');
    for (const field of ['authorizedSigners', 'recipients'] as const) {
      (p[field] ?? []).forEach((text, k) => {
        const td = foreign(compileSpiffePattern(text).text);
        if (td !== undefined) warn(['protectionPolicies', i, field, k], `is in trust domain ${td}, not the bundle's ${bundle.trustDomain}`);
      });
    }
  });
  return warnings;
}

function compile(data: PolicyBundle): CompiledPolicy {
  const bundle = deepFreeze(data);
  const index = compileAuthorities({ queueManagerName: bundle.queueManagerName, authorities: bundle.authorities, topics: bundle.topics });
  const queues = new Map(bundle.queues.map((q) => [q.name, q]));
  const channels = new Map<string, CompiledChannel>(bundle.channels.map((settings) => {
    const rules = compileChannelRules(settings.rules);
    return [settings.name, Object.freeze({ name: settings.name, settings, rules, evaluate: rules.evaluate })];
  }));
  const queuePolicies = new Map<string, ProtectionPolicy>();
  const topicPolicies = new Map<string, ProtectionPolicy>();
  for (const p of bundle.protectionPolicies) {
    const compiled = compileProtectionPolicy(p);
    if (p.queue !== undefined) queuePolicies.set(p.queue, compiled);
    else topicPolicies.set(p.topic as string, compiled);
  }
  const warnings = Object.freeze(warningsOf(bundle, index.topics).map((w) => Object.freeze(w)));

  return Object.freeze({
    apiVersion: POLICY_BUNDLE_API_VERSION,
    revision: bundle.revision,
    queueManagerName: bundle.queueManagerName,
    trustDomain: bundle.trustDomain,
    bundle,
    warnings,
    topics: index.topics,
    queue: (name: string) => queues.get(name),
    topicObject: (topicString: string) => index.topics.closest(topicString),
    channel: (name: string) => channels.get(name),
    authorize: (request: AuthorityRequest) => index.evaluate(request),
    protectionFor(target: { readonly queue: string } | { readonly topic: string }): ProtectionPolicy | undefined {
      if ('queue' in target) return queuePolicies.get(target.queue);
      if (topicPolicies.size === 0) return undefined;
      for (const node of index.topics.chain(target.topic)) {
        const p = topicPolicies.get(node.name);
        if (p !== undefined) return p;
      }
      return undefined;
    },
  });
}
