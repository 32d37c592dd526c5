// Enforces a protection policy on a put or publish at the gateway, as far as a gateway can
// without the recipients' keys: the envelope type must match the QoP; an Integrity message is
// verified in full (signature, signer chain, authorized signer, destination and message-id
// binding); a Privacy or Confidentiality message must be a well-formed AuthEnvelopedData with a
// strong enough cipher. Its signer and binding sit inside the encryption: only the recipient's
// workload sidecar can check those (docs/gateway-api.md, "What the gateway enforces").
import { EnvelopeError, inspect, open, type ContentEncryption, type Inspection, type OpenPolicy, type SignatureAlgorithm, type TrustBundle } from '../../lib/envelope/index.ts';
import type { ProtectionPolicy } from '../../lib/policy/index.ts';

/** Why a put was refused: the envelope error (its code goes to the client) and the event facts. */
export class ProtectionRefusal extends Error {
  readonly error: EnvelopeError;
  /** No envelope at all (event code `not-protected`); otherwise the envelope error's code says why. */
  readonly notProtected: boolean;
  /** What the message carried: `none`, `integrity`, `encrypted` (Privacy or Confidentiality). */
  readonly found: string | undefined;
  readonly signer: string | undefined;

  constructor(error: EnvelopeError, found: string | undefined, signer?: string) {
    super(error.message, { cause: error });
    this.name = 'ProtectionRefusal';
    this.error = error;
    this.notProtected = found === 'none';
    this.found = found;
    this.signer = signer;
  }
}

export interface ProtectionCheckInput {
  readonly policy: ProtectionPolicy;
  readonly body: Buffer;
  /** Where the message is going: the queue manager and the queue name or topic string. */
  readonly destination: { readonly queueManager: string; readonly queue: string };
  /** The message id the caller chose (48 hex digits), if any. */
  readonly messageId: string | undefined;
  readonly trustBundle: TrustBundle;
  readonly clock?: () => Date;
}

export interface ProtectionCheckResult {
  /** What the message carried: `none` (tolerated or unprotected queue), `integrity`, `encrypted`. */
  readonly found: 'none' | 'integrity' | 'encrypted' | 'unchecked';
  /** Integrity: the verified signer. */
  readonly signer?: string;
  /**
   * Integrity: the message id the signature binds, when the caller gave none. The gateway stores
   * the message under it, so the binding holds where the consumer finds the message.
   */
  readonly boundMessageId?: string;
}

/** The weakest algorithm each policy setting admits (docs/envelope.md, strength order). */
const MIN_SIGNATURE: Readonly<Record<string, SignatureAlgorithm>> = { SHA256: 'rsa-pkcs1-sha256', SHA384: 'rsa-pkcs1-sha384', SHA512: 'rsa-pkcs1-sha512' };
const MIN_ENCRYPTION: Readonly<Record<string, ContentEncryption>> = { AES128GCM: 'aes128-gcm', AES256GCM: 'aes256-gcm' };
const ENCRYPTION_RANK: Readonly<Record<ContentEncryption, number>> = { 'aes128-gcm': 1, 'aes192-gcm': 2, 'aes256-gcm': 3 };


const ID_BYTES = 24;

function refusal(err: unknown, found: string | undefined): ProtectionRefusal {
  if (!(err instanceof EnvelopeError)) throw err;
  const signer = typeof err.details.signer === 'string' ? err.details.signer : undefined;
  return new ProtectionRefusal(err, found, signer);
}

function qopMismatch(found: 'integrity' | 'encrypted', required: string): ProtectionRefusal {
  const what = found === 'integrity' ? 'Integrity (signed)' : 'Privacy or Confidentiality (encrypted)';
  const error = new EnvelopeError('QOP_MISMATCH', `the message is protected with ${what}; the policy demands ${required}`, { details: { found, expected: required } });
  return new ProtectionRefusal(error, found);
}

/**
 * Checks a put's body against the policy of its destination.
 * @throws ProtectionRefusal carrying the EnvelopeError for the client and the event facts.
 */
export function checkProtection(input: ProtectionCheckInput): ProtectionCheckResult {
  const { policy } = input;
  const required = policy.qualityOfProtection;
  if (required === 'None') return { found: 'unchecked' };
  let shape: Inspection;
  try {
    shape = inspect(input.body);
  } catch (err) {
    throw refusal(err, undefined);
  }
  if (shape.kind === 'none') {
    if (policy.toleration) return { found: 'none' };
    const error = new EnvelopeError('QOP_MISMATCH', `the message is not protected and the policy demands ${required}`, { details: { found: 'none', expected: required } });
    throw new ProtectionRefusal(error, 'none');
  }
  if (required === 'Integrity') {
    if (shape.kind !== 'signed') throw qopMismatch('encrypted', required);
    return checkSigned(input);
  }
  if (shape.kind !== 'encrypted') throw qopMismatch('integrity', required);
  const minimum = MIN_ENCRYPTION[policy.encryptionAlgorithm ?? 'AES256GCM'] ?? 'aes256-gcm';
  const encryption = shape.encryption ?? 'aes128-gcm';
  if (ENCRYPTION_RANK[encryption] < ENCRYPTION_RANK[minimum]) {
    const error = new EnvelopeError('STRENGTH_MISMATCH', `content encryption ${encryption} is weaker than the policy minimum ${minimum}`);
    throw new ProtectionRefusal(error, 'encrypted');
  }
  return { found: 'encrypted' };
}

// What open() enforces for each policy, made once per policy object: open() compiles the
// authorized-signer patterns once per OpenPolicy object, so a fresh one per message would
// compile them for every put.
const openPolicies = new WeakMap<ProtectionPolicy, OpenPolicy>();

function openPolicyOf(policy: ProtectionPolicy): OpenPolicy {
  let openPolicy = openPolicies.get(policy);
  if (openPolicy === undefined) {
    const signature = MIN_SIGNATURE[policy.signatureAlgorithm ?? 'SHA256'];
    openPolicy = Object.freeze({
      qop: 'integrity' as const,
      authorizedSigners: policy.authorizedSigners,
      ...(signature === undefined ? {} : { minimumStrength: { signature } }),
    });
    openPolicies.set(policy, openPolicy);
  }
  return openPolicy;
}

function checkSigned(input: ProtectionCheckInput): ProtectionCheckResult {
  try {
    const opened = open(input.body, {
      trustBundle: input.trustBundle,
      destination: input.destination,
      ...(input.messageId === undefined ? {} : { messageId: Buffer.from(input.messageId, 'hex') }),
      ...(input.clock === undefined ? {} : { clock: input.clock }),
      policy: openPolicyOf(input.policy),
    });
    const signer = opened.signer?.spiffeId;
    if (opened.messageId === undefined) {
      // open() checked a caller-chosen id already; without one, the binding must still be there
      // for the consumer's sidecar to accept the message where it will find it.
      const error = new EnvelopeError('DESTINATION_MISMATCH', 'the envelope carries no message id binding and the policy demands one');
      throw new ProtectionRefusal(error, 'integrity', signer);
    }
    if (input.messageId === undefined) {
      if (opened.messageId.length !== ID_BYTES) {
        const error = new EnvelopeError('DESTINATION_MISMATCH', `the message is bound to a ${opened.messageId.length}-byte message id; MQ message ids are ${ID_BYTES} bytes`);
        throw new ProtectionRefusal(error, 'integrity', signer);
      }
      return { found: 'integrity', ...(signer === undefined ? {} : { signer }), boundMessageId: opened.messageId.toString('hex') };
    }
    return { found: 'integrity', ...(signer === undefined ? {} : { signer }) };
  } catch (err) {
    if (err instanceof ProtectionRefusal) throw err;
    throw refusal(err, 'integrity');
  }
}
