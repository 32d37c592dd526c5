// Parses the request line of the MQ REST API (v2 and v3 messaging paths) and of the qshield
// extensions (/qshield/v1/…) into a route: which operation on which queue manager and object.
// Pure; every malformed or unknown path is a specific AppError.
import { AppError } from '../../lib/errors/index.ts';
import { isValidObjectName, topicStringProblem } from '../../lib/policy/index.ts';

export type ApiVersion = 'v2' | 'v3';

/** The MQ REST messaging operations, named as the metrics name them. */
export type MessagingOperation = 'put' | 'get' | 'browse' | 'messagelist' | 'publish';

export type Route =
  | { readonly kind: 'queue'; readonly version: ApiVersion; readonly operation: 'put' | 'get' | 'browse' | 'messagelist'; readonly qmgr: string; readonly queue: string; readonly query: string }
  | { readonly kind: 'topic'; readonly version: ApiVersion; readonly operation: 'publish'; readonly qmgr: string; readonly topic: string; readonly query: string }
  /** qshield extension: the protection policy of a queue or topic string (for workload sidecars). */
  | { readonly kind: 'protection'; readonly qmgr: string; readonly target: { readonly queue: string } | { readonly topic: string }; readonly query: string }
  /** qshield extension: what the gateway knows of this connection (peer, principal, channel, TLS). */
  | { readonly kind: 'connection'; readonly query: string }
  /** qshield extension: a get held under a lease until acked (docs/delivery.md). */
  | { readonly kind: 'lease'; readonly qmgr: string; readonly queue: string; readonly query: string }
  /** qshield extension: ack (DELETE) or release (POST …/release) a lease. */
  | { readonly kind: 'lease-settle'; readonly qmgr: string; readonly leaseId: string; readonly action: 'ack' | 'release'; readonly query: string }
  /** qshield extension: a subscription as a stream of publications (NDJSON). */
  | { readonly kind: 'subscription'; readonly qmgr: string; readonly topic: string; readonly query: string }
  /** qshield extension: a workload sidecar moves a message that failed to open to the error queue. */
  | { readonly kind: 'quarantine'; readonly qmgr: string; readonly query: string };

/** Longest request target the router looks at; longer ones are refused before any decoding. */
export const MAX_URL_LENGTH = 16 * 1024;

const MESSAGING_PREFIX = '/ibmmq/rest/';
const QSHIELD_PREFIX = '/qshield/v1/';

function notFound(path: string): AppError {
  return new AppError('ERR_GATEWAY_NOT_FOUND', 'no such resource', { details: { path: path.slice(0, 256) } });
}

function methodNotAllowed(method: string, allow: readonly string[]): AppError {
  return new AppError('ERR_GATEWAY_METHOD_NOT_ALLOWED', `${method.slice(0, 16)} is not allowed here; allowed: ${allow.join(', ')}`, { details: { allow } });
}

function badPath(message: string, segment?: string): AppError {
  return new AppError('ERR_GATEWAY_BAD_PATH', message, { details: segment === undefined ? {} : { segment: segment.slice(0, 128) } });
}

function decodeSegment(raw: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw badPath('a path segment is not valid percent-encoded UTF-8', raw);
  }
  // Control characters have no business in object names or topic strings.
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw badPath('a path segment holds a control character', raw);
  }
  return value;
}

function queueName(raw: string): string {
  const name = decodeSegment(raw);
  if (!isValidObjectName(name)) throw badPath('the queue name must be 1–48 characters from A-Z a-z 0-9 . _ / %', raw);
  return name;
}

function qmgrName(raw: string): string {
  const name = decodeSegment(raw);
  if (!isValidObjectName(name)) throw badPath('the queue manager name must be 1–48 characters from A-Z a-z 0-9 . _ / %', raw);
  return name;
}

/** Topic strings may arrive as several path segments (levels) or with `/` written `%2F`. */
function topicString(rawLevels: readonly string[]): string {
  if (rawLevels.length === 0) throw badPath('the topic string is missing');
  const topic = rawLevels.map(decodeSegment).join('/');
  const problem = topicStringProblem(topic);
  if (problem !== undefined) throw badPath(`the topic string ${problem}`);
  if (!topic.isWellFormed()) throw badPath('the topic string is not well-formed Unicode');
  return topic;
}

/** A subscription's topic string: `#` and `+` levels are wildcards (MQ's topic-based scheme). */
function topicFilter(rawLevels: readonly string[]): string {
  if (rawLevels.length === 0) throw badPath('the topic string is missing');
  const topic = rawLevels.map(decodeSegment).join('/');
  const plain = topic.split('/').map((level) => (level === '#' || level === '+' ? 'x' : level)).join('/');
  const problem = topicStringProblem(plain);
  if (problem !== undefined) throw badPath(`the topic string ${problem}`);
  if (!topic.isWellFormed()) throw badPath('the topic string is not well-formed Unicode');
  return topic;
}

function allow(method: string, allowed: readonly string[]): void {
  if (!allowed.includes(method)) throw methodNotAllowed(method, allowed);
}

/**
 * Parses a request's method and target.
 * @throws AppError ERR_GATEWAY_NOT_FOUND (no such resource), ERR_GATEWAY_METHOD_NOT_ALLOWED
 *   (`details.allow` lists the methods), ERR_GATEWAY_BAD_PATH (encoding, names).
 */
export function parseRoute(method: string, url: string): Route {
  if (url.length > MAX_URL_LENGTH) throw badPath(`the request target is longer than ${MAX_URL_LENGTH} characters`);
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  if (path.startsWith(MESSAGING_PREFIX)) return messagingRoute(method, path, query);
  if (path.startsWith(QSHIELD_PREFIX)) return qshieldRoute(method, path, query);
  throw notFound(path);
}

// /ibmmq/rest/{v2|v3}/messaging/qmgr/{qm}/queue/{q}/message|messagelist
// /ibmmq/rest/{v2|v3}/messaging/qmgr/{qm}/topic/{topic…}/message
function messagingRoute(method: string, path: string, query: string): Route {
  const s = path.slice(MESSAGING_PREFIX.length).split('/');
  const version = s[0];
  if ((version !== 'v2' && version !== 'v3') || s[1] !== 'messaging' || s[2] !== 'qmgr' || s.length < 7) throw notFound(path);
  const qmgr = qmgrName(s[3] as string);
  const kind = s[4];
  if (kind === 'queue' && s.length === 7) {
    const last = s[6];
    if (last === 'message') {
      allow(method, ['POST', 'DELETE', 'GET']);
      const operation = method === 'POST' ? 'put' : method === 'DELETE' ? 'get' : 'browse';
      return { kind: 'queue', version, operation, qmgr, queue: queueName(s[5] as string), query };
    }
    if (last === 'messagelist') {
      allow(method, ['GET']);
      return { kind: 'queue', version, operation: 'messagelist', qmgr, queue: queueName(s[5] as string), query };
    }
    throw notFound(path);
  }
  if (kind === 'topic' && s[s.length - 1] === 'message') {
    allow(method, ['POST']);
    return { kind: 'topic', version, operation: 'publish', qmgr, topic: topicString(s.slice(5, -1)), query };
  }
  throw notFound(path);
}

const LEASE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `raw` has the form of a lease id (1–64 characters from A-Z a-z 0-9 _ -). */
export function isLeaseId(raw: string): boolean {
  return LEASE_ID.test(raw);
}

function leaseId(raw: string): string {
  if (!isLeaseId(raw)) throw badPath('a lease id is 1–64 characters from A-Z a-z 0-9 _ -', raw);
  return raw;
}

// /qshield/v1/connection
// /qshield/v1/qmgr/{qm}/queue/{q}/protection              GET
// /qshield/v1/qmgr/{qm}/topic/{topic…}/protection         GET
// /qshield/v1/qmgr/{qm}/queue/{q}/lease                   POST
// /qshield/v1/qmgr/{qm}/lease/{id}                        DELETE (ack)
// /qshield/v1/qmgr/{qm}/lease/{id}/release                POST
// /qshield/v1/qmgr/{qm}/topic/{topic…}/subscription       GET
// /qshield/v1/qmgr/{qm}/quarantine                        POST
function qshieldRoute(method: string, path: string, query: string): Route {
  const s = path.slice(QSHIELD_PREFIX.length).split('/');
  if (s.length === 1 && s[0] === 'connection') {
    allow(method, ['GET']);
    return { kind: 'connection', query };
  }
  if (s[0] !== 'qmgr' || s.length < 3) throw notFound(path);
  const last = s[s.length - 1];
  if (s.length === 3 && s[2] === 'quarantine') {
    allow(method, ['POST']);
    return { kind: 'quarantine', qmgr: qmgrName(s[1] as string), query };
  }
  if (s[2] === 'lease' && (s.length === 4 || (s.length === 5 && last === 'release'))) {
    const qmgr = qmgrName(s[1] as string);
    if (s.length === 4) {
      allow(method, ['DELETE']);
      return { kind: 'lease-settle', qmgr, leaseId: leaseId(s[3] as string), action: 'ack', query };
    }
    allow(method, ['POST']);
    return { kind: 'lease-settle', qmgr, leaseId: leaseId(s[3] as string), action: 'release', query };
  }
  if (s.length < 5) throw notFound(path);
  const qmgr = qmgrName(s[1] as string);
  if (s[2] === 'queue' && s.length === 5 && last === 'protection') {
    allow(method, ['GET']);
    return { kind: 'protection', qmgr, target: { queue: queueName(s[3] as string) }, query };
  }
  if (s[2] === 'queue' && s.length === 5 && last === 'lease') {
    allow(method, ['POST']);
    return { kind: 'lease', qmgr, queue: queueName(s[3] as string), query };
  }
  if (s[2] === 'topic' && last === 'protection') {
    allow(method, ['GET']);
    return { kind: 'protection', qmgr, target: { topic: topicString(s.slice(3, -1)) }, query };
  }
  if (s[2] === 'topic' && last === 'subscription') {
    allow(method, ['GET']);
    return { kind: 'subscription', qmgr, topic: topicFilter(s.slice(3, -1)), query };
  }
  throw notFound(path);
}
