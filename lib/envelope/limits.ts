// Hard limits on what seal accepts and open reads (docs/envelope.md "Limits"). They bound the
// work and memory an envelope can demand before any cryptography runs; a caller may set lower.

/** The largest payload: 100 MiB, IBM MQ's maximum message length (MAXMSGL). */
export const MAX_PAYLOAD_BYTES = 100 * 1024 * 1024;

/** The largest envelope: the largest payload plus 1 MiB for certificates, recipients and structure. */
export const MAX_ENVELOPE_BYTES = MAX_PAYLOAD_BYTES + 1024 * 1024;

/** Certificates carried in one SignedData (signer chain plus any extras). */
export const MAX_CERTIFICATES = 8;

/** Recipients of one AuthEnvelopedData. */
export const MAX_RECIPIENTS = 64;

/** Signed attributes of one SignerInfo. */
export const MAX_SIGNED_ATTRIBUTES = 32;

/** Longest queue manager or queue name in the destination binding, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;

/** Longest message id in the binding (MQ's MsgId is 24 bytes). */
export const MAX_MESSAGE_ID_BYTES = 64;
