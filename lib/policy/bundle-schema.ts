// The shape of the policy bundle (docs/policy-bundle.md), written once with zod: it validates
// the bundle, gives its TypeScript types and emits the JSON Schema the operator's CRDs reuse.
// Checks that span fields or objects live in bundle.ts; field formats are checked here.
import { z } from 'zod';
import { compileSpiffePattern, parseTrustDomain } from '../identity/index.ts';
import { parseCidr } from './address.ts';
import { OBJECT_TYPES, PERMISSION_GROUPS, PERMISSIONS } from './authorities.ts';
import { PEER_ACTIONS, MAX_RULE_DESCRIPTION } from './channel-rules.ts';
import { principalProblem } from './principal.ts';
import { isValidObjectName, MAX_OBJECT_NAME_LENGTH, profileProblem } from './profile.ts';
import { topicStringProblem } from './topic-tree.ts';

export const POLICY_BUNDLE_API_VERSION = 'qshield.io/policy-bundle/v1alpha1';

/** MQ's default and largest MAXMSGL (4 MiB and 100 MiB). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 4_194_304;
export const MAX_MAX_MESSAGE_LENGTH = 104_857_600;
/** MQ's default and largest MAXDEPTH. */
export const DEFAULT_MAX_DEPTH = 5000;
export const MAX_MAX_DEPTH = 999_999_999;

/** Bounds that keep a hostile bundle from costing unbounded time to check. */
export const BUNDLE_LIMITS = Object.freeze({
  queues: 10_000,
  topics: 10_000,
  authorities: 20_000,
  channels: 256,
  rulesPerChannel: 1000,
  protectionPolicies: 10_000,
  patternsPerList: 256,
});

/** A string field whose format a problem function checks (undefined = fine). */
function checked(problem: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  });
}

const objectName = (what: string) =>
  checked((v) => (isValidObjectName(v) ? undefined : `must be an MQ object name: 1–${MAX_OBJECT_NAME_LENGTH} characters from A-Z a-z 0-9 . / _ %`))
    .describe(what);

const resourceName = (what: string) =>
  checked((v) => (/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/.test(v) ? undefined : 'must be 1–63 characters from A-Z a-z 0-9 . _ -, starting and ending with a letter or digit'))
    .describe(what);

const spiffePattern = (what: string) =>
  checked((v) => {
    try {
      compileSpiffePattern(v);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : 'is not a SPIFFE id pattern';
    }
  }).describe(what);

const positiveInt = (max: number) => z.number().int().min(1).max(max);

export const QueueSchema = z.strictObject({
  name: objectName('Queue name, as in REST paths (PAY.REQUEST).'),
  maxDepth: positiveInt(MAX_MAX_DEPTH).default(DEFAULT_MAX_DEPTH)
    .describe('Most messages the queue holds; a put beyond it is refused (MQRC 2053). Default 5000.'),
  maxMessageLength: positiveInt(MAX_MAX_MESSAGE_LENGTH).default(DEFAULT_MAX_MESSAGE_LENGTH)
    .describe('Largest message body in bytes the queue takes (MQRC 2030 beyond). Default 4194304.'),
}).describe('A queue of the queue manager.');

export const TopicSchema = z.strictObject({
  name: objectName('Administrative topic object name (PRICES); topic authority profiles match these names.'),
  topicString: checked((v) => topicStringProblem(v)).describe('The node of the topic tree this object stands for (prices, prices/fx); levels separated by /.'),
}).describe('An administrative topic object: authorities granted on it are inherited by every topic string below it.');

export const AuthoritySchema = z.strictObject({
  principal: checked((v) => principalProblem(v))
    .describe('Who: a workload SPIFFE id (the principal of a peer an allow rule admits) or a principal name a map rule gives.'),
  objectType: z.enum(OBJECT_TYPES).describe('qmgr, queue or topic.'),
  profile: checked((v) => profileProblem(v)).optional()
    .describe('Generic profile of object names: ? one character, * one qualifier or part of one, ** zero or more qualifiers (once). Topics: topic object names. qmgr: omit (or self).'),
  permissions: z.array(z.enum([...PERMISSIONS, ...PERMISSION_GROUPS])).max(32)
    .describe('Authorities granted (connect, inq, put, get, browse, pub, sub, resume, set, dsp, chg, clr, passid, passall, setid, setall, altusr) or a group (allmqi, alladm, all, none).'),
}).describe('An OAM authority record; of the profiles of one principal that match an object, only the most specific applies.');

export const ChannelRuleSchema = z.strictObject({
  peer: spiffePattern('SPIFFE id pattern of the peer (* = one segment or part of one, trailing ** = the rest). Absent in an address rule.').optional(),
  address: checked((v) => {
    const parsed = parseCidr(v);
    return parsed.ok ? undefined : parsed.problem;
  }).optional().describe('CIDR block (10.20.0.0/16, 2001:db8::/32). Alone: an address rule, checked before any peer rule. With peer: the peer rule applies only from these addresses.'),
  action: z.enum(PEER_ACTIONS).describe('allow: admit as the peer\'s own SPIFFE id; map: admit as principal; block: refuse. Address rules: allow or block.'),
  principal: checked((v) => principalProblem(v)).optional().describe('For map: the principal the peer acts as.'),
  description: z.string().max(MAX_RULE_DESCRIPTION).optional().describe('Free text carried into security events.'),
}).describe('A channel rule (CHLAUTH): the most specific matching peer rule wins; nothing matched means blocked.');

export const ChannelTlsSchema = z.strictObject({
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.3')
    .describe('Lowest TLS version accepted. TLSv1.2 is limited to AEAD suites. Default TLSv1.3.'),
  keyExchange: z.enum(['classical', 'hybrid-preferred', 'hybrid-required']).default('hybrid-preferred')
    .describe('classical (X25519/ECDHE), hybrid-preferred (X25519MLKEM768 first, classical allowed), hybrid-required (post-quantum hybrid only; needs TLSv1.3). Default hybrid-preferred.'),
}).describe('TLS settings of the channel\'s listener.');

export const RateLimitSchema = z.strictObject({
  messagesPerSecond: positiveInt(10_000_000).describe('Sustained messages per second per peer.'),
  burst: positiveInt(100_000_000).optional().describe('Bucket size: messages allowed at once above the rate. Default: messagesPerSecond.'),
}).describe('Token-bucket limit on messages per peer.');

export const ChannelSchema = z.strictObject({
  name: resourceName('Channel name (the Channel resource\'s metadata.name).'),
  type: z.enum(['ServerConnection']).default('ServerConnection').describe('ServerConnection: applications connect. Default ServerConnection.'),
  tls: ChannelTlsSchema.default({ minVersion: 'TLSv1.3', keyExchange: 'hybrid-preferred' }),
  rules: z.array(ChannelRuleSchema).max(BUNDLE_LIMITS.rulesPerChannel).default([])
    .describe('Peer and address rules. Address blocks act first, then the most specific peer rule; nothing matched = blocked.'),
  maxMessageLength: positiveInt(MAX_MAX_MESSAGE_LENGTH).default(DEFAULT_MAX_MESSAGE_LENGTH)
    .describe('Largest message body in bytes accepted on this channel (MQRC 2030 beyond). Default 4194304.'),
  rateLimit: RateLimitSchema.optional(),
}).describe('A channel: how peers reach the queue manager and who may.');

export const KeyReuseSchema = z.strictObject({
  count: positiveInt(9_999_999).describe('Messages that may share one wrapped content key (AMS KEYREUSE).'),
  maxAgeSeconds: positiveInt(86_400).describe('Longest time a content key is reused, in seconds.'),
}).describe('Symmetric key reuse; Confidentiality only.');

export const ProtectionPolicySchema = z.strictObject({
  name: resourceName('Policy name (the ProtectionPolicy resource\'s metadata.name).'),
  queue: objectName('Protected queue; a declared queue. Exactly one of queue and topic.').optional(),
  topic: objectName('Protected topic object (its name); covers its topic string and everything below it. Exactly one of queue and topic.').optional(),
  qualityOfProtection: z.enum(['None', 'Integrity', 'Privacy', 'Confidentiality'])
    .describe('None; Integrity (signed); Privacy (signed, then encrypted for the recipients); Confidentiality (encrypted only, key reuse allowed).'),
  signatureAlgorithm: z.enum(['SHA256', 'SHA384', 'SHA512']).optional().describe('Digest of the signature; Integrity and Privacy. Default SHA256.'),
  encryptionAlgorithm: z.enum(['AES128GCM', 'AES256GCM']).optional().describe('Content encryption; Privacy and Confidentiality. Default AES256GCM.'),
  authorizedSigners: z.array(spiffePattern('SPIFFE id or pattern of a signer whose messages are accepted.')).max(BUNDLE_LIMITS.patternsPerList).optional()
    .describe('Integrity and Privacy: only messages signed by these are accepted; empty or absent = any signer the trust bundle vouches for.'),
  recipients: z.array(spiffePattern('SPIFFE id or pattern of a recipient.')).max(BUNDLE_LIMITS.patternsPerList).optional()
    .describe('Privacy and Confidentiality (required): who each message is encrypted for.'),
  toleration: z.boolean().default(false).describe('Accept unprotected messages (migration). Default false.'),
  keyReuse: KeyReuseSchema.optional(),
  minimumChannelStrength: z.enum(['TLSv1.2', 'TLSv1.3', 'HybridPostQuantum']).optional()
    .describe('Puts and gets over a weaker connection are refused. HybridPostQuantum = TLSv1.3 with a hybrid ML-KEM key exchange.'),
}).describe('End-to-end message protection (AMS) for one queue or topic.');

export const PolicyBundleSchema = z.strictObject({
  apiVersion: z.literal(POLICY_BUNDLE_API_VERSION).describe('Format version of the bundle.'),
  revision: checked((v) => (/^[\x21-\x7e]{1,128}$/.test(v) ? undefined : 'must be 1–128 printable ASCII characters without spaces'))
    .describe('Identifies this version of the policy (for events and reload logs), e.g. a generation or content hash.'),
  queueManagerName: objectName('The queue manager\'s name, as in REST paths.'),
  trustDomain: checked((v) => {
    if (v.startsWith('spiffe://')) return 'must be the bare trust domain name (cluster.local), without spiffe://';
    try {
      parseTrustDomain(v);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : 'is not a trust domain';
    }
  }).describe('SPIFFE trust domain of the queue manager\'s workloads.'),
  queues: z.array(QueueSchema).max(BUNDLE_LIMITS.queues).default([]),
  topics: z.array(TopicSchema).max(BUNDLE_LIMITS.topics).default([]),
  authorities: z.array(AuthoritySchema).max(BUNDLE_LIMITS.authorities).default([]),
  channels: z.array(ChannelSchema).max(BUNDLE_LIMITS.channels).default([]),
  protectionPolicies: z.array(ProtectionPolicySchema).max(BUNDLE_LIMITS.protectionPolicies).default([]),
}).describe('The policy of one queue manager: queues, topics, authorities, channels and protection policies.');

/** The bundle as written (defaults not yet applied). */
export type PolicyBundleInput = z.input<typeof PolicyBundleSchema>;
/** The bundle with defaults applied, as CompiledPolicy.bundle holds it. */
export type PolicyBundle = z.output<typeof PolicyBundleSchema>;
export type QueueSettings = z.output<typeof QueueSchema>;
export type ChannelSettings = z.output<typeof ChannelSchema>;
export type ProtectionPolicySpec = z.output<typeof ProtectionPolicySchema>;

/**
 * The bundle's JSON Schema (OpenAPI 3.0 dialect, as CRD schemas use), with descriptions and
 * defaults; `additionalProperties: false` everywhere. Checks that need code (profile and
 * pattern syntax, CIDR blocks, cross-references) are not expressible here: parsePolicyBundle
 * remains the authority.
 */
export function policyBundleJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(PolicyBundleSchema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
