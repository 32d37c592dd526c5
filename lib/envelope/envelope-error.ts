// The error every envelope failure becomes: an AppError whose `reason` is one of the AMS-style
// reasons, so the sidecar can report it and route the message to the protection error queue.
import { DerError } from '../der/index.ts';
import { AppError, type AppErrorOptions } from '../errors/index.ts';

/** Why an envelope was refused; stable, and the code is `ERR_ENVELOPE_<reason>`. */
export const ENVELOPE_REASONS = [
  'QOP_MISMATCH',
  'SIGNATURE_INVALID',
  'SIGNER_NOT_AUTHORIZED',
  'DESTINATION_MISMATCH',
  'DECRYPTION_FAILED',
  'NOT_A_RECIPIENT',
  'MALFORMED',
  'STRENGTH_MISMATCH',
  'SIZE_MISMATCH',
  'CERTIFICATE_INVALID',
] as const;

export type EnvelopeReason = (typeof ENVELOPE_REASONS)[number];

export class EnvelopeError extends AppError {
  /** The AMS-style reason; also in `details.reason`. */
  readonly reason: EnvelopeReason;

  constructor(reason: EnvelopeReason, message: string, options: AppErrorOptions = {}) {
    super(`ERR_ENVELOPE_${reason}`, message, { ...options, details: { ...options.details, reason } });
    this.reason = reason;
  }
}

/** Shorthand for the one reason every parser failure maps to. */
export function malformed(what: string, details?: Record<string, unknown>): EnvelopeError {
  return new EnvelopeError('MALFORMED', `malformed envelope: ${what}`, details === undefined ? {} : { details });
}

/**
 * What a failure inside an envelope reader becomes at its boundary: a DER fault (lib/der) is the
 * MALFORMED refusal, with the same message the reader gives; anything else passes unchanged.
 */
export function envelopeFault(err: unknown): unknown {
  return err instanceof DerError ? new EnvelopeError('MALFORMED', `malformed envelope: ${err.message}`, { cause: err }) : err;
}
