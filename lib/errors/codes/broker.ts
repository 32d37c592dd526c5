// Errors of the broker drivers (sidecar/drivers): queue and topic look-ups, message descriptor
// checks, broker availability and delivery settlement. MQ reason codes follow MQRC_* names.
import type { ErrorSpec } from './spec.ts';

export const BROKER_CODES = {
  ERR_BROKER_UNKNOWN_QUEUE: { status: 404, mqrc: 2085, retry: false, summary: 'The queue is not configured, or it is missing on the broker (MQRC_UNKNOWN_OBJECT_NAME).' },
  ERR_BROKER_UNAVAILABLE: { status: 503, mqrc: 2059, retry: true, summary: 'The broker is not connected; the driver is reconnecting (MQRC_Q_MGR_NOT_AVAILABLE).' },
  ERR_BROKER_CONNECTION_BROKEN: { status: 503, mqrc: 2009, retry: true, summary: 'The broker connection broke during the operation; a put may or may not have been stored (MQRC_CONNECTION_BROKEN).' },
  ERR_BROKER_TIMEOUT: { status: 504, retry: true, summary: 'The broker did not answer within the operation timeout; a put may or may not have been stored.' },
  ERR_BROKER_CLOSED: { status: 503, mqrc: 2162, retry: false, summary: 'The driver was closed (MQRC_Q_MGR_STOPPING).' },
  ERR_BROKER_MESSAGE_TOO_BIG: { status: 413, mqrc: 2030, retry: false, summary: 'The message is longer than the maximum message length of the queue (MQRC_MSG_TOO_BIG_FOR_Q).' },
  ERR_BROKER_QUEUE_FULL: { status: 503, mqrc: 2053, retry: true, summary: 'The queue holds its maximum depth of messages; the broker refused the put (MQRC_Q_FULL).' },
  ERR_BROKER_QUEUE_LOST: { status: 500, retry: false, summary: 'A configured queue was missing on the broker after a reconnect (the broker lost it, or it was deleted meanwhile); it was declared again, empty.' },
  ERR_BROKER_QUEUE_MISMATCH: { status: 500, retry: false, summary: 'The broker already holds the queue with other attributes (depth limit, priority levels); it is unusable until reconciled.' },
  ERR_BROKER_BAD_QUEUE_NAME: { status: 400, mqrc: 2152, retry: false, summary: 'The queue name breaks the MQ object name rules (MQRC_OBJECT_NAME_ERROR).' },
  ERR_BROKER_BAD_TOPIC: { status: 400, mqrc: 2425, retry: false, summary: 'The topic string is empty, too long once mapped, or holds a wildcard where none is allowed (MQRC_TOPIC_STRING_ERROR).' },
  ERR_BROKER_BAD_MESSAGE_ID: { status: 400, mqrc: 2206, retry: false, summary: 'A message id is not 24 bytes written as 48 hex digits (MQRC_MSG_ID_ERROR).' },
  ERR_BROKER_BAD_CORREL_ID: { status: 400, mqrc: 2207, retry: false, summary: 'A correlation id is not 24 bytes written as 48 hex digits (MQRC_CORREL_ID_ERROR).' },
  ERR_BROKER_BAD_PRIORITY: { status: 400, mqrc: 2050, retry: false, summary: 'The priority is not an integer from 0 to 9 (MQRC_PRIORITY_ERROR).' },
  ERR_BROKER_BAD_EXPIRY: { status: 400, mqrc: 2013, retry: false, summary: 'The expiry is not a positive whole number of milliseconds (MQRC_EXPIRY_ERROR).' },
  ERR_BROKER_BAD_PERSISTENCE: { status: 400, mqrc: 2047, retry: false, summary: 'The persistence is neither persistent nor nonPersistent (MQRC_PERSISTENCE_ERROR).' },
  ERR_BROKER_BAD_PROPERTY: { status: 400, mqrc: 2442, retry: false, summary: 'A message property has an invalid name or value, or there are too many (MQRC_PROPERTY_NAME_ERROR).' },
  ERR_BROKER_BAD_MESSAGE: { status: 400, mqrc: 2026, retry: false, summary: 'The message descriptor is invalid: body, reply-to or content type (MQRC_MD_ERROR).' },
  ERR_BROKER_DELIVERY_LOST: { status: 503, mqrc: 2003, retry: true, summary: 'The channel holding the delivery was lost before the ack; the broker put the message back and will deliver it again (MQRC_BACKED_OUT).' },
  ERR_BROKER_TOO_MANY_HELD: { status: 503, mqrc: 2024, retry: true, summary: 'The driver holds its maximum of unsettled deliveries; settle some first (MQRC_SYNCPOINT_LIMIT_REACHED).' },
  ERR_BROKER_DELIVERY_SETTLED: { status: 500, retry: false, summary: 'The delivery was already settled the other way (acked, then released, or the reverse).' },
} as const satisfies Record<string, ErrorSpec>;
