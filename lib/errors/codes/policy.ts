// Errors of the policy engine: the bundle, generic profiles and channel rules that fail
// validation. Decisions (allowed or not) are values, not errors; see lib/policy.
import type { ErrorSpec } from './spec.ts';

export const POLICY_CODES = {
  ERR_POLICY_BUNDLE_INVALID: { status: 500, retry: false, summary: 'A policy bundle failed validation; every problem is listed with its JSON path in details.problems.' },
  ERR_POLICY_PROFILE_INVALID: { status: 400, retry: false, summary: 'A generic profile or object name is not valid MQ profile syntax.' },
  ERR_POLICY_RULE_INVALID: { status: 400, retry: false, summary: 'An authority record or channel rule handed to the policy compiler is invalid.' },
} as const satisfies Record<string, ErrorSpec>;
