// Between the app's REST requests and the gateway's: the message descriptor of a put as the
// gateway takes it (always the v3 form, with the message id the sidecar chose), a got message
// read back from the gateway's answer, and the gateway paths the sidecar calls.
import { AppError } from '../../lib/errors/index.ts';
import type { Message, OutgoingMessage } from '../drivers/driver.ts';
import { LEASE_HEADERS } from '../gateway/extensions.ts';
import { MD, MD_RESPONSE } from '../rest/md-headers.ts';
import { formatId } from '../rest/message-ids.ts';
import { header, type GatewayReply } from './gateway-client.ts';

export const CSRF_HEADER = 'ibm-mq-rest-csrf-token';

/** The headers of a put or publish to the gateway. */
export function putHeaders(md: Omit<OutgoingMessage, 'body'>, messageId: string): Record<string, string> {
  const h: Record<string, string> = {
    [CSRF_HEADER]: 'qshield-sidecar',
    [MD.messageId]: formatId(messageId, 'v3'),
    [MD.persistence]: md.persistence ?? 'nonPersistent',
    'content-type': md.contentType ?? 'text/plain; charset=utf-8',
  };
  if (md.correlationId !== undefined) h[MD.correlationId] = formatId(md.correlationId, 'v3');
  if (md.expiryMs !== undefined) h[MD.expiry] = String(md.expiryMs);
  if (md.replyTo !== undefined) h[MD.replyTo] = md.replyTo;
  if (md.priority !== undefined) h[MD.priority] = String(md.priority);
  return h;
}

function idFrom(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.startsWith('ID:') ? value.slice(3) : value;
  return /^[0-9a-fA-F]{48}$/.test(hex) ? hex.toLowerCase() : undefined;
}

/**
 * The message a gateway get, browse or lease answered with (v3 headers).
 * @throws AppError ERR_WORKLOAD_GATEWAY_ERROR when the answer lacks a message id.
 */
export function messageFromReply(reply: GatewayReply): Message {
  const messageId = idFrom(header(reply.headers, MD_RESPONSE.messageId.toLowerCase()));
  if (messageId === undefined) throw new AppError('ERR_WORKLOAD_GATEWAY_ERROR', 'the gateway\'s message carries no message id', { details: { gatewayStatus: reply.status } });
  const expiry = header(reply.headers, MD_RESPONSE.expiry.toLowerCase());
  const priority = Number(header(reply.headers, MD_RESPONSE.priority.toLowerCase()) ?? '0');
  return {
    messageId,
    correlationId: idFrom(header(reply.headers, MD_RESPONSE.correlationId.toLowerCase())),
    body: reply.body,
    persistence: header(reply.headers, MD_RESPONSE.persistence) === 'persistent' ? 'persistent' : 'nonPersistent',
    expiryMs: expiry === undefined || expiry === 'unlimited' || !/^\d+$/.test(expiry) ? undefined : Number(expiry),
    priority: Number.isInteger(priority) && priority >= 0 && priority <= 9 ? priority : 0,
    replyTo: header(reply.headers, MD_RESPONSE.replyTo.toLowerCase()),
    putTime: undefined,
    contentType: header(reply.headers, 'content-type'),
    properties: {},
  };
}

/** The lease a lease answer carries. */
export function leaseFromReply(reply: GatewayReply): { id: string; expires: string } {
  const id = header(reply.headers, LEASE_HEADERS.id);
  const expires = header(reply.headers, LEASE_HEADERS.expires);
  if (id === undefined || expires === undefined) throw new AppError('ERR_WORKLOAD_GATEWAY_ERROR', 'the gateway\'s lease answer carries no lease id', { details: { gatewayStatus: reply.status } });
  return { id, expires };
}

const enc = encodeURIComponent;

/** Gateway paths. */
export const paths = {
  queueMessage: (qmgr: string, queue: string, query = ''): string => `/ibmmq/rest/v3/messaging/qmgr/${enc(qmgr)}/queue/${enc(queue)}/message${query}`,
  messageList: (qmgr: string, queue: string, query = '', version = 'v3'): string => `/ibmmq/rest/${version}/messaging/qmgr/${enc(qmgr)}/queue/${enc(queue)}/messagelist${query}`,
  topicMessage: (qmgr: string, topic: string): string => `/ibmmq/rest/v3/messaging/qmgr/${enc(qmgr)}/topic/${topic.split('/').map(enc).join('/')}/message`,
  lease: (qmgr: string, queue: string, query = ''): string => `/qshield/v1/qmgr/${enc(qmgr)}/queue/${enc(queue)}/lease${query}`,
  leaseAck: (qmgr: string, id: string): string => `/qshield/v1/qmgr/${enc(qmgr)}/lease/${enc(id)}`,
  leaseRelease: (qmgr: string, id: string): string => `/qshield/v1/qmgr/${enc(qmgr)}/lease/${enc(id)}/release`,
  subscription: (qmgr: string, topic: string): string => `/qshield/v1/qmgr/${enc(qmgr)}/topic/${topic.split('/').map(enc).join('/')}/subscription`,
  quarantine: (qmgr: string): string => `/qshield/v1/qmgr/${enc(qmgr)}/quarantine`,
};

/** A query string from parameters (undefined ones left out). */
export function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const parts = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}
