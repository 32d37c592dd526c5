// The registry of every error code, one area file each so that areas evolve independently.
// docs/errors.md documents each code; codes.test.ts keeps the two in step.
import { BROKER_CODES } from './codes/broker.ts';
import { CORE_CODES } from './codes/core.ts';
import { DEMO_CODES } from './codes/demo.ts';
import { ENVELOPE_CODES } from './codes/envelope.ts';
import { GATEWAY_CODES } from './codes/gateway.ts';
import { IDENTITY_CODES } from './codes/identity.ts';
import { OBSERVABILITY_CODES } from './codes/observability.ts';
import { POLICY_CODES } from './codes/policy.ts';
import { WORKLOAD_CODES } from './codes/workload.ts';
import type { ErrorSpec } from './codes/spec.ts';

export type { ErrorSpec } from './codes/spec.ts';

export const ERROR_CODES = {
  ...CORE_CODES,
  ...IDENTITY_CODES,
  ...ENVELOPE_CODES,
  ...POLICY_CODES,
  ...BROKER_CODES,
  ...GATEWAY_CODES,
  ...OBSERVABILITY_CODES,
  ...WORKLOAD_CODES,
  ...DEMO_CODES,
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
