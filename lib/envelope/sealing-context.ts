// Confidentiality with key reuse (AMS KEYREUSE): one content key and its RecipientInfos serve up
// to `count` messages or `maxAgeSeconds`, whichever ends first; then a new key is made.
// Nonces never repeat under one key: each is a random 4-byte salt chosen with the key followed
// by a 64-bit big-endian message counter that starts at 0 and only increases, and a key is
// retired after at most `count` ≤ 2^32 messages (NIST SP 800-38D 8.2.1, deterministic
// construction). Keys are fresh random 128/256-bit values, never shared between generations.
import { randomBytes, type KeyObject, type X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { CONTENT_ENCRYPTIONS, type ContentEncryption } from './algorithms.ts';
import type { CmsCertificate } from './cms-certificate.ts';
import { NONCE_LENGTH } from './auth-enveloped-data.ts';
import { newContentKey, recipientCertificates } from './content-key.ts';

/** Most messages one content key may protect. */
export const MAX_KEY_REUSE = 2 ** 32 - 1;

export interface SealingContextOptions {
  readonly recipients: readonly (X509Certificate | Uint8Array)[];
  /** Messages per content key, 1 to 2^32. */
  readonly count: number;
  /** Seconds a content key may be used after it was made. */
  readonly maxAgeSeconds: number;
  /** Content encryption (default aes256-gcm). */
  readonly encryption?: ContentEncryption;
}

interface Generation {
  readonly cek: KeyObject;
  readonly recipientInfos: Buffer;
  readonly salt: Buffer;
  readonly createdAt: number;
  used: number;
}

/** What one message is sealed with. */
export interface MessageKey {
  readonly cek: KeyObject;
  readonly recipientInfos: Buffer;
  readonly nonce: Buffer;
}

export class SealingContext {
  readonly recipients: readonly CmsCertificate[];
  readonly count: number;
  readonly maxAgeMs: number;
  readonly encryption: ContentEncryption;
  #generation: Generation | undefined;
  #generations = 0;
  #messages = 0;

  constructor(recipients: readonly CmsCertificate[], count: number, maxAgeMs: number, encryption: ContentEncryption) {
    this.recipients = Object.freeze([...recipients]);
    this.count = count;
    this.maxAgeMs = maxAgeMs;
    this.encryption = encryption;
  }

  /**
   * The key, RecipientInfos and a never-used nonce for the next message at `now`, making a new
   * key generation when the current one is used up or too old.
   * @throws EnvelopeError CERTIFICATE_INVALID when a new generation finds a recipient expired.
   */
  next(now: Date): MessageKey {
    const t = now.getTime();
    let g = this.#generation;
    if (g === undefined || g.used >= this.count || t - g.createdAt >= this.maxAgeMs || t < g.createdAt) {
      const material = newContentKey(this.recipients, this.encryption, now);
      g = { ...material, salt: randomBytes(4), createdAt: t, used: 0 };
      this.#generation = g;
      this.#generations++;
    }
    const nonce = Buffer.allocUnsafe(NONCE_LENGTH);
    g.salt.copy(nonce, 0);
    // 64-bit counter, big-endian; `used` < 2^32 (count ≤ MAX_KEY_REUSE), so the high half is 0.
    nonce.writeUInt32BE(0, 4);
    nonce.writeUInt32BE(g.used, 8);
    g.used++;
    this.#messages++;
    return { cek: g.cek, recipientInfos: g.recipientInfos, nonce };
  }

  /** Key generations made and messages sealed so far. */
  get stats(): { readonly generations: number; readonly messages: number } {
    return { generations: this.#generations, messages: this.#messages };
  }
}

/**
 * A sealing context for Confidentiality with key reuse.
 * @throws AppError ERR_INVALID_ARGUMENT for a count or age out of range or no recipients;
 * EnvelopeError CERTIFICATE_INVALID / STRENGTH_MISMATCH for an unusable recipient certificate.
 */
export function createSealingContext(options: SealingContextOptions): SealingContext {
  const { count, maxAgeSeconds } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_KEY_REUSE) throw new AppError('ERR_INVALID_ARGUMENT', `key reuse count must be an integer from 1 to ${MAX_KEY_REUSE}`);
  if (!(maxAgeSeconds > 0) || !Number.isFinite(maxAgeSeconds)) throw new AppError('ERR_INVALID_ARGUMENT', 'key reuse maxAgeSeconds must be a positive number');
  const encryption = options.encryption ?? 'aes256-gcm';
  if (!CONTENT_ENCRYPTIONS.includes(encryption)) throw new AppError('ERR_INVALID_ARGUMENT', `unknown content encryption ${String(encryption)}`);
  return new SealingContext(recipientCertificates(options.recipients), count, maxAgeSeconds * 1000, encryption);
}
