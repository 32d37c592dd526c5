// seal(): protects one payload at a quality of protection — Integrity (CMS SignedData), Privacy
// (that SignedData inside AuthEnvelopedData) or Confidentiality (AuthEnvelopedData only, with
// key reuse through a SealingContext). docs/envelope.md describes the wire format.
import { randomBytes, type X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { CONTENT_ENCRYPTIONS, type ContentEncryption } from './algorithms.ts';
import { NONCE_LENGTH, encodeAuthEnvelopedData } from './auth-enveloped-data.ts';
import { newContentKey, recipientCertificates } from './content-key.ts';
import { encodeDestination, encodeMessageId, type Destination } from './destination.ts';
import { EnvelopeError } from './envelope-error.ts';
import './live-objects.ts';
import { MAX_PAYLOAD_BYTES } from './limits.ts';
import { LruCache } from './lru-cache.ts';
import { isQop, type Qop } from './qop.ts';
import type { SealingContext } from './sealing-context.ts';
import { encodeSignedData, qshieldAttribute } from './signed-data.ts';
import type { Signer } from './signer.ts';

export interface SealOptions {
  readonly qop: Qop;
  /** Integrity and Privacy: who signs (createSigner). */
  readonly signer?: Signer;
  /** Privacy, and Confidentiality without a context: who may open. */
  readonly recipients?: readonly (X509Certificate | Uint8Array)[];
  /** Confidentiality with key reuse: the context that holds the current key (createSealingContext). */
  readonly context?: SealingContext;
  /** Integrity and Privacy: bind the signature to this queue manager and queue. */
  readonly destination?: Destination;
  /** Integrity and Privacy: bind the signature to this message id. */
  readonly messageId?: Uint8Array;
  /** Content encryption when no context decides it (default aes256-gcm). */
  readonly encryption?: ContentEncryption;
  readonly clock?: () => Date;
  /** A lower payload limit than MAX_PAYLOAD_BYTES. */
  readonly maxPayloadBytes?: number;
}

const systemClock = (): Date => new Date();

function invalid(message: string): AppError {
  return new AppError('ERR_INVALID_ARGUMENT', message);
}

// Destinations repeat (a sidecar puts to a handful of queues): remember their encodings, and the
// last one apart, so that a stream to one queue neither builds a key nor touches the map.
const destinationCache = new LruCache<string, Buffer>(256);
let lastDestination: { readonly queueManager: unknown; readonly queue: unknown; readonly encoded: Buffer } | undefined;

function destinationBinding(d: Destination): Buffer {
  const last = lastDestination;
  if (last !== undefined && last.queueManager === d.queueManager && last.queue === d.queue) return last.encoded;
  // Length-prefixed, so that no two destinations share a key whatever characters they hold.
  const key = `${String(d.queueManager).length}:${d.queueManager}${d.queue}`;
  let encoded = destinationCache.get(key);
  if (encoded === undefined) {
    encoded = qshieldAttribute('qshieldDestination', encodeDestination(d));
    destinationCache.set(key, encoded);
  }
  lastDestination = { queueManager: d.queueManager, queue: d.queue, encoded };
  return encoded;
}

function signed(payload: Uint8Array, options: SealOptions, now: Date): Buffer {
  const signer = options.signer;
  if (signer === undefined) throw invalid(`${options.qop} needs a signer`);
  const cert = signer.certificate;
  if (now < cert.notBefore || now > cert.notAfter) {
    throw new EnvelopeError('CERTIFICATE_INVALID', `signer certificate ${cert.x509.subject} is not valid at ${now.toISOString()}`);
  }
  return encodeSignedData(payload, signer, {
    signingTime: now,
    destination: options.destination === undefined ? undefined : destinationBinding(options.destination),
    messageId: options.messageId === undefined ? undefined : qshieldAttribute('qshieldMessageId', encodeMessageId(options.messageId)),
  });
}

function encryptOnce(plaintext: Uint8Array, options: SealOptions, now: Date): Buffer {
  const encryption = options.encryption ?? 'aes256-gcm';
  if (!CONTENT_ENCRYPTIONS.includes(encryption)) throw invalid(`unknown content encryption ${String(encryption)}`);
  const { cek, recipientInfos } = newContentKey(recipientCertificates(options.recipients), encryption, now);
  // A fresh key per message: a random nonce is as good as any and keeps one code path.
  return encodeAuthEnvelopedData(recipientInfos, encryption, cek, randomBytes(NONCE_LENGTH), plaintext);
}

/**
 * Protects `payload` and returns the envelope (DER of a CMS ContentInfo).
 * @throws EnvelopeError SIZE_MISMATCH for a payload over the limit; CERTIFICATE_INVALID when the
 * signer or a recipient certificate is outside its validity; STRENGTH_MISMATCH for a weak
 * recipient key; AppError ERR_INVALID_ARGUMENT when the options do not fit the QoP.
 */
export function seal(payload: Uint8Array, options: SealOptions): Buffer {
  if (!isQop(options.qop)) throw invalid(`unknown quality of protection ${String(options.qop)}`);
  const limit = Math.min(options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES, MAX_PAYLOAD_BYTES);
  if (payload.length > limit) throw new EnvelopeError('SIZE_MISMATCH', `payload of ${payload.length} bytes exceeds the ${limit}-byte limit`);
  const now = (options.clock ?? systemClock)();
  switch (options.qop) {
    case 'integrity':
      return signed(payload, options, now);
    case 'privacy':
      if (options.context !== undefined) throw invalid('key reuse is for confidentiality only');
      return encryptOnce(signed(payload, options, now), options, now);
    case 'confidentiality': {
      if (options.signer !== undefined || options.destination !== undefined || options.messageId !== undefined) {
        throw invalid('confidentiality carries no signature, so no signer, destination or message id binding');
      }
      const context = options.context;
      if (context === undefined) return encryptOnce(payload, options, now);
      if (options.recipients !== undefined) throw invalid('with a sealing context, the recipients are the context\'s');
      const key = context.next(now);
      return encodeAuthEnvelopedData(key.recipientInfos, context.encryption, key.cek, key.nonce, payload);
    }
  }
}
