// Errors of the gateway and its MQ REST API (sidecar gateway mode): routing, headers, limits,
// channel admission, authorities and protection enforcement. sidecar/respond.ts turns each into
// an HTTP status, IBM's error body (MQ reason code where one applies) and a qshield-error-code header.
import type { ErrorSpec } from './spec.ts';

export const GATEWAY_CODES = {
  ERR_GATEWAY_NOT_FOUND: { status: 404, retry: false, summary: 'The path is not a resource of the MQ REST API or of the qshield extensions.' },
  ERR_GATEWAY_METHOD_NOT_ALLOWED: { status: 405, retry: false, summary: 'The resource exists but does not take this HTTP method.' },
  ERR_GATEWAY_BAD_PATH: { status: 400, retry: false, summary: 'A path segment is badly percent-encoded, or a queue name or topic string in it is invalid.' },
  ERR_GATEWAY_UNKNOWN_QMGR: { status: 404, mqrc: 2058, retry: false, summary: 'The path names another queue manager than the one this gateway fronts (MQRC_Q_MGR_NAME_ERROR).' },
  ERR_GATEWAY_UNKNOWN_OBJECT: { status: 404, mqrc: 2085, retry: false, summary: 'The queue is not declared in the policy bundle (MQRC_UNKNOWN_OBJECT_NAME).' },
  ERR_GATEWAY_BAD_HEADER: { status: 400, retry: false, summary: 'A request header has an invalid value (details.header names it).' },
  ERR_GATEWAY_BAD_QUERY: { status: 400, retry: false, summary: 'A query parameter is unknown, repeated or invalid (details.parameter names it).' },
  ERR_GATEWAY_UNSUPPORTED: { status: 400, retry: false, summary: 'The request uses a feature of the IBM MQ REST API that qshield does not support (details.feature).' },
  ERR_GATEWAY_CSRF_TOKEN_MISSING: { status: 403, retry: false, summary: 'A POST or DELETE came without the ibm-mq-rest-csrf-token header.' },
  ERR_GATEWAY_MEDIA_TYPE: { status: 415, retry: false, summary: 'The Content-Type of a put is not one the API takes, or its charset is not UTF-8.' },
  ERR_GATEWAY_MESSAGE_TOO_BIG: { status: 413, mqrc: 2030, retry: false, summary: 'The body is longer than the queue\'s maximum message length (MQRC_MSG_TOO_BIG_FOR_Q).' },
  ERR_GATEWAY_MESSAGE_TOO_BIG_FOR_CHANNEL: { status: 413, mqrc: 2218, retry: false, summary: 'The body is longer than the channel\'s or the gateway\'s maximum message length (MQRC_MSG_TOO_BIG_FOR_CHANNEL).' },
  ERR_GATEWAY_HEADERS_TOO_LARGE: { status: 431, retry: false, summary: 'The request headers exceed the gateway\'s limit.' },
  ERR_GATEWAY_BAD_REQUEST: { status: 400, retry: false, summary: 'The HTTP request could not be parsed.' },
  ERR_GATEWAY_BODY_INCOMPLETE: { status: 400, retry: false, summary: 'The client stopped sending before the body was complete; nothing was stored.' },
  ERR_GATEWAY_REQUEST_TIMEOUT: { status: 408, retry: true, summary: 'The request (headers or body) did not arrive within the gateway\'s time limit.' },
  ERR_GATEWAY_RATE_LIMITED: { status: 429, retry: true, summary: 'The peer exceeded its channel\'s message rate (token bucket); Retry-After says when to try again.' },
  ERR_GATEWAY_LONG_POLL_LIMIT: { status: 429, retry: true, summary: 'The peer already has the most waiting gets the gateway allows at once.' },
  ERR_GATEWAY_DUPLICATE_MESSAGE_ID: { status: 409, retry: false, summary: 'A put reused a message id that the queue recently stored with a different body; a retry must repeat the same message.' },
  ERR_GATEWAY_NOT_AUTHORIZED: { status: 403, mqrc: 2035, retry: false, summary: 'The principal lacks the authority for the operation on the object (OAM; MQRC_NOT_AUTHORIZED).' },
  ERR_GATEWAY_CHANNEL_BLOCKED: { status: 403, mqrc: 2035, retry: false, summary: 'The channel rules refused the peer: a block rule, an address block or the back-stop (CHLAUTH; MQRC_NOT_AUTHORIZED).' },
  ERR_GATEWAY_UNKNOWN_CHANNEL: { status: 403, mqrc: 2540, retry: false, summary: 'The connection named no channel of the policy bundle and there is no default channel (MQRC_UNKNOWN_CHANNEL_NAME).' },
  ERR_GATEWAY_TLS_TOO_WEAK: { status: 403, mqrc: 2393, retry: false, summary: 'The connection\'s TLS version or key exchange is weaker than its channel demands (MQRC_SSL_INITIALIZATION_ERROR).' },
  ERR_GATEWAY_CHANNEL_TOO_WEAK: { status: 403, mqrc: 2063, retry: false, summary: 'Attribute mismatch: the connection is weaker than the protection policy\'s minimum channel strength for the queue or topic (MQRC_SECURITY_ERROR).' },
  ERR_GATEWAY_DRAINING: { status: 503, mqrc: 2161, retry: true, summary: 'The gateway is shutting down and takes no new work (MQRC_Q_MGR_QUIESCING).' },
  ERR_GATEWAY_IDENTITY_INVALID: { status: 500, retry: true, summary: 'The gateway\'s own SVID, key or trust bundle files are unreadable or invalid; details.problems lists why.' },
  ERR_GATEWAY_LISTEN_FAILED: { status: 500, retry: true, summary: 'The gateway could not listen on its address and port; details names them.' },
} as const satisfies Record<string, ErrorSpec>;
