// The policy engine: generic profiles, OAM authorities, CHLAUTH channel rules, protection
// policies and the policy bundle that carries them. Pure: no I/O, no clocks, no globals.
export {
  parsePolicyBundle, policyBundleProblems, MAX_BUNDLE_BYTES, MAX_BUNDLE_VALUES, MAX_REPORTED_PROBLEMS,
  type CompiledPolicy, type CompiledChannel, type PolicyProblem,
} from './bundle.ts';
export {
  PolicyBundleSchema, policyBundleJsonSchema, POLICY_BUNDLE_API_VERSION, BUNDLE_LIMITS,
  DEFAULT_MAX_DEPTH, DEFAULT_MAX_MESSAGE_LENGTH,
  type PolicyBundle, type PolicyBundleInput, type QueueSettings, type ChannelSettings, type ProtectionPolicySpec,
} from './bundle-schema.ts';
export {
  compileAuthorities, expandPermissions, authorityRecordProblems, APPLICABLE_PERMISSIONS, OBJECT_TYPES, PERMISSIONS, PERMISSION_GROUPS,
  type AuthorityIndex, type AuthorityIndexInput, type AuthorityRecord, type AuthorityRequest, type AuthorityDecision,
  type MatchedProfile, type ObjectType, type Permission, type PermissionGrant, type PermissionGroup,
} from './authorities.ts';
export {
  compileChannelRules, channelRuleProblems, ruleProblems, duplicateRuleProblems, describeRule,
  type ChannelRules, type ChannelRuleSpec, type ChannelDecision, type ChannelOutcome, type DecidingRule, type PeerContext, type RuleAction,
} from './channel-rules.ts';
export {
  compileProtectionPolicy, protectionPolicyProblems,
  type ProtectionPolicy, type ProtectionPolicyInput, type ConnectionStrength, type ChannelStrength,
  type QualityOfProtection, type SignatureAlgorithm, type EncryptionAlgorithm,
} from './protection.ts';
export { parseProfile, profileProblem, compareProfiles, mostSpecificMatch, isValidObjectName, MAX_OBJECT_NAME_LENGTH, type Profile } from './profile.ts';
export { buildTopicTree, topicStringProblem, wildcardFreePrefix, BASE_TOPIC, type TopicObject, type TopicTree } from './topic-tree.ts';
export { parseCidr, parseIpAddress, cidrContains, type CidrBlock, type IpAddress } from './address.ts';
export { principalProblem } from './principal.ts';
export { formatJsonPath, type RecordProblem } from './problem.ts';
