// Errors of workload identity: SPIFFE ids and patterns, the CA, SVIDs, trust bundles.
import type { ErrorSpec } from './spec.ts';

export const IDENTITY_CODES = {
  ERR_SPIFFE_ID_INVALID: { status: 400, retry: false, summary: 'A SPIFFE id breaks the SPIFFE-ID rules; details.reason names the rule.' },
  ERR_SPIFFE_PATTERN_INVALID: { status: 400, retry: false, summary: 'A SPIFFE id pattern is malformed; details.reason names the rule.' },
} as const satisfies Record<string, ErrorSpec>;
