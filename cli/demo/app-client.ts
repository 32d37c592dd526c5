// The application's side of the demo: MQ REST calls to a workload sidecar on localhost, plain
// HTTP with the CSRF header IBM's API wants on POST and DELETE — what the printed curl commands do.
import { DEMO_QMGR } from './demo-layout.ts';

export const CSRF_HEADER = 'ibm-mq-rest-csrf-token';
/** Longest a single call may take; a get's own wait comes on top. */
const CALL_TIMEOUT_MS = 30_000;

export interface AppReply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  readonly text: string;
}

export function messagePath(queue: string): string {
  return `/ibmmq/rest/v3/messaging/qmgr/${DEMO_QMGR}/queue/${encodeURIComponent(queue)}/message`;
}

async function call(base: string, method: 'POST' | 'DELETE' | 'GET', path: string, options: { body?: string; headers?: Record<string, string>; waitMs?: number } = {}): Promise<AppReply> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { ...(method === 'GET' ? {} : { [CSRF_HEADER]: 'demo' }), ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS + (options.waitMs ?? 0)),
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}

/** The message id of a put or get reply, as 48 hex digits (IBM writes `ID:` in front). */
export function messageIdOf(reply: AppReply): string | undefined {
  return /^ID:([0-9a-f]{48})$/i.exec(reply.headers.get('ibm-mq-md-messageid') ?? '')?.[1]?.toLowerCase();
}

/** The MQ reason code of an error reply (IBM's `{"error":[{reasonCode}]}`). */
export function reasonCodeOf(reply: AppReply): number | undefined {
  try {
    const code = (JSON.parse(reply.text) as { error?: { reasonCode?: unknown }[] }).error?.[0]?.reasonCode;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** `403 MQRC 2035 (ERR_GATEWAY_NOT_AUTHORIZED)`: the status, reason code and qshield code of a reply. */
export function replySummary(reply: AppReply): string {
  const code = reply.headers.get('qshield-error-code');
  const reason = reasonCodeOf(reply);
  return `${reply.status}${reason === undefined ? '' : ` MQRC ${reason}`}${code === null ? '' : ` (${code})`}`;
}

export function putMessage(sidecar: string, queue: string, text: string): Promise<AppReply> {
  return call(sidecar, 'POST', messagePath(queue), { body: text, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/** Destructive get, waiting up to `waitMs` for a message: 200 with it, or 204. */
export function getMessage(sidecar: string, queue: string, waitMs: number): Promise<AppReply> {
  return call(sidecar, 'DELETE', `${messagePath(queue)}?wait=${waitMs}`, { waitMs });
}
