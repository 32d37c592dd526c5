// The MQ message descriptor in AMQP 0-9-1 basic properties, and back. Ids travel as their
// 48-hex-digit form in message_id / correlation_id; the put time in milliseconds in a header
// (the AMQP timestamp has whole seconds only); user properties as headers. A message put by
// another AMQP client is read as faithfully as it allows (see docs/drivers.md).
import { createHash } from 'node:crypto';
import type { Message as AmqpMessage, Options } from 'amqplib';
import { isHexId, ID_BYTES } from '../message-id.ts';
import { isPropertyName, type StoredMessage } from '../message.ts';

export const PUT_TIME_HEADER = 'x-qshield-put-time';

/** Publish options carrying `stored`'s descriptor. */
export function toPublishOptions(stored: StoredMessage, mandatory: boolean): Options.Publish {
  const putTimeMs = stored.putTime?.getTime() ?? Date.now();
  return {
    mandatory,
    messageId: stored.messageId,
    correlationId: stored.correlationId,
    deliveryMode: stored.persistence === 'persistent' ? 2 : 1,
    expiration: stored.expiryMs === undefined ? undefined : String(stored.expiryMs),
    priority: stored.priority,
    replyTo: stored.replyTo,
    contentType: stored.contentType,
    timestamp: Math.floor(putTimeMs / 1000),
    headers: { ...stored.properties, [PUT_TIME_HEADER]: putTimeMs },
  };
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** An id for a message whose message_id is not ours: stable for the same message_id (or body). */
function derivedId(messageId: string | undefined, body: Buffer): string {
  const hash = createHash('sha256');
  if (messageId !== undefined) hash.update('id:').update(messageId);
  else hash.update('body:').update(body);
  return hash.digest('hex').slice(0, ID_BYTES * 2);
}

/** The stored form of a message read from RabbitMQ. */
export function fromAmqp(message: AmqpMessage): StoredMessage {
  const p = message.properties;
  const headers = (p.headers ?? {}) as Record<string, unknown>;
  const rawId = asString(p.messageId);
  const rawCorrelation = asString(p.correlationId);
  const putTimeMs = asNumber(headers[PUT_TIME_HEADER]) ?? (asNumber(p.timestamp) === undefined ? undefined : (asNumber(p.timestamp) as number) * 1000);
  const expiration = p.expiration === undefined || p.expiration === null ? undefined : Number(p.expiration);
  const priority = asNumber(p.priority);
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = asString(value);
    if (name !== PUT_TIME_HEADER && text !== undefined && isPropertyName(name)) properties[name] = text;
  }
  return {
    messageId: isHexId(rawId) ? rawId.toLowerCase() : derivedId(rawId, message.content),
    correlationId: isHexId(rawCorrelation) && !/^0+$/.test(rawCorrelation) ? rawCorrelation.toLowerCase() : undefined,
    body: message.content,
    persistence: p.deliveryMode === 2 ? 'persistent' : 'nonPersistent',
    expiryMs: expiration !== undefined && Number.isSafeInteger(expiration) && expiration >= 0 ? expiration : undefined,
    priority: priority === undefined ? 0 : Math.min(9, Math.max(0, Math.trunc(priority))),
    replyTo: asString(p.replyTo),
    putTime: putTimeMs === undefined ? undefined : new Date(putTimeMs),
    contentType: asString(p.contentType),
    properties: Object.freeze(properties),
  };
}
