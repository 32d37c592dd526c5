// CHLAUTH-style channel rules for one channel: address rules act first (like BLOCKADDR), then
// the most specific peer rule on the SPIFFE id decides (allow as itself, map to a principal,
// block); nothing matched means blocked (the back-stop). Every decision names its rule.
import { AppError } from '../errors/index.ts';
import { compareSpecificity, compileSpiffePattern, SpiffeId, tryParseSpiffeId } from '../identity/index.ts';
import type { SpiffePattern } from '../identity/index.ts';
import { cidrContains, parseCidr, parseIpAddress } from './address.ts';
import type { CidrBlock } from './address.ts';
import { principalProblem } from './principal.ts';
import { formatJsonPath } from './problem.ts';
import type { RecordProblem } from './problem.ts';

export const PEER_ACTIONS = ['allow', 'map', 'block'] as const;
export const ADDRESS_ACTIONS = ['allow', 'block'] as const;
export type RuleAction = (typeof PEER_ACTIONS)[number];

/** One rule as written in the bundle and the Channel resource. */
export interface ChannelRuleSpec {
  /** SPIFFE id pattern of the peer; absent for an address rule. */
  readonly peer?: string;
  /** CIDR block: the whole rule for an address rule; narrows a peer rule to these addresses. */
  readonly address?: string;
  readonly action: RuleAction;
  /** For `map`: the principal the peer acts as. */
  readonly principal?: string;
  /** Free text carried into security events. */
  readonly description?: string;
}

/** How a decision came about; stable values for security events and metrics. */
export type ChannelOutcome =
  | 'PeerAllowed' // a peer rule `allow`: the principal is the peer's SPIFFE id
  | 'PeerMapped' // a peer rule `map`: the principal is the rule's principal
  | 'PeerBlocked' // a peer rule `block`
  | 'AddressBlocked' // an address rule `block`, before any peer rule
  | 'BackStop' // no peer rule matched
  | 'InvalidPeer'; // the peer id or address could not be parsed

/** The rule that decided, as written, with its position in the channel's list. */
export interface DecidingRule {
  readonly index: number;
  readonly rule: ChannelRuleSpec;
}

export interface ChannelDecision {
  readonly allowed: boolean;
  readonly outcome: ChannelOutcome;
  /** The principal for authority checks, when allowed. */
  readonly principal?: string;
  /** The rule that decided; absent for BackStop and InvalidPeer. */
  readonly decidedBy?: DecidingRule;
  /** One sentence for the security event. */
  readonly reason: string;
}

/** The peer as the gateway knows it after the TLS handshake. */
export interface PeerContext {
  /** The SPIFFE id from the peer's verified SVID. */
  readonly spiffeId: SpiffeId | string;
  /** The remote IP address of the connection (`10.1.2.3`, `::ffff:10.1.2.3`, `fe80::1%eth0`). */
  readonly address: string;
}

export interface ChannelRules {
  readonly rules: readonly ChannelRuleSpec[];
  /** Decides one peer. Pure; never throws. */
  evaluate(peer: PeerContext): ChannelDecision;
}

/** Longest accepted description, in characters. */
export const MAX_RULE_DESCRIPTION = 256;

/** Every problem of one rule taken alone, paths relative to the rule (`['principal']`). */
export function ruleProblems(rule: ChannelRuleSpec): RecordProblem[] {
  const problems: RecordProblem[] = [];
  if (rule.peer !== undefined) {
    try {
      compileSpiffePattern(rule.peer);
    } catch (err) {
      problems.push({ path: ['peer'], message: err instanceof Error ? err.message : 'is not a SPIFFE id pattern' });
    }
  }
  if (rule.address !== undefined) {
    const parsed = parseCidr(rule.address);
    if (!parsed.ok) problems.push({ path: ['address'], message: parsed.problem });
  }
  if (rule.peer === undefined && rule.address === undefined) {
    problems.push({ path: [], message: 'a rule needs a peer (SPIFFE id pattern) or an address (CIDR block)' });
  }
  const actions: readonly string[] = rule.peer === undefined ? ADDRESS_ACTIONS : PEER_ACTIONS;
  if (!actions.includes(rule.action)) {
    problems.push({
      path: ['action'],
      message: rule.peer === undefined && rule.action === 'map'
        ? 'an address rule can only allow or block: to map, name the peer'
        : `must be one of ${actions.join(', ')}`,
    });
  }
  if (rule.action === 'map') {
    if (rule.principal === undefined) problems.push({ path: ['principal'], message: 'is required when the action is map' });
    else {
      const p = principalProblem(rule.principal);
      if (p !== undefined) problems.push({ path: ['principal'], message: p });
    }
  } else if (rule.principal !== undefined) {
    problems.push({ path: ['principal'], message: 'is only for map rules (an allow rule acts as the peer\'s own SPIFFE id)' });
  }
  if (rule.description !== undefined && (typeof rule.description !== 'string' || rule.description.length > MAX_RULE_DESCRIPTION)) {
    problems.push({ path: ['description'], message: `must be a string of at most ${MAX_RULE_DESCRIPTION} characters` });
  }
  return problems;
}

/**
 * Rules that repeat an earlier rule's peer pattern and address (or address block): the
 * outcome would depend on their order, so they are refused. Rules with invalid patterns or
 * blocks are skipped (ruleProblems reports them).
 */
export function duplicateRuleProblems(rules: readonly ChannelRuleSpec[]): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    let peerKey = '';
    let addressKey = '';
    try {
      if (rule.peer !== undefined) peerKey = compileSpiffePattern(rule.peer).text;
    } catch {
      return;
    }
    if (rule.address !== undefined) {
      const parsed = parseCidr(rule.address);
      if (!parsed.ok) return;
      addressKey = parsed.block.text;
    }
    const key = `${peerKey} ${addressKey}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else problems.push({ path: [i], message: `has the same ${rule.peer === undefined ? 'address' : 'peer and address'} as rule ${first}: one of them would never apply` });
  });
  return problems;
}

/** Every problem of a channel's rule list, paths relative to the list (`[2, 'principal']`). */
export function channelRuleProblems(rules: readonly ChannelRuleSpec[]): RecordProblem[] {
  return [
    ...rules.flatMap((rule, i) => ruleProblems(rule).map((p) => ({ path: [i, ...p.path], message: p.message }))),
    ...duplicateRuleProblems(rules),
  ];
}

interface PeerRule {
  readonly index: number;
  readonly rule: ChannelRuleSpec;
  readonly pattern: SpiffePattern;
  readonly block: CidrBlock | undefined;
  /** describeRule's text, built once. */
  readonly how: string;
}

interface AddressRule {
  readonly index: number;
  readonly rule: ChannelRuleSpec;
  readonly block: CidrBlock;
  readonly how: string;
}

// Wildcard patterns hang in a trie of their leading literal segments (trust domain, then
// `ns`, `pay`, …): an id visits only the nodes along its own path, never unrelated patterns.
interface TrieNode {
  rules: PeerRule[] | undefined;
  readonly children: Map<string, TrieNode>;
}

const newNode = (): TrieNode => ({ rules: undefined, children: new Map() });

// Among peer rules with the same pattern, one narrowed to addresses beats one that is not,
// and the narrower block beats the wider.
function comparePeerRules(a: PeerRule, b: PeerRule): number {
  const bySpecificity = compareSpecificity(a.pattern, b.pattern);
  if (bySpecificity !== 0) return bySpecificity;
  const pa = a.block?.prefix ?? -1;
  const pb = b.block?.prefix ?? -1;
  if (pa !== pb) return pb - pa;
  return a.index - b.index;
}

/** Human form of a rule for reasons: `rule 2 (peer spiffe://…/legacy, block)`. */
export function describeRule(index: number, rule: ChannelRuleSpec): string {
  const parts = [
    rule.peer === undefined ? undefined : `peer ${rule.peer}`,
    rule.address === undefined ? undefined : `address ${rule.address}`,
    rule.action === 'map' ? `map to ${rule.principal}` : rule.action,
  ].filter((p) => p !== undefined);
  const description = rule.description === undefined ? '' : ` "${rule.description}"`;
  return `rule ${index} (${parts.join(', ')})${description}`;
}

/**
 * Compiles a channel's rules, sorted once so that evaluation takes the first match.
 * @throws AppError ERR_POLICY_RULE_INVALID listing every problem in `details.problems`.
 */
export function compileChannelRules(rules: readonly ChannelRuleSpec[]): ChannelRules {
  const problems = channelRuleProblems(rules);
  if (problems.length > 0) {
    const lines = problems.map((p) => `${formatJsonPath(p.path, 'rules')} ${p.message}`);
    throw new AppError('ERR_POLICY_RULE_INVALID', `invalid channel rules: ${lines.join('; ')}`, { details: { problems: lines } });
  }
  const frozen = Object.freeze(rules.map((r) => Object.freeze({ ...r })));
  const addressRules: AddressRule[] = [];
  const exactPeers = new Map<string, PeerRule[]>();
  const genericPeers = new Map<string, TrieNode>();
  const nodes: TrieNode[] = [];
  frozen.forEach((rule, index) => {
    const parsed = rule.address === undefined ? undefined : parseCidr(rule.address);
    const block = parsed?.ok ? parsed.block : undefined;
    const how = describeRule(index, rule);
    if (rule.peer === undefined) {
      addressRules.push({ index, rule, block: block as CidrBlock, how });
      return;
    }
    const pattern = compileSpiffePattern(rule.peer);
    const compiled: PeerRule = { index, rule, pattern, block, how };
    if (pattern.exact) {
      // An exact pattern that matches outranks every wildcard pattern: a map lookup decides.
      const list = exactPeers.get(pattern.text) ?? [];
      list.push(compiled);
      exactPeers.set(pattern.text, list);
    } else {
      const root = genericPeers.get(pattern.trustDomain) ?? newNode();
      genericPeers.set(pattern.trustDomain, root);
      let node: TrieNode = root;
      for (const seg of pattern.segments) {
        if (seg.kind !== 'literal') break;
        const child: TrieNode = node.children.get(seg.text) ?? newNode();
        node.children.set(seg.text, child);
        node = child;
      }
      if (node.rules === undefined) {
        node.rules = [];
        nodes.push(node);
      }
      node.rules.push(compiled);
    }
  });
  // Longest prefix first: the narrowest block containing the address decides.
  addressRules.sort((a, b) => b.block.prefix - a.block.prefix || a.index - b.index);
  for (const node of nodes) node.rules?.sort(comparePeerRules);
  for (const list of exactPeers.values()) list.sort(comparePeerRules);

  function evaluate(peer: PeerContext): ChannelDecision {
    const id = peer.spiffeId instanceof SpiffeId ? peer.spiffeId : tryParseSpiffeId(String(peer.spiffeId));
    if (id === undefined) {
      return { allowed: false, outcome: 'InvalidPeer', reason: `peer id ${JSON.stringify(String(peer.spiffeId).slice(0, 200))} is not a valid SPIFFE id` };
    }
    const address = parseIpAddress(peer.address);
    if (address === undefined) {
      return { allowed: false, outcome: 'InvalidPeer', reason: `peer ${id} has no valid IP address (${JSON.stringify(String(peer.address).slice(0, 64))})` };
    }
    for (const a of addressRules) {
      if (!cidrContains(a.block, address)) continue;
      if (a.rule.action === 'block') {
        return { allowed: false, outcome: 'AddressBlocked', decidedBy: { index: a.index, rule: a.rule }, reason: `address ${peer.address} of peer ${id} is blocked by ${a.how}` };
      }
      break; // the narrowest matching block allows: on to the peer rules
    }
    const applies = (r: PeerRule) => r.block === undefined || cidrContains(r.block, address);
    const text = id.toString();
    let winner = exactPeers.get(text)?.find(applies);
    if (winner === undefined) {
      // The first match at each node is that node's most specific; the best of those wins.
      let node = genericPeers.get(id.trustDomain);
      for (let k = 0; node !== undefined; k += 1) {
        if (node.rules !== undefined) {
          for (const r of node.rules) {
            if (r.pattern.matches(id) && applies(r)) {
              if (winner === undefined || comparePeerRules(r, winner) < 0) winner = r;
              break;
            }
          }
        }
        const segment = id.segments[k];
        node = segment === undefined ? undefined : node.children.get(segment);
      }
    }
    if (winner === undefined) {
      return { allowed: false, outcome: 'BackStop', reason: `no rule matches peer ${text} from ${peer.address}: blocked by the back-stop` };
    }
    const decidedBy = { index: winner.index, rule: winner.rule };
    const how = winner.how;
    switch (winner.rule.action) {
      case 'allow':
        return { allowed: true, outcome: 'PeerAllowed', principal: text, decidedBy, reason: `peer ${text} from ${peer.address} is allowed as itself by ${how}` };
      case 'map':
        return { allowed: true, outcome: 'PeerMapped', principal: winner.rule.principal as string, decidedBy, reason: `peer ${text} from ${peer.address} is mapped to principal ${winner.rule.principal} by ${how}` };
      case 'block':
        return { allowed: false, outcome: 'PeerBlocked', decidedBy, reason: `peer ${text} from ${peer.address} is blocked by ${how}` };
    }
  }

  return Object.freeze({ rules: frozen, evaluate });
}
