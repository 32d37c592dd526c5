// The one error the DER reader and writer throw. It is internal: each area turns it into its own
// AppError at its boundary (identity: ERR_CERT_MALFORMED, ERR_CSR_MALFORMED, ERR_KEY_INVALID;
// the envelope: EnvelopeError MALFORMED), keeping the message as the detail.

/** A DER encoding fault. The message names the element (`what`) and the fault. */
export class DerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DerError';
  }
}
