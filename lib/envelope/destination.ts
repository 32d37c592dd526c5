// The qshield signed attributes that bind a message to where it was put: destination (queue
// manager and queue) and message id. Their OIDs and ASN.1 are in docs/envelope.md.
import { isUtf8 } from 'node:buffer';
import { bytesOf, contentOf, DerCursor, encode, isEncoding, prim, seq, TAG, utf8, type DerElement } from '../der/index.ts';
import { AppError } from '../errors/index.ts';
import { malformed } from './envelope-error.ts';
import { MAX_MESSAGE_ID_BYTES, MAX_NAME_BYTES } from './limits.ts';

/** Where a message is put: the queue manager and queue (or topic string) it is meant for. */
export interface Destination {
  readonly queueManager: string;
  readonly queue: string;
}


function checkName(what: string, value: unknown): void {
  const bytes = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
  if (bytes === 0 || bytes > MAX_NAME_BYTES) {
    throw new AppError('ERR_INVALID_ARGUMENT', `the destination's ${what} must be a string of 1 to ${MAX_NAME_BYTES} UTF-8 bytes`);
  }
}

/**
 * QshieldDestination ::= SEQUENCE { queueManager UTF8String, queue UTF8String }
 * @throws AppError ERR_INVALID_ARGUMENT when a name is empty or too long.
 */
export function encodeDestination(d: Destination): Buffer {
  checkName('queue manager', d.queueManager);
  checkName('queue', d.queue);
  return encode(seq(utf8(d.queueManager), utf8(d.queue)));
}

/**
 * QshieldMessageId ::= OCTET STRING
 * @throws AppError ERR_INVALID_ARGUMENT when the id is empty or too long.
 */
export function encodeMessageId(id: Uint8Array): Buffer {
  if (!(id instanceof Uint8Array) || id.length === 0 || id.length > MAX_MESSAGE_ID_BYTES) {
    throw new AppError('ERR_INVALID_ARGUMENT', `the message id must be 1 to ${MAX_MESSAGE_ID_BYTES} bytes`);
  }
  return encode(prim(TAG.octetString, id));
}

function readUtf8(buf: Buffer, el: DerElement, what: string): string {
  if (el.tag !== TAG.utf8String) throw malformed(`${what}: expected UTF8String`);
  if (!isUtf8(contentOf(buf, el))) throw malformed(`${what}: invalid UTF-8`);
  return buf.toString('utf8', el.valueStart, el.end);
}

// A stream of messages carries the same destination binding: the last one read is kept with its
// exact encoding, so that the next identical one costs a byte comparison instead of two UTF-8
// decodings. Shared between messages, so frozen.
let lastRead: { readonly der: Buffer; readonly destination: Destination } | undefined;

/** @throws EnvelopeError MALFORMED */
export function readDestination(buf: Buffer, el: DerElement): Destination {
  if (lastRead !== undefined && isEncoding(buf, el, lastRead.der)) return lastRead.destination;
  const c = DerCursor.inside(buf, el, 'destination');
  const queueManager = readUtf8(buf, c.any('destination queue manager'), 'destination queue manager');
  const queue = readUtf8(buf, c.any('destination queue'), 'destination queue');
  c.finish('destination');
  const destination = Object.freeze({ queueManager, queue });
  lastRead = { der: Buffer.from(bytesOf(buf, el)), destination };
  return destination;
}

/** @throws EnvelopeError MALFORMED */
export function readMessageId(buf: Buffer, el: DerElement): Buffer {
  if (el.tag !== TAG.octetString) throw malformed('message id: expected OCTET STRING');
  return Buffer.from(contentOf(buf, el));
}

