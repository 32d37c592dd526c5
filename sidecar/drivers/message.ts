// Checks an outgoing message against the MQ descriptor rules and completes it (id, put time,
// defaults) into the form both drivers store; turns a stored form back into what get returns.
import { AppError } from '../../lib/errors/index.ts';
import type { Message, MessageSummary, OutgoingMessage, Persistence, Selector } from './driver.ts';
import { generateMessageId, normalizeId } from './message-id.ts';

/** A message as stored: complete descriptor, expiry as the original time to live. */
export interface StoredMessage {
  readonly messageId: string;
  readonly correlationId: string | undefined;
  readonly body: Buffer;
  readonly persistence: Persistence;
  /** Original time to live; undefined = unlimited. */
  readonly expiryMs: number | undefined;
  readonly priority: number;
  readonly replyTo: string | undefined;
  readonly putTime: Date | undefined;
  readonly contentType: string | undefined;
  readonly properties: Readonly<Record<string, string>>;
}

export const MAX_PROPERTIES = 64;
export const MAX_PROPERTY_NAME = 128;
export const MAX_PROPERTY_VALUE_BYTES = 8192;
/** All names and values together: they travel in one AMQP header table (amqplib encodes at most 64 KiB). */
export const MAX_PROPERTIES_BYTES = 32 * 1024;
/** Longest expiry accepted: MQ's Expiry field counts tenths of a second in a signed 32-bit integer. */
export const MAX_EXPIRY_MS = 214_748_364_700;

const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const MQ_NAME = '[A-Za-z0-9._/%]{1,48}';
const REPLY_TO = new RegExp(`^${MQ_NAME}(@${MQ_NAME})?$`);
// A media type with optional parameters, printable ASCII only, as HTTP would carry it.
const CONTENT_TYPE = /^[\x21-\x7e]+(?: *; *[\x21-\x3a\x3c-\x7e]+)*$/;

function bad(code: 'ERR_BROKER_BAD_MESSAGE' | 'ERR_BROKER_BAD_PROPERTY', message: string, details: Record<string, unknown>): AppError {
  return new AppError(code, message, { details });
}

/**
 * Validates `message` and completes it for storage.
 * @throws ERR_BROKER_MESSAGE_TOO_BIG, ERR_BROKER_BAD_MESSAGE, ERR_BROKER_BAD_MESSAGE_ID,
 *   ERR_BROKER_BAD_CORREL_ID, ERR_BROKER_BAD_PRIORITY, ERR_BROKER_BAD_EXPIRY,
 *   ERR_BROKER_BAD_PERSISTENCE, ERR_BROKER_BAD_PROPERTY.
 */
export function prepareMessage(message: OutgoingMessage, maxMessageLength: number, now: Date): StoredMessage {
  if (typeof message !== 'object' || message === null || !Buffer.isBuffer(message.body)) {
    throw bad('ERR_BROKER_BAD_MESSAGE', 'the message body must be a Buffer', { field: 'body' });
  }
  if (message.body.length > maxMessageLength) {
    throw new AppError('ERR_BROKER_MESSAGE_TOO_BIG', `the message is ${message.body.length} bytes; the queue takes at most ${maxMessageLength}`, {
      details: { size: message.body.length, maxMessageLength },
    });
  }
  const messageId = normalizeId(message.messageId, 'messageId') ?? generateMessageId();
  const correlationId = normalizeId(message.correlationId, 'correlationId');

  const persistence = message.persistence ?? 'nonPersistent';
  if (persistence !== 'persistent' && persistence !== 'nonPersistent') {
    throw new AppError('ERR_BROKER_BAD_PERSISTENCE', 'persistence must be persistent or nonPersistent', { details: { field: 'persistence' } });
  }
  const priority = message.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) {
    throw new AppError('ERR_BROKER_BAD_PRIORITY', 'priority must be an integer from 0 to 9', { details: { field: 'priority' } });
  }
  const expiryMs = message.expiryMs;
  if (expiryMs !== undefined && (!Number.isSafeInteger(expiryMs) || expiryMs <= 0 || expiryMs > MAX_EXPIRY_MS)) {
    throw new AppError('ERR_BROKER_BAD_EXPIRY', 'expiry must be a positive whole number of milliseconds (omit it for unlimited)', {
      details: { field: 'expiryMs' },
    });
  }
  const replyTo = message.replyTo;
  if (replyTo !== undefined && (typeof replyTo !== 'string' || !REPLY_TO.test(replyTo))) {
    throw bad('ERR_BROKER_BAD_MESSAGE', 'replyTo must be Q or Q@QMGR with MQ object names', { field: 'replyTo' });
  }
  const contentType = message.contentType;
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType.length > 255 || !CONTENT_TYPE.test(contentType))) {
    throw bad('ERR_BROKER_BAD_MESSAGE', 'contentType must be a media type of printable ASCII, at most 255 characters', { field: 'contentType' });
  }
  return {
    messageId,
    correlationId,
    body: message.body,
    persistence,
    expiryMs,
    priority,
    replyTo,
    putTime: now,
    contentType,
    properties: checkProperties(message.properties),
  };
}

function checkProperties(properties: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  if (properties === undefined) return Object.freeze({});
  if (typeof properties !== 'object' || properties === null) {
    throw bad('ERR_BROKER_BAD_PROPERTY', 'properties must be an object of strings', { property: null });
  }
  const entries = Object.entries(properties);
  if (entries.length > MAX_PROPERTIES) {
    throw bad('ERR_BROKER_BAD_PROPERTY', `at most ${MAX_PROPERTIES} properties are allowed`, { count: entries.length });
  }
  const out: Record<string, string> = {};
  let total = 0;
  for (const [name, value] of entries) {
    if (name.length > MAX_PROPERTY_NAME || !PROPERTY_NAME.test(name)) {
      throw bad('ERR_BROKER_BAD_PROPERTY', 'a property name must match [A-Za-z_][A-Za-z0-9_.]* and be at most 128 characters', {
        property: name.slice(0, MAX_PROPERTY_NAME),
      });
    }
    if (typeof value !== 'string' || Buffer.byteLength(value) > MAX_PROPERTY_VALUE_BYTES) {
      throw bad('ERR_BROKER_BAD_PROPERTY', `a property value must be a string of at most ${MAX_PROPERTY_VALUE_BYTES} bytes`, { property: name });
    }
    total += name.length + Buffer.byteLength(value);
    if (total > MAX_PROPERTIES_BYTES) {
      throw bad('ERR_BROKER_BAD_PROPERTY', `properties take at most ${MAX_PROPERTIES_BYTES} bytes together`, { property: name });
    }
    out[name] = value;
  }
  return Object.freeze(out);
}

/** True when user property `name` is well-formed (used when reading foreign messages). */
export function isPropertyName(name: string): boolean {
  return name.length <= MAX_PROPERTY_NAME && PROPERTY_NAME.test(name);
}

/** Remaining time to live at `nowMs`; 0 or less means expired; undefined = unlimited. */
export function remainingExpiry(stored: StoredMessage, nowMs: number): number | undefined {
  if (stored.expiryMs === undefined) return undefined;
  const start = stored.putTime?.getTime() ?? nowMs;
  return start + stored.expiryMs - nowMs;
}

/** What get/browse return: the stored message with the remaining expiry (at least 1 ms). */
export function toMessage(stored: StoredMessage, nowMs: number): Message {
  const remaining = remainingExpiry(stored, nowMs);
  return {
    messageId: stored.messageId,
    correlationId: stored.correlationId,
    body: stored.body,
    persistence: stored.persistence,
    expiryMs: remaining === undefined ? undefined : Math.max(1, remaining),
    priority: stored.priority,
    replyTo: stored.replyTo,
    putTime: stored.putTime,
    contentType: stored.contentType,
    properties: stored.properties,
  };
}

/** A browse-list line: the message without its payload. */
export function summarize(message: Message): MessageSummary {
  const { body, ...rest } = message;
  return { ...rest, size: body.length };
}

/** A checked selector: lower-case ids, all-zero ids dropped (they match anything in MQ). */
export interface NormalizedSelector {
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
}

/**
 * @throws ERR_BROKER_BAD_MESSAGE_ID, ERR_BROKER_BAD_CORREL_ID.
 */
export function normalizeSelector(selector: Selector | undefined): NormalizedSelector {
  return {
    messageId: normalizeId(selector?.messageId, 'messageId'),
    correlationId: normalizeId(selector?.correlationId, 'correlationId'),
  };
}

export function isSelective(selector: NormalizedSelector): boolean {
  return selector.messageId !== undefined || selector.correlationId !== undefined;
}

export function matchesSelector(message: { messageId: string; correlationId: string | undefined }, selector: NormalizedSelector): boolean {
  return (
    (selector.messageId === undefined || message.messageId === selector.messageId) &&
    (selector.correlationId === undefined || message.correlationId === selector.correlationId)
  );
}

/**
 * Checks a wait time or limit option.
 * @throws ERR_INVALID_ARGUMENT.
 */
export function checkNonNegativeInteger(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AppError('ERR_INVALID_ARGUMENT', `${name} must be a whole number, 0 or more`, { details: { field: name } });
  }
  return value;
}
