// Maps sidecar errors to wire responses: the one place where error codes become HTTP statuses,
// IBM's MQ REST error body (with the MQ reason code) and the qshield-error-code header.
// 4xx replies carry our own message; 5xx replies never carry internal detail.
import type { ServerResponse } from 'node:http';
import { AppError, ERROR_CODES, type ErrorCode } from '../lib/errors/index.ts';
import { F, type Logger } from '../lib/log/index.ts';

/** The response header that carries the qshield error code beside IBM's body. */
export const ERROR_CODE_HEADER = 'qshield-error-code';

/** One entry of IBM's error array. */
export interface MqRestError {
  readonly type: 'rest';
  readonly messageId: string;
  readonly message: string;
  readonly explanation: string;
  readonly action: string;
  readonly completionCode?: number;
  readonly reasonCode?: number;
}

export interface ErrorReply {
  readonly code: ErrorCode;
  readonly status: number;
  readonly reasonCode: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** `{"error":[…]}` as UTF-8 JSON text. */
  readonly body: string;
  /** The connection must not carry another request (refused channel, unread body). */
  readonly closeConnection: boolean;
}

/** MQCC_FAILED: every error reply reports a failed call. */
const MQCC_FAILED = 2;

/** Refusals of the connection as a whole: the reply is the last thing the connection carries. */
const CONNECTION_REFUSALS: ReadonlySet<ErrorCode> = new Set([
  'ERR_GATEWAY_CHANNEL_BLOCKED', 'ERR_GATEWAY_UNKNOWN_CHANNEL', 'ERR_GATEWAY_TLS_TOO_WEAK',
  'ERR_GATEWAY_BAD_REQUEST', 'ERR_GATEWAY_HEADERS_TOO_LARGE', 'ERR_GATEWAY_REQUEST_TIMEOUT',
  'ERR_GATEWAY_BODY_INCOMPLETE', 'ERR_GATEWAY_MESSAGE_TOO_BIG', 'ERR_GATEWAY_MESSAGE_TOO_BIG_FOR_CHANNEL',
  'ERR_GATEWAY_DRAINING',
]);

interface Description {
  readonly messageId: string;
  readonly explanation: string;
  readonly action: string;
}

// IBM's MQWB message ids where IBM's message means the same thing; QSHnnnnE ids (the number is
// the HTTP status or the MQ reason code) where the condition is qshield's own.
function describe(code: ErrorCode, status: number, reasonCode: number | undefined, details: Readonly<Record<string, unknown>>): Description {
  switch (code) {
    case 'ERR_GATEWAY_BAD_HEADER':
      return { messageId: 'MQWB0302E', explanation: 'A request header has a value the API does not accept.', action: 'Correct the header named in the message.' };
    case 'ERR_GATEWAY_MEDIA_TYPE':
      return details.charset !== undefined
        ? { messageId: 'MQWB0305E', explanation: 'Text messages must be encoded in UTF-8.', action: 'Send the body in UTF-8 with charset=utf-8.' }
        : { messageId: 'MQWB0306E', explanation: 'The Content-Type of the message is not supported.', action: 'Use text/plain, text/html, text/xml, application/json or application/xml with charset=utf-8, or application/octet-stream or application/pkcs7-mime for binary messages.' };
    case 'ERR_GATEWAY_CSRF_TOKEN_MISSING':
      return { messageId: 'QSH0403E', explanation: 'POST and DELETE requests must carry the ibm-mq-rest-csrf-token header.', action: 'Send the ibm-mq-rest-csrf-token header; any value will do.' };
    case 'ERR_GATEWAY_CHANNEL_TOO_WEAK':
      return { messageId: 'QSH2063E', explanation: 'Attribute mismatch: the connection is weaker than the minimum channel strength of the protection policy.', action: 'Connect with TLS 1.3 and a post-quantum hybrid key exchange (X25519MLKEM768) as the policy demands.' };
    default:
      break;
  }
  if (reasonCode === 2035) return { messageId: 'QSH2035E', explanation: 'The peer is not authorized for the operation by the channel rules or the authority records of the queue manager.', action: 'Ask the queue manager\'s administrators for the authority; the security event names the rule that decided.' };
  if (reasonCode === 2063) return { messageId: 'QSH2063E', explanation: 'The message does not meet the protection policy of the queue or topic.', action: 'Put protected messages through a qshield workload sidecar, signed by an authorized signer and bound to this destination.' };
  if (reasonCode === 2085 || reasonCode === 2058) return { messageId: `QSH${reasonCode}E`, explanation: 'The queue manager or queue named in the path does not exist here.', action: 'Check the names in the path; names are case-sensitive.' };
  if (reasonCode === 2540 || reasonCode === 2393) return { messageId: `QSH${reasonCode}E`, explanation: 'The connection does not meet its channel\'s requirements.', action: 'Connect through a channel that admits this workload, with the TLS settings the channel demands.' };
  if (status === 413) return { messageId: `QSH${reasonCode ?? 413}E`, explanation: 'The message is longer than the queue or channel allows.', action: 'Send a shorter message, or ask for a larger maximum message length.' };
  if (status === 429) return { messageId: 'QSH0429E', explanation: 'The peer sent more than its channel allows.', action: 'Retry after the time the Retry-After header gives.' };
  if (status === 503) return { messageId: 'MQWB0300E', explanation: 'The broker behind the gateway is not available, or cannot take the message now.', action: 'Retry later.' };
  if (status === 504) return { messageId: 'QSH0504E', explanation: 'The broker did not answer in time; a put may or may not have been stored.', action: 'Retry; a put with its own message id is stored only once.' };
  if (status >= 500) return { messageId: 'MQWB0303E', explanation: 'An unforeseen error occurred in the gateway.', action: 'Retry later; if it persists, the gateway\'s log has the detail.' };
  if (status === 404 || status === 405) return { messageId: `QSH0${status}E`, explanation: 'The request names no resource of the MQ REST API here, or not for this method.', action: 'Check the method and path against the API.' };
  return { messageId: `QSH0${status}E`, explanation: 'The request was refused because it is not valid.', action: 'Correct the request as the message says.' };
}

function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('ERR_INTERNAL', 'unexpected internal fault', { cause: err });
}

/**
 * The reply for an error: pure, so every mapping is testable without a socket. Errors that are
 * not AppErrors become ERR_INTERNAL (500).
 */
export function errorReply(err: unknown): ErrorReply {
  const e = asAppError(err);
  const spec = ERROR_CODES[e.code];
  const status = spec.status;
  const reasonCode = 'mqrc' in spec ? spec.mqrc : undefined;
  const described = describe(e.code, status, reasonCode, e.details);
  // 5xx: the registry's fixed sentence, never the error's own message (it may hold internals).
  const message = status >= 500 ? spec.summary : e.message;
  const entry: MqRestError = {
    type: 'rest',
    messageId: described.messageId,
    message: `${described.messageId}: ${message}`,
    explanation: described.explanation,
    action: described.action,
    ...(reasonCode === undefined ? {} : { completionCode: MQCC_FAILED, reasonCode }),
  };
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    [ERROR_CODE_HEADER]: e.code,
  };
  if (status === 429 || status === 503) {
    const after = e.details.retryAfterSeconds;
    headers['retry-after'] = String(typeof after === 'number' && Number.isFinite(after) && after > 0 ? Math.ceil(after) : 1);
  }
  if (status === 405 && Array.isArray(e.details.allow)) headers.allow = e.details.allow.join(', ');
  const closeConnection = CONNECTION_REFUSALS.has(e.code);
  if (closeConnection) headers.connection = 'close';
  return { code: e.code, status, reasonCode, headers, body: JSON.stringify({ error: [entry] }), closeConnection };
}

/**
 * Writes the error reply (unless headers were already sent: then the response is cut, which is
 * all HTTP allows) and logs it: 4xx at info, 5xx at error with the cause.
 */
export function sendError(res: ServerResponse, err: unknown, log: Logger): ErrorReply {
  const reply = errorReply(err);
  const fields = { [F.code]: reply.code, status: reply.status };
  if (reply.status >= 500) log.error({ ...fields, err }, 'request failed');
  else log.info(fields, 'request refused');
  if (res.headersSent) {
    res.destroy();
    return reply;
  }
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(body);
  return reply;
}
