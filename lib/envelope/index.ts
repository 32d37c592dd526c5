// Message protection envelopes: CMS Integrity, Privacy and Confidentiality (docs/envelope.md).
export { seal, type SealOptions } from './seal.ts';
export { inspect, type Inspection } from './inspect.ts';
export { open, type OpenOptions, type OpenPolicy, type Opened, type OpenedSigner } from './open.ts';
export { createSigner, type Signer, type SignerOptions } from './signer.ts';
export { createKeyring, Keyring, DEFAULT_KEY_CACHE_SIZE, type KeyringEntry, type KeyringOptions, type KeyringKey } from './keyring.ts';
export { createSealingContext, SealingContext, MAX_KEY_REUSE, type SealingContextOptions } from './sealing-context.ts';
export { EnvelopeError, ENVELOPE_REASONS, type EnvelopeReason } from './envelope-error.ts';
export { QOPS, isQop, type Qop, type OpenedQop } from './qop.ts';
export { SIGNATURE_ALGORITHMS, CONTENT_ENCRYPTIONS, type SignatureAlgorithm, type ContentEncryption, type DigestName } from './algorithms.ts';
export type { Destination } from './destination.ts';
export type { TrustBundle } from './signer-trust.ts';
export { MAX_PAYLOAD_BYTES, MAX_ENVELOPE_BYTES, MAX_CERTIFICATES, MAX_RECIPIENTS } from './limits.ts';
export { QSHIELD_ARC, OID } from './oids.ts';
