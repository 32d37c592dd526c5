// The keys a workload opens messages with: every generation of its message key with its
// certificate, current and previous, so that rotation never strands a queued message. It also
// holds the bounded cache of content keys unwrapped for Confidentiality with key reuse.
import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { cmsCertificate, type CmsCertificate } from './cms-certificate.ts';
import { LruCache } from './lru-cache.ts';
import type { RecipientId } from './recipient-info.ts';

export interface KeyringEntry {
  readonly certificate: X509Certificate | Uint8Array;
  readonly key: KeyObject;
}

export interface KeyringOptions {
  /** Unwrapped content keys kept for reuse (default 1024; 0 disables the cache). */
  readonly keyCacheSize?: number;
}

export interface KeyringKey {
  readonly certificate: CmsCertificate;
  readonly key: KeyObject;
}

export const DEFAULT_KEY_CACHE_SIZE = 1024;

export class Keyring {
  readonly keys: readonly KeyringKey[];
  /**
   * Content keys by the exact bytes of the RecipientInfos they were unwrapped from (identical
   * for every message of one key-reuse generation). Only keys that then authenticated content
   * are kept, so forged RecipientInfos never enter; and a hit can only decrypt content that
   * authenticates under that very key.
   */
  readonly contentKeys: LruCache<string, KeyObject>;
  /** The generation last used: a stream of one generation skips even the map look-up. */
  #last: { readonly recipientInfos: Buffer; readonly key: KeyObject } | undefined;
  readonly #byIssuerAndSerial = new Map<string, KeyringKey[]>();
  readonly #bySubjectKeyId = new Map<string, KeyringKey[]>();

  readonly #cacheSize: number;

  constructor(keys: readonly KeyringKey[], cacheSize: number) {
    this.keys = Object.freeze([...keys]);
    this.#cacheSize = cacheSize;
    this.contentKeys = new LruCache(cacheSize);
    for (const k of this.keys) {
      push(this.#byIssuerAndSerial, k.certificate.issuerAndSerialKey, k);
      if (k.certificate.subjectKeyId !== undefined) push(this.#bySubjectKeyId, k.certificate.subjectKeyId.toString('latin1'), k);
    }
  }

  /** The cached content key for these RecipientInfos bytes, if one authenticated content before. */
  cachedContentKey(recipientInfos: Buffer): KeyObject | undefined {
    const last = this.#last;
    if (last !== undefined && last.recipientInfos.equals(recipientInfos)) return last.key;
    const key = this.contentKeys.get(recipientInfos.toString('latin1'));
    if (key !== undefined) this.#last = { recipientInfos: Buffer.from(recipientInfos), key };
    return key;
  }

  /** Remembers a content key that has just authenticated content under these RecipientInfos. */
  rememberContentKey(recipientInfos: Buffer, key: KeyObject): void {
    if (this.#cacheSize === 0) return;
    this.contentKeys.set(recipientInfos.toString('latin1'), key);
    this.#last = { recipientInfos: Buffer.from(recipientInfos), key };
  }

  /** The keys a recipient identifier names (several when generations share an identifier). */
  find(rid: RecipientId): readonly KeyringKey[] {
    const map = rid.kind === 'issuerAndSerial' ? this.#byIssuerAndSerial : this.#bySubjectKeyId;
    return map.get(rid.value.toString('latin1')) ?? [];
  }
}

function push(map: Map<string, KeyringKey[]>, key: string, value: KeyringKey): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/**
 * Builds a keyring from key/certificate pairs, newest first by convention (order does not
 * change which messages open).
 * @throws AppError ERR_INVALID_ARGUMENT when a key is not the private key of its certificate;
 * EnvelopeError CERTIFICATE_INVALID / STRENGTH_MISMATCH when a certificate's key is unusable.
 */
export function createKeyring(entries: readonly KeyringEntry[], options: KeyringOptions = {}): Keyring {
  const keys = entries.map((entry, i) => {
    const certificate = cmsCertificate(entry.certificate);
    if (entry.key.type !== 'private') throw new AppError('ERR_INVALID_ARGUMENT', `keyring entry ${i}: the key must be a private KeyObject`);
    const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
    if (!spki(createPublicKey(entry.key)).equals(spki(certificate.publicKey))) {
      throw new AppError('ERR_INVALID_ARGUMENT', `keyring entry ${i}: the key does not belong to its certificate`);
    }
    return Object.freeze({ certificate, key: entry.key });
  });
  return new Keyring(keys, options.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE);
}
