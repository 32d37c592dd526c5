// Errors of the workload sidecar (sidecar/workload) and of the gateway extensions it relies on:
// leases and the protection error queue. sidecar/respond.ts turns each into the app's reply.
import type { ErrorSpec } from './spec.ts';

export const WORKLOAD_CODES = {
  ERR_WORKLOAD_GATEWAY_UNAVAILABLE: { status: 503, mqrc: 2059, retry: true, summary: 'The gateway cannot be reached or closed the connection before answering (MQRC_Q_MGR_NOT_AVAILABLE); a put is resent with its own message id and stored once.' },
  ERR_WORKLOAD_GATEWAY_TIMEOUT: { status: 504, retry: true, summary: 'The gateway did not answer within the request timeout; a put may or may not have been stored.' },
  ERR_WORKLOAD_GATEWAY_ERROR: { status: 502, retry: true, summary: 'The gateway answered with an error the sidecar does not know (details.gatewayStatus).' },
  ERR_WORKLOAD_GATEWAY_IDENTITY: { status: 502, mqrc: 2393, retry: false, summary: 'The server at the gateway address did not present the configured gateway SPIFFE id (MQRC_SSL_INITIALIZATION_ERROR).' },
  ERR_WORKLOAD_IDENTITY_INVALID: { status: 500, retry: true, summary: 'The workload\'s own SVID, key or trust bundle files are unreadable or invalid; details.kind says why.' },
  ERR_WORKLOAD_KEYRING_INVALID: { status: 500, retry: true, summary: 'The message keyring directory holds no usable generation, or a generation is broken (details.generation).' },
  ERR_WORKLOAD_SIGNATURE_UNSUPPORTED: { status: 500, mqrc: 2063, retry: false, summary: 'The policy\'s signature algorithm cannot be made with the workload\'s message key (SHA512 needs an RSA key).' },
  ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE: { status: 500, mqrc: 2063, retry: true, summary: 'A recipient of the policy has no valid message certificate published at the gateway; nothing was put (details.recipient).' },
  ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID: { status: 502, mqrc: 2063, retry: true, summary: 'A recipient certificate the gateway handed over is not a valid message certificate of the trust domain, or is not for a recipient of the policy.' },
  ERR_WORKLOAD_ERROR_QUEUE_FAILED: { status: 503, mqrc: 2063, retry: true, summary: 'A message that failed to open could not be moved to the error queue; it stays where it was and is not handed to the app.' },
  ERR_WORKLOAD_LISTEN_FAILED: { status: 500, retry: true, summary: 'The sidecar could not listen on its address or socket; details names it.' },
  ERR_WORKLOAD_DRAINING: { status: 503, mqrc: 2161, retry: true, summary: 'The sidecar is shutting down and takes no new work (MQRC_Q_MGR_QUIESCING).' },
  ERR_LEASE_NOT_FOUND: { status: 404, retry: false, summary: 'No lease with this id is held by this peer (acked, released, or never given to it).' },
  ERR_LEASE_EXPIRED: { status: 409, retry: false, summary: 'The lease\'s visibility timeout passed: its message went back to the queue and may be delivered again.' },
  ERR_LEASE_LIMIT: { status: 429, retry: true, summary: 'The peer holds as many leases as the gateway allows; ack or release some first.' },
  ERR_ERROR_QUEUE_MESSAGE_INVALID: { status: 400, retry: false, summary: 'A message for the protection error queue is not in the error-queue format (QDLH prefix, JSON header with the required fields).' },
} as const satisfies Record<string, ErrorSpec>;
