// Turns the policy engine's decisions and the envelope's errors into event facts, so that the
// gateway and the sidecar report every decision the same way: codes, rule names, reasons.
import { AppError, type ErrorCode } from '../../lib/errors/index.ts';
import { describeRule, type AuthorityDecision, type ChannelDecision, type ChannelOutcome, type DecidingRule } from '../../lib/policy/index.ts';
import type { ConnectionAcceptedCode, ConnectionRefusedCode, ProtectionViolationCode } from './schema.ts';

const OUTCOME_CODES: Readonly<Record<ChannelOutcome, ConnectionAcceptedCode | ConnectionRefusedCode>> = {
  PeerAllowed: 'peer-allowed',
  PeerMapped: 'peer-mapped',
  PeerBlocked: 'peer-blocked',
  AddressBlocked: 'address-blocked',
  BackStop: 'back-stop',
  InvalidPeer: 'invalid-peer',
};

/** `event.code` of a channel decision. */
export function connectionCode(decision: ChannelDecision): ConnectionAcceptedCode | ConnectionRefusedCode {
  return OUTCOME_CODES[decision.outcome];
}

/** `qshield.rule` of a channel decision: `pay-apps rule 2 (peer spiffe://…/legacy, block)`; undefined for the back-stop. */
export function channelRuleName(channel: string, decidedBy: DecidingRule | undefined): string | undefined {
  return decidedBy === undefined ? undefined : `${channel} ${describeRule(decidedBy.index, decidedBy.rule)}`;
}

/**
 * `qshield.rule` of an authority decision: the grant that allowed it, or on denial the profiles
 * that matched yet lacked the permission (`settlement-apps queue PAY.** (get, browse)`);
 * undefined when no profile matched at all.
 */
export function authorityRuleName(decision: AuthorityDecision): string | undefined {
  const profiles = decision.allowed && decision.grantedBy !== undefined ? [decision.grantedBy] : decision.consulted;
  if (profiles.length === 0) return undefined;
  return profiles
    .map((p) => `${p.principal} ${decision.objectType} ${p.profile}${p.topicObject === undefined ? '' : ` [topic object ${p.topicObject}]`} (${p.permissions.join(', ') || 'none'})`)
    .join('; ');
}

type EnvelopeCode = Extract<ErrorCode, `ERR_ENVELOPE_${string}`>;

/** Every envelope error code and the protection-violation code it reports as. */
export const ENVELOPE_VIOLATIONS: Readonly<Record<EnvelopeCode, ProtectionViolationCode>> = {
  ERR_ENVELOPE_QOP_MISMATCH: 'qop-mismatch',
  ERR_ENVELOPE_SIGNATURE_INVALID: 'signature-invalid',
  ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED: 'signer-not-authorized',
  ERR_ENVELOPE_DESTINATION_MISMATCH: 'destination-mismatch',
  ERR_ENVELOPE_DECRYPTION_FAILED: 'decryption-failed',
  ERR_ENVELOPE_NOT_A_RECIPIENT: 'not-a-recipient',
  ERR_ENVELOPE_MALFORMED: 'envelope-malformed',
  ERR_ENVELOPE_STRENGTH_MISMATCH: 'strength-mismatch',
  ERR_ENVELOPE_SIZE_MISMATCH: 'size-mismatch',
  ERR_ENVELOPE_CERTIFICATE_INVALID: 'certificate-invalid',
};

/**
 * The protection-violation code of a failure to open or check an envelope: the first
 * ERR_ENVELOPE_* in the cause chain, else `unknown` (with the first AppError's code, if any).
 */
export function protectionViolationFor(err: unknown): { code: ProtectionViolationCode; errorCode?: string } {
  const seen = new Set<unknown>();
  let first: string | undefined;
  for (let e: unknown = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (!(e instanceof AppError)) continue;
    if (Object.hasOwn(ENVELOPE_VIOLATIONS, e.code)) return { code: ENVELOPE_VIOLATIONS[e.code as EnvelopeCode], errorCode: e.code };
    first ??= e.code;
  }
  return first === undefined ? { code: 'unknown' } : { code: 'unknown', errorCode: first };
}
