// OAM-style object authorities: principal × object type × generic profile × permissions,
// compiled once into an index and evaluated on every request. Only the most specific profile
// of a principal applies; topic grants are inherited down the topic tree.
import { AppError } from '../errors/index.ts';
import { principalProblem } from './principal.ts';
import { formatJsonPath } from './problem.ts';
import type { RecordProblem } from './problem.ts';
import { compareProfiles, parseProfile, profileProblem } from './profile.ts';
import type { Profile } from './profile.ts';
import { BASE_TOPIC, buildTopicTree } from './topic-tree.ts';
import type { TopicObject, TopicTree } from './topic-tree.ts';

export const OBJECT_TYPES = ['qmgr', 'queue', 'topic'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Single authorities, as setmqaut names them. */
export const PERMISSIONS = [
  'connect', 'inq', 'put', 'get', 'browse', 'pub', 'sub', 'resume', 'set',
  'dsp', 'chg', 'clr', 'passid', 'passall', 'setid', 'setall', 'altusr',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Group names that expand to the applicable single authorities of the object type. */
export const PERMISSION_GROUPS = ['allmqi', 'alladm', 'all', 'none'] as const;
export type PermissionGroup = (typeof PERMISSION_GROUPS)[number];
export type PermissionGrant = Permission | PermissionGroup;

/**
 * Which authorities apply to which object type (IBM setmqaut). setid/setall must be held on
 * both the queue and the queue manager; the caller checks both.
 */
export const APPLICABLE_PERMISSIONS: Readonly<Record<ObjectType, readonly Permission[]>> = Object.freeze({
  qmgr: Object.freeze(['connect', 'inq', 'set', 'dsp', 'chg', 'setid', 'setall', 'altusr'] as const),
  queue: Object.freeze(['inq', 'put', 'get', 'browse', 'set', 'dsp', 'chg', 'clr', 'passid', 'passall', 'setid', 'setall'] as const),
  topic: Object.freeze(['pub', 'sub', 'resume', 'dsp', 'chg'] as const),
});

// IBM: allmqi = altusr browse connect get inq put set pub sub resume; alladm = chg clr crt dlt
// dsp ctrl ctrlx (crt, dlt, ctrl, ctrlx manage objects the gateway never creates or starts);
// all = everything applicable. Each is cut down to what applies to the object type.
const GROUP_MEMBERS: Readonly<Record<Exclude<PermissionGroup, 'none' | 'all'>, readonly Permission[]>> = {
  allmqi: ['altusr', 'browse', 'connect', 'get', 'inq', 'put', 'set', 'pub', 'sub', 'resume'],
  alladm: ['chg', 'clr', 'dsp'],
};

const BIT: Readonly<Record<Permission, number>> = Object.freeze(
  Object.fromEntries(PERMISSIONS.map((p, i) => [p, 1 << i])) as Record<Permission, number>,
);

/** One authority record, as in the bundle and the QueueManager resource. */
export interface AuthorityRecord {
  /** A SPIFFE id (`allow` rules) or a principal name given by a channel `map` rule. */
  readonly principal: string;
  readonly objectType: ObjectType;
  /** Generic profile of object names (queue names, topic object names). For qmgr: omitted,
   * `self`, or the queue manager's own name. */
  readonly profile?: string;
  readonly permissions: readonly PermissionGrant[];
}

/** Expands grants (including groups) into the single permissions they give on `objectType`. */
export function expandPermissions(objectType: ObjectType, grants: readonly PermissionGrant[]): Permission[] {
  const applicable = APPLICABLE_PERMISSIONS[objectType];
  const out = new Set<Permission>();
  for (const g of grants) {
    if (g === 'none') continue;
    const members: readonly Permission[] = g === 'all' ? applicable : g === 'allmqi' || g === 'alladm' ? GROUP_MEMBERS[g] : [g];
    for (const p of members) if (applicable.includes(p)) out.add(p);
  }
  return PERMISSIONS.filter((p) => out.has(p));
}

/**
 * Every problem of one authority record, checked against the queue manager's name. Shared
 * by the bundle parser (which adds JSON paths) and compileAuthorities.
 */
export function authorityRecordProblems(record: AuthorityRecord, queueManagerName: string): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const principal = principalProblem(record.principal);
  if (principal !== undefined) problems.push({ path: ['principal'], message: principal });
  if (!(OBJECT_TYPES as readonly string[]).includes(record.objectType)) {
    problems.push({ path: ['objectType'], message: `must be one of ${OBJECT_TYPES.join(', ')}` });
    return problems;
  }
  if (record.objectType === 'qmgr') {
    if (record.profile !== undefined && record.profile !== 'self' && record.profile !== queueManagerName) {
      problems.push({ path: ['profile'], message: `a qmgr authority applies to the queue manager itself: omit the profile, or give "self" or "${queueManagerName}"` });
    }
  } else if (record.profile === undefined) {
    problems.push({ path: ['profile'], message: `is required for ${record.objectType} authorities` });
  } else {
    const p = profileProblem(record.profile);
    if (p !== undefined) problems.push({ path: ['profile'], message: p });
  }
  if (!Array.isArray(record.permissions) || record.permissions.length === 0) {
    problems.push({ path: ['permissions'], message: 'must list at least one permission (use "none" for a profile that grants nothing)' });
    return problems;
  }
  const applicable = APPLICABLE_PERMISSIONS[record.objectType];
  record.permissions.forEach((g, i) => {
    if ((PERMISSION_GROUPS as readonly string[]).includes(g)) return;
    if (!(PERMISSIONS as readonly string[]).includes(g)) {
      problems.push({ path: ['permissions', i], message: `unknown permission ${JSON.stringify(g)}` });
    } else if (!applicable.includes(g as Permission)) {
      problems.push({ path: ['permissions', i], message: `"${g}" does not apply to ${record.objectType} objects (applicable: ${applicable.join(', ')})` });
    }
  });
  if (record.permissions.includes('none') && record.permissions.length > 1) {
    problems.push({ path: ['permissions'], message: '"none" cannot be combined with other permissions' });
  }
  return problems;
}

/** The request to check: who, which object, which single permission. */
export type AuthorityRequest =
  | { readonly principals: readonly string[]; readonly objectType: 'qmgr'; readonly permission: Permission }
  | { readonly principals: readonly string[]; readonly objectType: 'queue'; readonly objectName: string; readonly permission: Permission }
  | { readonly principals: readonly string[]; readonly objectType: 'topic'; readonly topicString: string; readonly permission: Permission };

/** The profile that decided for one principal (on one topic object, for topics). */
export interface MatchedProfile {
  readonly principal: string;
  readonly profile: string;
  /** Permissions the profile gives on the object type. */
  readonly permissions: readonly Permission[];
  /** For topics: the topic object whose name the profile matched. */
  readonly topicObject?: string;
}

export interface AuthorityDecision {
  readonly allowed: boolean;
  readonly objectType: ObjectType;
  /** Queue or queue manager name; for topics the topic string requested. */
  readonly objectName: string;
  readonly permission: Permission;
  /** The grant that allowed the request. */
  readonly grantedBy?: MatchedProfile;
  /** On denial: the most specific profile of each principal (per topic object) that matched
   * yet lacked the permission; empty when no profile matched at all. */
  readonly consulted: readonly MatchedProfile[];
  /** One sentence for the security event. */
  readonly reason: string;
}

/** The compiled, immutable authority index. */
export interface AuthorityIndex {
  readonly queueManagerName: string;
  readonly topics: TopicTree;
  /** Decides one request. Pure; never throws for any request shape the types allow. */
  evaluate(request: AuthorityRequest): AuthorityDecision;
}

interface Entry {
  readonly profile: Profile;
  readonly mask: number;
  /** The mask as a list, computed once for decisions. */
  readonly permissions: readonly Permission[];
}

interface PrincipalProfiles {
  /** Literal profiles: a literal that matches is always the most specific, so a map lookup decides. */
  readonly literal: Map<string, Entry>;
  /** Generic profiles, most specific first: the first that matches is the one that applies. */
  readonly generic: Entry[];
}

export interface AuthorityIndexInput {
  readonly queueManagerName: string;
  readonly authorities: readonly AuthorityRecord[];
  readonly topics?: readonly TopicObject[];
}

/**
 * Compiles authority records and topic objects into an index. Records for the same principal,
 * object type and profile add up (like repeated setmqaut +auth).
 * @throws AppError ERR_POLICY_RULE_INVALID listing every problem in `details.problems`.
 */
export function compileAuthorities(input: AuthorityIndexInput): AuthorityIndex {
  const { queueManagerName } = input;
  const problems: string[] = [];
  input.authorities.forEach((record, i) => {
    for (const p of authorityRecordProblems(record, queueManagerName)) {
      problems.push(`${formatJsonPath([i, ...p.path], 'authorities')} ${p.message}`);
    }
  });
  if (problems.length > 0) {
    throw new AppError('ERR_POLICY_RULE_INVALID', `invalid authority records: ${problems.join('; ')}`, { details: { problems } });
  }
  const topics = buildTopicTree(input.topics ?? []);

  // Merge grants per (type, principal, profile text), then sort each principal's generics.
  const merged = new Map<ObjectType, Map<string, Map<string, number>>>();
  for (const r of input.authorities) {
    const profile = r.objectType === 'qmgr' ? queueManagerName : (r.profile as string);
    const byPrincipal = merged.get(r.objectType) ?? new Map<string, Map<string, number>>();
    merged.set(r.objectType, byPrincipal);
    const byProfile = byPrincipal.get(r.principal) ?? new Map<string, number>();
    byPrincipal.set(r.principal, byProfile);
    const mask = expandPermissions(r.objectType, r.permissions).reduce((m, p) => m | BIT[p], 0);
    byProfile.set(profile, (byProfile.get(profile) ?? 0) | mask);
  }
  const index = new Map<ObjectType, Map<string, PrincipalProfiles>>();
  for (const [type, byPrincipal] of merged) {
    const compiled = new Map<string, PrincipalProfiles>();
    for (const [principal, byProfile] of byPrincipal) {
      const literal = new Map<string, Entry>();
      const generic: Entry[] = [];
      for (const [text, mask] of byProfile) {
        const permissions = Object.freeze(PERMISSIONS.filter((p) => (mask & BIT[p]) !== 0));
        const entry = Object.freeze({ profile: parseProfile(text), mask, permissions });
        if (entry.profile.generic) generic.push(entry);
        else literal.set(text, entry);
      }
      generic.sort((a, b) => compareProfiles(a.profile, b.profile));
      compiled.set(principal, { literal, generic });
    }
    index.set(type, compiled);
  }

  const resolve = (type: ObjectType, principal: string, name: string): Entry | undefined => {
    const pp = index.get(type)?.get(principal);
    if (pp === undefined) return undefined;
    const exact = pp.literal.get(name);
    if (exact !== undefined) return exact;
    for (const e of pp.generic) if (e.profile.matches(name)) return e;
    return undefined;
  };
  const matched = (principal: string, e: Entry, topicObject?: string): MatchedProfile => ({
    principal,
    profile: e.profile.text,
    permissions: e.permissions,
    ...(topicObject === undefined ? {} : { topicObject }),
  });

  function evaluate(request: AuthorityRequest): AuthorityDecision {
    const { objectType, permission, principals } = request;
    const objectName = objectType === 'qmgr' ? queueManagerName : objectType === 'queue' ? request.objectName : request.topicString;
    const bit = Object.hasOwn(BIT, permission) ? BIT[permission] : 0;
    const base = { objectType, objectName, permission };
    if (bit === 0 || !APPLICABLE_PERMISSIONS[objectType]?.includes(permission)) {
      return { ...base, allowed: false, consulted: [], reason: `"${permission}" is not an authority of ${objectType} objects` };
    }
    const consulted: MatchedProfile[] = [];
    // Topics: the closest topic object, then each ancestor; a grant anywhere up the tree allows.
    const nodes = objectType === 'topic' ? topics.chain(objectName) : undefined;
    for (const principal of principals) {
      if (nodes === undefined) {
        const e = resolve(objectType, principal, objectName);
        if (e === undefined) continue;
        if ((e.mask & bit) !== 0) {
          return { ...base, allowed: true, grantedBy: matched(principal, e), consulted, reason: `${principal} holds ${permission} on ${objectType} ${objectName} through profile ${e.profile.text}` };
        }
        consulted.push(matched(principal, e));
        continue;
      }
      for (const node of nodes) {
        const e = resolve('topic', principal, node.name);
        if (e === undefined) continue;
        if ((e.mask & bit) !== 0) {
          const how = node.topicString === objectName ? '' : `, inherited from topic object ${node.name} ('${node.topicString}')`;
          return { ...base, allowed: true, grantedBy: matched(principal, e, node.name), consulted, reason: `${principal} holds ${permission} on topic '${objectName}' through profile ${e.profile.text}${how}` };
        }
        consulted.push(matched(principal, e, node.name));
      }
    }
    const who = principals.length === 1 ? principals[0] : `[${principals.join(', ')}]`;
    const where = objectType === 'topic' ? `topic '${objectName}' (checked up the tree to ${BASE_TOPIC.name})` : `${objectType} ${objectName}`;
    const reason = consulted.length === 0
      ? `no authority profile of ${who} matches ${where}`
      : `${who} lacks ${permission} on ${where}: the applicable profiles (${consulted.map((c) => c.profile).join(', ')}) do not grant it`;
    return { ...base, allowed: false, consulted, reason };
  }

  return Object.freeze({ queueManagerName, topics, evaluate });
}
