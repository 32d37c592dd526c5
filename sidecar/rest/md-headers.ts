// The message descriptor as the MQ REST API carries it in `ibm-mq-md-*` headers: parsed from a
// put (correlation id, persistence, expiry, reply-to, priority, and the message id a workload
// sidecar chose), and written on a get or browse. Content-Type rules are IBM's plus the binary
// types that protected messages need. Unknown `ibm-mq-md-*` headers are refused, not ignored.
import { AppError } from '../../lib/errors/index.ts';
import type { Message, OutgoingMessage, Persistence } from '../drivers/driver.ts';
import { formatId, parseId } from './message-ids.ts';
import type { ApiVersion } from './route.ts';

/** Request headers as node:http's `headersDistinct` gives them: lower-case names, every value kept. */
export type DistinctHeaders = Readonly<Record<string, readonly string[] | undefined>>;

export const MD = {
  messageId: 'ibm-mq-md-messageid',
  correlationId: 'ibm-mq-md-correlationid',
  persistence: 'ibm-mq-md-persistence',
  expiry: 'ibm-mq-md-expiry',
  replyTo: 'ibm-mq-md-replyto',
  priority: 'ibm-mq-md-priority',
  userProperties: 'ibm-mq-usr',
} as const;

/** The names a response carries, spelt as IBM documents them. */
export const MD_RESPONSE = {
  messageId: 'ibm-mq-md-messageId',
  correlationId: 'ibm-mq-md-correlationId',
  persistence: 'ibm-mq-md-persistence',
  expiry: 'ibm-mq-md-expiry',
  replyTo: 'ibm-mq-md-replyTo',
  priority: 'ibm-mq-md-priority',
} as const;

const KNOWN_MD: ReadonlySet<string> = new Set([MD.messageId, MD.correlationId, MD.persistence, MD.expiry, MD.replyTo, MD.priority]);

/** The text types IBM's API takes (stored as MQSTR), and the binary types protected messages use. */
const TEXT_TYPES: ReadonlySet<string> = new Set(['text/plain', 'text/html', 'text/xml', 'application/json', 'application/xml']);
const BINARY_TYPES: ReadonlySet<string> = new Set(['application/octet-stream', 'application/pkcs7-mime', 'application/cms']);
export const DEFAULT_CONTENT_TYPE = 'text/plain; charset=utf-8';

const MQ_NAME = '[A-Za-z0-9._/%]{1,48}';
const REPLY_TO = new RegExp(`^${MQ_NAME}(@${MQ_NAME})?$`);
/** MQ's Expiry is tenths of a second in a signed 32-bit field. */
const MAX_EXPIRY_MS = 214_748_364_700;

function badHeader(header: string, message: string): AppError {
  return new AppError('ERR_GATEWAY_BAD_HEADER', `header ${header} ${message}`, { details: { header } });
}

function single(headers: DistinctHeaders, name: string): string | undefined {
  const values = headers[name];
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw badHeader(name, 'is repeated');
  return (values[0] as string).trim();
}

/**
 * Normalises a put's Content-Type: IBM's text types with charset UTF-8 (or none), or a binary
 * type (protected messages are CMS). Absent means text/plain in UTF-8.
 * @throws AppError ERR_GATEWAY_MEDIA_TYPE.
 */
export function parseContentType(value: string | undefined): string {
  if (value === undefined || value === '') return DEFAULT_CONTENT_TYPE;
  const [typePart = '', ...params] = value.split(';');
  const type = typePart.trim().toLowerCase();
  if (TEXT_TYPES.has(type)) {
    for (const param of params) {
      const [name = '', raw = ''] = param.split('=');
      if (name.trim().toLowerCase() !== 'charset') continue;
      const charset = raw.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
      if (charset !== 'utf-8' && charset !== 'utf8') {
        throw new AppError('ERR_GATEWAY_MEDIA_TYPE', `charset ${charset.slice(0, 32)} is not acceptable: text messages are UTF-8`, { details: { contentType: value.slice(0, 128), charset: charset.slice(0, 32) } });
      }
    }
    return `${type}; charset=utf-8`;
  }
  if (BINARY_TYPES.has(type)) {
    // Parameters of binary types (smime-type=…) are kept when they are plain printable ASCII.
    const kept = params.map((p) => p.trim()).filter((p) => /^[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+-]{1,64}$/.test(p));
    return [type, ...kept].join('; ').slice(0, 255);
  }
  throw new AppError('ERR_GATEWAY_MEDIA_TYPE', `media type ${type.slice(0, 64)} is not supported`, { details: { contentType: value.slice(0, 128) } });
}

/**
 * The descriptor of a put or publish from its request headers (the body is added by the caller).
 * @throws AppError ERR_GATEWAY_BAD_HEADER (`details.header`), ERR_GATEWAY_UNSUPPORTED,
 *   ERR_GATEWAY_MEDIA_TYPE.
 */
export function parsePutHeaders(headers: DistinctHeaders, version: ApiVersion): Omit<OutgoingMessage, 'body'> {
  for (const name of Object.keys(headers)) {
    if (name === MD.userProperties || name.startsWith(`${MD.userProperties}-`)) {
      throw new AppError('ERR_GATEWAY_UNSUPPORTED', 'user properties (ibm-mq-usr) are not supported', { details: { feature: 'user-properties', header: name } });
    }
    if (name.startsWith('ibm-mq-md-') && !KNOWN_MD.has(name)) throw badHeader(name, 'is not a message descriptor header the API knows');
  }
  const messageIdRaw = single(headers, MD.messageId);
  const correlationIdRaw = single(headers, MD.correlationId);
  const persistenceRaw = single(headers, MD.persistence);
  const expiryRaw = single(headers, MD.expiry);
  const replyTo = single(headers, MD.replyTo);
  const priorityRaw = single(headers, MD.priority);

  let persistence: Persistence = 'nonPersistent';
  if (persistenceRaw !== undefined) {
    if (persistenceRaw !== 'persistent' && persistenceRaw !== 'nonPersistent') throw badHeader(MD.persistence, 'must be persistent or nonPersistent');
    persistence = persistenceRaw;
  }
  let expiryMs: number | undefined;
  if (expiryRaw !== undefined && expiryRaw !== 'unlimited') {
    if (!/^\d{1,12}$/.test(expiryRaw)) throw badHeader(MD.expiry, 'must be unlimited or a whole number of milliseconds');
    expiryMs = Number(expiryRaw);
    if (expiryMs < 1 || expiryMs > MAX_EXPIRY_MS) throw badHeader(MD.expiry, `must be from 1 to ${MAX_EXPIRY_MS} milliseconds`);
  }
  let priority: number | undefined;
  if (priorityRaw !== undefined) {
    if (version !== 'v3') throw badHeader(MD.priority, 'needs the v3 API');
    if (!/^[0-9]$/.test(priorityRaw)) throw badHeader(MD.priority, 'must be a whole number from 0 to 9');
    priority = Number(priorityRaw);
  }
  if (replyTo !== undefined && !REPLY_TO.test(replyTo)) throw badHeader(MD.replyTo, 'must be QUEUE or QUEUE@QMGR with MQ object names');
  return {
    persistence,
    contentType: parseContentType(single(headers, 'content-type')),
    ...(messageIdRaw === undefined ? {} : { messageId: parseId(messageIdRaw, 'messageId', version, { header: MD_RESPONSE.messageId }) }),
    ...(correlationIdRaw === undefined ? {} : { correlationId: parseId(correlationIdRaw, 'correlationId', version, { header: MD_RESPONSE.correlationId }) }),
    ...(expiryMs === undefined ? {} : { expiryMs }),
    ...(priority === undefined ? {} : { priority }),
    ...(replyTo === undefined ? {} : { replyTo }),
  };
}

/** The response headers of a got or browsed message, in the form of the API version. */
export function messageHeaders(message: Message, version: ApiVersion): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': message.contentType ?? DEFAULT_CONTENT_TYPE,
    [MD_RESPONSE.messageId]: formatId(message.messageId, version),
    [MD_RESPONSE.persistence]: message.persistence,
    [MD_RESPONSE.expiry]: message.expiryMs === undefined ? 'unlimited' : String(message.expiryMs),
  };
  if (message.correlationId !== undefined) headers[MD_RESPONSE.correlationId] = formatId(message.correlationId, version);
  if (message.replyTo !== undefined) headers[MD_RESPONSE.replyTo] = message.replyTo;
  if (version === 'v3') headers[MD_RESPONSE.priority] = String(message.priority);
  return headers;
}
