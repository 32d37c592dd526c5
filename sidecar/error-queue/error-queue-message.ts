// The error-queue message (the MQDLH analogue, docs/error-queue.md): what a workload sidecar puts
// on SYSTEM.PROTECTION.ERROR.QUEUE when a message fails to open — a fixed prefix, a JSON header
// with the reason and the original descriptor, then the original body byte for byte.
import { AppError } from '../../lib/errors/index.ts';

/** The queue protection failures go to, as in IBM MQ AMS. */
export const ERROR_QUEUE = 'SYSTEM.PROTECTION.ERROR.QUEUE';

/** `QDLH`: the first four bytes of every error-queue message. */
export const ERROR_MESSAGE_MAGIC = Buffer.from('QDLH', 'latin1');
export const ERROR_MESSAGE_VERSION = 1;
/** Magic, version byte, 32-bit header length. */
export const ERROR_MESSAGE_PREFIX_BYTES = 9;
/** Longest JSON header accepted. */
export const MAX_ERROR_HEADER_BYTES = 64 * 1024;
/** The content type error-queue messages are stored with. */
export const ERROR_MESSAGE_CONTENT_TYPE = 'application/octet-stream';

/** Where the failed message was found: a queue, or the topic string it was published to. */
export type ErrorDestination =
  | { readonly qmgr: string; readonly queue: string }
  | { readonly qmgr: string; readonly topic: string };

/** The failed message's descriptor as it was found. */
export interface OriginalDescriptor {
  readonly messageId: string;
  readonly correlationId?: string;
  readonly persistence: 'persistent' | 'nonPersistent';
  /** Remaining time to live in ms when found, or `unlimited`. */
  readonly expiry: number | 'unlimited';
  readonly priority: number;
  readonly replyTo?: string;
  readonly contentType?: string;
  readonly putDateTime?: string;
  /** Bytes of the original body (the rest of the error message). */
  readonly size: number;
}

/** The JSON header of an error-queue message. */
export interface ErrorHeader {
  /** Protection-violation code of docs/security-events.md (`decryption-failed`, `signer-not-authorized`, …). */
  readonly reason: string;
  /** The qshield error code (`ERR_ENVELOPE_DECRYPTION_FAILED`), when there is one. */
  readonly errorCode?: string;
  /** MQ reason code: 2063 (MQRC_SECURITY_ERROR) for every protection failure. */
  readonly reasonCode: number;
  /** One sentence: why the message could not be opened. */
  readonly explanation: string;
  readonly destination: ErrorDestination;
  /** The protection policy that applied, with the policy revision in force. */
  readonly policy?: { readonly name: string; readonly qualityOfProtection: string; readonly revision?: string };
  /** The signer's SPIFFE id, when the signature could be read. */
  readonly signer?: string;
  readonly original: OriginalDescriptor;
  /** Who found the failure and in which operation (`get`, `lease`, `subscribe`). */
  readonly detectedBy: { readonly spiffeId: string; readonly operation: string };
  /** ISO 8601 time of detection. */
  readonly detectedAt: string;
}

export interface ErrorQueueMessage {
  readonly header: ErrorHeader;
  /** The original message body, unchanged. */
  readonly body: Buffer;
}

function invalid(message: string, details: Record<string, unknown> = {}): AppError {
  return new AppError('ERR_ERROR_QUEUE_MESSAGE_INVALID', message, { details });
}

/**
 * Encodes an error-queue message.
 * @throws AppError ERR_ERROR_QUEUE_MESSAGE_INVALID when the header is longer than 64 KiB.
 */
export function encodeErrorQueueMessage(header: ErrorHeader, body: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_ERROR_HEADER_BYTES) throw invalid(`the error header is ${json.length} bytes; at most ${MAX_ERROR_HEADER_BYTES}`);
  const out = Buffer.allocUnsafe(ERROR_MESSAGE_PREFIX_BYTES + json.length + body.length);
  ERROR_MESSAGE_MAGIC.copy(out, 0);
  out[4] = ERROR_MESSAGE_VERSION;
  out.writeUInt32BE(json.length, 5);
  json.copy(out, ERROR_MESSAGE_PREFIX_BYTES);
  out.set(body, ERROR_MESSAGE_PREFIX_BYTES + json.length);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown, max = 1024): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

function checkHeader(value: unknown): ErrorHeader {
  if (!isObject(value)) throw invalid('the error header is not a JSON object');
  const problems: string[] = [];
  if (!isString(value.reason, 64)) problems.push('reason');
  if (typeof value.reasonCode !== 'number' || !Number.isInteger(value.reasonCode)) problems.push('reasonCode');
  if (!isString(value.explanation, 4096)) problems.push('explanation');
  const d = value.destination;
  if (!isObject(d) || !isString(d.qmgr, 48) || (isString(d.queue, 48) === isString(d.topic, 10240))) problems.push('destination');
  const o = value.original;
  if (!isObject(o) || !isString(o.messageId, 64) || (o.persistence !== 'persistent' && o.persistence !== 'nonPersistent')
    || !(o.expiry === 'unlimited' || (typeof o.expiry === 'number' && o.expiry > 0)) || typeof o.priority !== 'number'
    || typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 0) problems.push('original');
  const by = value.detectedBy;
  if (!isObject(by) || !isString(by.spiffeId, 2048) || !isString(by.operation, 32)) problems.push('detectedBy');
  if (!isString(value.detectedAt, 64) || Number.isNaN(Date.parse(value.detectedAt))) problems.push('detectedAt');
  if (problems.length > 0) throw invalid(`the error header lacks or misstates ${problems.join(', ')}`, { fields: problems });
  return value as unknown as ErrorHeader;
}

/**
 * Decodes an error-queue message and checks its header's required fields.
 * @throws AppError ERR_ERROR_QUEUE_MESSAGE_INVALID (not this format, a bad length, a header that
 *   is not JSON or lacks a required field, or a body whose size differs from `original.size`).
 */
export function decodeErrorQueueMessage(bytes: Uint8Array): ErrorQueueMessage {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < ERROR_MESSAGE_PREFIX_BYTES || !buf.subarray(0, 4).equals(ERROR_MESSAGE_MAGIC)) throw invalid('not an error-queue message (no QDLH prefix)');
  if (buf[4] !== ERROR_MESSAGE_VERSION) throw invalid(`error-queue message version ${buf[4]} is not known`, { version: buf[4] });
  const length = buf.readUInt32BE(5);
  if (length > MAX_ERROR_HEADER_BYTES || ERROR_MESSAGE_PREFIX_BYTES + length > buf.length) throw invalid('the error header length is out of range', { length });
  const text = buf.subarray(ERROR_MESSAGE_PREFIX_BYTES, ERROR_MESSAGE_PREFIX_BYTES + length);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch {
    throw invalid('the error header is not UTF-8 JSON');
  }
  const header = checkHeader(parsed);
  const body = buf.subarray(ERROR_MESSAGE_PREFIX_BYTES + length);
  if (body.length !== header.original.size) throw invalid(`the body is ${body.length} bytes; the header says ${header.original.size}`);
  return { header, body };
}
