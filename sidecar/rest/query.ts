// Query parameters of the messaging operations: `wait` (long-poll, milliseconds) on get and
// browse, `messageId` / `correlationId` selection, and `limit` on messagelist (a qshield
// extension). Unknown, repeated or malformed parameters are refused, never ignored.
import { AppError } from '../../lib/errors/index.ts';
import { parseId } from './message-ids.ts';
import type { ApiVersion } from './route.ts';

export interface MessageQuery {
  /** Milliseconds to wait for a message; 0 when absent. */
  readonly waitMs: number;
  readonly messageId?: string;
  readonly correlationId?: string;
  /** messagelist only. */
  readonly limit?: number;
  /** lease only: how long the leased message stays invisible, in milliseconds. */
  readonly visibilityMs?: number;
}

export interface QueryLimits {
  /** Longest `wait` accepted, in milliseconds. */
  readonly maxWaitMs: number;
  /** Largest messagelist `limit`. */
  readonly maxListLimit: number;
  /** Longest lease `visibility`, in milliseconds (leases only). */
  readonly maxVisibilityMs?: number;
}

type Operation = 'get' | 'browse' | 'messagelist' | 'put' | 'publish' | 'protection' | 'connection' | 'lease' | 'settle' | 'subscription' | 'quarantine';

const ALLOWED: Readonly<Record<Operation, readonly string[]>> = {
  get: ['wait', 'messageId', 'correlationId'],
  browse: ['wait', 'messageId', 'correlationId'],
  messagelist: ['messageId', 'correlationId', 'limit'],
  put: [],
  publish: [],
  protection: [],
  connection: [],
  lease: ['wait', 'messageId', 'correlationId', 'visibility'],
  settle: [],
  subscription: [],
  quarantine: [],
};

const MAX_QUERY_LENGTH = 1024;

function bad(parameter: string, message: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('ERR_GATEWAY_BAD_QUERY', `query parameter ${parameter.slice(0, 64)} ${message}`, { details: { parameter: parameter.slice(0, 64), ...extra } });
}

function wholeNumber(parameter: string, raw: string, max: number): number {
  if (!/^\d{1,10}$/.test(raw)) throw bad(parameter, 'must be a whole number', { value: raw.slice(0, 32) });
  const n = Number(raw);
  if (n > max) throw bad(parameter, `must be at most ${max}`, { value: n, max });
  return n;
}

/**
 * Parses and checks the query of one operation.
 * @throws AppError ERR_GATEWAY_BAD_QUERY (`details.parameter`), ERR_GATEWAY_UNSUPPORTED (v3 string ids).
 */
export function parseMessageQuery(operation: Operation, query: string, version: ApiVersion, limits: QueryLimits): MessageQuery {
  if (query.length === 0) return { waitMs: 0 };
  if (query.length > MAX_QUERY_LENGTH) throw bad('(query)', `is longer than ${MAX_QUERY_LENGTH} characters`);
  const allowed = ALLOWED[operation];
  const seen = new Set<string>();
  let waitMs = 0;
  let messageId: string | undefined;
  let correlationId: string | undefined;
  let limit: number | undefined;
  let visibilityMs: number | undefined;
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent((eq === -1 ? part : part.slice(0, eq)).replaceAll('+', ' '));
      value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      throw bad('(query)', 'is not valid percent-encoded UTF-8');
    }
    if (!allowed.includes(name)) {
      throw bad(name, allowed.length === 0 ? 'is not known: this operation takes no query parameters' : `is not known here (known: ${allowed.join(', ')})`);
    }
    if (seen.has(name)) throw bad(name, 'is repeated');
    seen.add(name);
    if (name === 'wait') waitMs = wholeNumber(name, value, limits.maxWaitMs);
    else if (name === 'limit') {
      limit = wholeNumber(name, value, limits.maxListLimit);
      if (limit === 0) throw bad(name, 'must be at least 1');
    } else if (name === 'visibility') {
      visibilityMs = wholeNumber(name, value, limits.maxVisibilityMs ?? 1_800_000);
      if (visibilityMs < 1000) throw bad(name, 'must be at least 1000 (milliseconds)');
    } else if (name === 'messageId') messageId = parseId(value, 'messageId', version, { parameter: name });
    else if (name === 'correlationId') correlationId = parseId(value, 'correlationId', version, { parameter: name });
  }
  return {
    waitMs,
    ...(messageId === undefined ? {} : { messageId }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(limit === undefined ? {} : { limit }),
    ...(visibilityMs === undefined ? {} : { visibilityMs }),
  };
}
