// Errors of observability: the security-event HTTP sink and the admin server. The sink never
// surfaces these to request handlers (delivery is asynchronous); they appear in its log lines.
import type { ErrorSpec } from './spec.ts';

export const OBSERVABILITY_CODES = {
  ERR_EVENT_SINK_REJECTED: { status: 502, retry: false, summary: 'The security-event sink refused a batch with a 4xx status other than 429; the batch was dropped and counted.' },
  ERR_EVENT_SINK_UNAVAILABLE: { status: 503, retry: true, summary: 'The security-event sink answered 429 or 5xx or could not be reached; the batch is retried with backoff.' },
  ERR_EVENT_SINK_TOKEN_INVALID: { status: 500, retry: true, summary: 'The bearer token file of the security-event sink is empty or holds characters a header cannot carry.' },
  ERR_ADMIN_LISTEN_FAILED: { status: 500, retry: true, summary: 'The admin server could not listen on its address and port.' },
} as const satisfies Record<string, ErrorSpec>;
