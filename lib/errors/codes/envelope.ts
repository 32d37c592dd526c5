// Errors of the message protection envelope (lib/envelope). Each carries an AMS-style reason
// (EnvelopeError.reason); a message refused with one of them goes to the protection error queue.
import type { ErrorSpec } from './spec.ts';

export const ENVELOPE_CODES = {
  ERR_ENVELOPE_QOP_MISMATCH: { status: 403, mqrc: 2063, retry: false, summary: 'The message does not carry the quality of protection the policy demands.' },
  ERR_ENVELOPE_SIGNATURE_INVALID: { status: 400, mqrc: 2063, retry: false, summary: 'The signature or the signed content digest does not verify.' },
  ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED: { status: 403, mqrc: 2063, retry: false, summary: 'The signer is valid but not among the signers the policy authorizes.' },
  ERR_ENVELOPE_DESTINATION_MISMATCH: { status: 403, mqrc: 2063, retry: false, summary: 'The signed destination or message id differs from where the message was found, or is missing.' },
  ERR_ENVELOPE_DECRYPTION_FAILED: { status: 400, mqrc: 2063, retry: false, summary: 'The content key could not be unwrapped or the content failed its authentication tag.' },
  ERR_ENVELOPE_NOT_A_RECIPIENT: { status: 403, mqrc: 2063, retry: false, summary: 'No key in the keyring belongs to a recipient of the message.' },
  ERR_ENVELOPE_MALFORMED: { status: 400, mqrc: 2063, retry: false, summary: 'The envelope is not well-formed DER or not a CMS structure qshield accepts.' },
  ERR_ENVELOPE_STRENGTH_MISMATCH: { status: 403, mqrc: 2063, retry: false, summary: 'An algorithm or key of the envelope is weaker than the policy minimum or refused outright.' },
  ERR_ENVELOPE_SIZE_MISMATCH: { status: 413, mqrc: 2063, retry: false, summary: 'The payload or envelope exceeds the size limit, or a length inside it is inconsistent.' },
  ERR_ENVELOPE_CERTIFICATE_INVALID: { status: 400, mqrc: 2063, retry: false, summary: 'A signer or recipient certificate is not valid for message protection at the time that counts.' },
} as const satisfies Record<string, ErrorSpec>;
