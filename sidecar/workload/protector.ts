// Seals outgoing messages and opens incoming ones by the destination's protection policy, with
// the workload's message keyring: Integrity signs, Privacy signs then encrypts for the
// recipients, Confidentiality encrypts with a reused content key (one sealing context per
// recipient set). Signed messages are bound to their queue (or topic string) and message id.
import { createSealingContext, open, seal, type ContentEncryption, type Opened, type SealingContext, type TrustBundle } from '../../lib/envelope/index.ts';
import type { MessageKeyring } from './message-keyring.ts';
import type { ProtectionEntry } from './protection-cache.ts';

export interface ProtectorOptions {
  readonly keyring: () => MessageKeyring;
  readonly trustBundle: () => TrustBundle;
  readonly clock?: () => Date;
}

export interface Sealed {
  /** The bytes to store: an envelope, or the payload itself when the destination has no policy. */
  readonly body: Buffer;
  /** Whether the body is an envelope. */
  readonly protected: boolean;
}

const ENCRYPTION: Readonly<Record<string, ContentEncryption>> = { AES128GCM: 'aes128-gcm', AES256GCM: 'aes256-gcm' };
/** Sealing contexts kept (one per recipient set, encryption and reuse setting). */
const MAX_CONTEXTS = 256;

function destinationOf(entry: ProtectionEntry): { queueManager: string; queue: string } {
  return { queueManager: entry.qmgr, queue: 'queue' in entry.target ? entry.target.queue : entry.target.topic };
}

export class Protector {
  readonly #o: ProtectorOptions;
  readonly #contexts = new Map<string, SealingContext>();

  constructor(options: ProtectorOptions) {
    this.#o = options;
  }

  /**
   * Protects a payload for the entry's destination under `messageId` (24 bytes).
   * @throws AppError ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE / ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID
   *   (Privacy, Confidentiality), ERR_WORKLOAD_SIGNATURE_UNSUPPORTED; EnvelopeError from seal.
   */
  seal(entry: ProtectionEntry, payload: Buffer, messageId: Buffer): Sealed {
    const policy = entry.policy;
    if (policy === undefined || policy.qualityOfProtection === 'None') return { body: payload, protected: false };
    const clock = this.#o.clock === undefined ? {} : { clock: this.#o.clock };
    const destination = destinationOf(entry);
    const qop = policy.qualityOfProtection;
    if (qop === 'Integrity') {
      const signer = this.#o.keyring().signer(policy.signatureAlgorithm ?? 'SHA256');
      return { body: seal(payload, { qop: 'integrity', signer, destination, messageId, ...clock }), protected: true };
    }
    if (entry.recipientError !== undefined) throw entry.recipientError;
    const encryption = ENCRYPTION[policy.encryptionAlgorithm ?? 'AES256GCM'] ?? 'aes256-gcm';
    if (qop === 'Privacy') {
      const signer = this.#o.keyring().signer(policy.signatureAlgorithm ?? 'SHA256');
      return { body: seal(payload, { qop: 'privacy', signer, recipients: entry.recipients, encryption, destination, messageId, ...clock }), protected: true };
    }
    const reuse = policy.keyReuse;
    if (reuse === undefined) return { body: seal(payload, { qop: 'confidentiality', recipients: entry.recipients, encryption, ...clock }), protected: true };
    return { body: seal(payload, { qop: 'confidentiality', context: this.#context(entry, encryption, reuse.count, reuse.maxAgeSeconds), ...clock }), protected: true };
  }

  #context(entry: ProtectionEntry, encryption: ContentEncryption, count: number, maxAgeSeconds: number): SealingContext {
    const key = `${encryption}|${count}|${maxAgeSeconds}|${entry.recipientsKey}`;
    let context = this.#contexts.get(key);
    if (context === undefined) {
      context = createSealingContext({ recipients: entry.recipients, count, maxAgeSeconds, encryption });
      this.#contexts.set(key, context);
      if (this.#contexts.size > MAX_CONTEXTS) this.#contexts.delete(this.#contexts.keys().next().value as string);
    }
    return context;
  }

  /**
   * Whether messages found at the entry's destination are opened at all: not where no policy (or
   * QoP None) applies, as AMS leaves such queues alone.
   */
  opens(entry: ProtectionEntry): boolean {
    return entry.openPolicy !== undefined;
  }

  /**
   * Opens a message found at the entry's destination under `messageId`.
   * @throws EnvelopeError with the reason (QOP_MISMATCH for an unprotected message without
   *   toleration, SIGNER_NOT_AUTHORIZED, DECRYPTION_FAILED, NOT_A_RECIPIENT …).
   */
  open(entry: ProtectionEntry, body: Buffer, messageId: Buffer): Opened {
    return open(body, {
      keyring: this.#o.keyring().keyring,
      trustBundle: this.#o.trustBundle(),
      destination: destinationOf(entry),
      messageId,
      ...(entry.openPolicy === undefined ? {} : { policy: entry.openPolicy }),
      ...(this.#o.clock === undefined ? {} : { clock: this.#o.clock }),
    });
  }
}
