// The workload sidecar's runtime configuration and the one converter from the file shape
// (config-file.ts): durations become milliseconds, paths become absolute (relative to the file),
// cross-field rules are checked, and every problem is reported in one ERR_CONFIG_INVALID.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { deepFreeze, parseDuration } from '../../lib/config/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import { compileSpiffePattern } from '../../lib/identity/index.ts';
import { formatJsonPath } from '../../lib/policy/index.ts';
import { findDuplicateKeys } from '../../lib/policy/json-duplicate-keys.ts';
import { SidecarConfigFileSchema, type SidecarConfigFile } from './config-file.ts';

export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Where the app-facing API listens: loopback TCP or a Unix socket. */
export type ListenAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly socketPath: string };

/** The workload sidecar's configuration at run time. Paths are absolute; times are milliseconds. */
export interface SidecarConfig {
  readonly listen: ListenAddress;
  readonly gateway: {
    readonly url: string;
    readonly spiffeId: string;
    readonly channel: string | undefined;
    readonly connections: number;
    readonly pipelining: number;
    readonly longPollConnections: number;
    readonly connectTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
    readonly putRetries: number;
  };
  readonly identity: { readonly certificateFile: string; readonly keyFile: string; readonly trustBundleFile: string };
  readonly messageKeyring: { readonly dir: string; readonly keyCacheSize: number | undefined };
  readonly delivery: { readonly getVisibilityMs: number; readonly defaultLeaseVisibilityMs: number; readonly maxLeaseVisibilityMs: number };
  readonly policyRefreshIntervalMs: number;
  readonly reloadIntervalMs: number;
  readonly admin: { readonly host: string; readonly port: number };
  readonly securityEvents: {
    readonly sink: { readonly url: string; readonly format: 'ecs' | 'ndjson'; readonly tokenFile?: string; readonly authScheme?: string; readonly caFile?: string } | undefined;
    readonly nodeName: string | undefined;
  };
  readonly limits: { readonly maxBodyBytes: number; readonly maxWaitMs: number; readonly maxHeaderBytes: number };
  readonly drainTimeoutMs: number;
  readonly logLevel: LogLevel;
}

/** The gateway's longest lease (and RabbitMQ's delivery timeout is 30 minutes). */
export const MAX_VISIBILITY_MS = 30 * 60_000;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? `must have at least ${issue.minimum} characters` : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string' ? `must have at most ${issue.maximum} characters` : `must be at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

function invalid(problems: readonly ConfigProblem[], source: string): AppError {
  const head = problems.slice(0, 3).map((p) => `${p.path} ${p.message}`).join('; ');
  const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
  return new AppError('ERR_CONFIG_INVALID', `sidecar configuration ${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${head}${more}`, {
    details: { problems, source },
  });
}

/**
 * Converts a parsed configuration file into the runtime configuration.
 * @param baseDir the directory relative paths are resolved against (the file's own).
 * @throws AppError ERR_CONFIG_INVALID with every problem in `details.problems` ({ path, message }).
 */
export function sidecarConfigFromFile(raw: unknown, baseDir: string, source = 'file'): SidecarConfig {
  const parsed = SidecarConfigFileSchema.safeParse(raw, { error: issueMessage });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue): ConfigProblem[] => issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatJsonPath([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: formatJsonPath(issue.path), message: issue.message }]);
    throw invalid(problems, source);
  }
  return convert(parsed.data, baseDir, source);
}

function convert(file: SidecarConfigFile, baseDir: string, source: string): SidecarConfig {
  const problems: ConfigProblem[] = [];
  const ms = (value: string, at: (string | number)[], min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    try {
      const n = parseDuration(value);
      if (n < min) problems.push({ path: formatJsonPath(at), message: `must be at least ${min} ms` });
      if (n > max) problems.push({ path: formatJsonPath(at), message: `must be at most ${max} ms` });
      return n;
    } catch (err) {
      problems.push({ path: formatJsonPath(at), message: err instanceof Error ? err.message : 'is not a duration' });
      return 0;
    }
  };
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));

  let listen: ListenAddress;
  const l = file.listen;
  if (l.socketPath !== undefined) {
    if (l.host !== undefined || l.port !== undefined) problems.push({ path: '$.listen', message: 'takes either socketPath or host and port, not both' });
    listen = { kind: 'unix', socketPath: abs(l.socketPath) };
  } else {
    const h = l.host ?? '127.0.0.1';
    // The app-facing API is plain HTTP: it must never be reachable from outside the pod.
    if (!LOOPBACK.has(h)) problems.push({ path: '$.listen.host', message: 'must be a loopback address (127.0.0.1 or ::1): the app-facing API is plain HTTP' });
    listen = { kind: 'tcp', host: h === 'localhost' ? '127.0.0.1' : h, port: l.port ?? 8080 };
  }

  const g = file.gateway;
  try {
    const u = new URL(g.url);
    if (u.protocol !== 'https:') problems.push({ path: '$.gateway.url', message: 'must be an https:// URL' });
    if (u.username !== '' || u.password !== '') problems.push({ path: '$.gateway.url', message: 'must not carry credentials' });
    if (u.pathname !== '/' || u.search !== '' || u.hash !== '') problems.push({ path: '$.gateway.url', message: 'must be an origin (no path, query or fragment)' });
  } catch {
    problems.push({ path: '$.gateway.url', message: 'is not a URL' });
  }
  try {
    compileSpiffePattern(g.spiffeId);
  } catch (err) {
    problems.push({ path: '$.gateway.spiffeId', message: `is not a SPIFFE id or pattern: ${err instanceof Error ? err.message : String(err)}` });
  }
  const sink = file.securityEvents.sink;
  if (sink !== undefined) {
    try {
      const u = new URL(sink.url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') problems.push({ path: '$.securityEvents.sink.url', message: 'must be an https:// URL' });
      if (u.username !== '' || u.password !== '') problems.push({ path: '$.securityEvents.sink.url', message: 'must not carry credentials: give tokenFile' });
    } catch {
      problems.push({ path: '$.securityEvents.sink.url', message: 'is not a URL' });
    }
  }
  const d = file.delivery;
  const config: SidecarConfig = {
    listen,
    gateway: {
      url: g.url.replace(/\/$/, ''),
      spiffeId: g.spiffeId,
      channel: g.channel,
      connections: g.connections,
      pipelining: g.pipelining,
      longPollConnections: g.longPollConnections,
      connectTimeoutMs: ms(g.connectTimeout, ['gateway', 'connectTimeout'], 100),
      requestTimeoutMs: ms(g.requestTimeout, ['gateway', 'requestTimeout'], 100),
      keepAliveTimeoutMs: ms(g.keepAliveTimeout, ['gateway', 'keepAliveTimeout'], 100),
      putRetries: g.putRetries,
    },
    identity: { certificateFile: abs(file.identity.certificateFile), keyFile: abs(file.identity.keyFile), trustBundleFile: abs(file.identity.trustBundleFile) },
    messageKeyring: { dir: abs(file.messageKeyring.dir), keyCacheSize: file.messageKeyring.keyCacheSize },
    delivery: {
      getVisibilityMs: ms(d.getVisibilityTimeout, ['delivery', 'getVisibilityTimeout'], 1000, MAX_VISIBILITY_MS),
      defaultLeaseVisibilityMs: ms(d.defaultLeaseVisibility, ['delivery', 'defaultLeaseVisibility'], 1000, MAX_VISIBILITY_MS),
      maxLeaseVisibilityMs: ms(d.maxLeaseVisibility, ['delivery', 'maxLeaseVisibility'], 1000, MAX_VISIBILITY_MS),
    },
    policyRefreshIntervalMs: ms(file.policyRefreshInterval, ['policyRefreshInterval'], 100),
    reloadIntervalMs: ms(file.reloadInterval, ['reloadInterval'], 10),
    admin: { host: file.admin.host, port: file.admin.port },
    securityEvents: {
      sink: sink === undefined ? undefined : {
        url: sink.url,
        format: sink.format,
        ...(sink.tokenFile === undefined ? {} : { tokenFile: abs(sink.tokenFile) }),
        ...(sink.authScheme === undefined ? {} : { authScheme: sink.authScheme }),
        ...(sink.caFile === undefined ? {} : { caFile: abs(sink.caFile) }),
      },
      nodeName: file.securityEvents.nodeName,
    },
    limits: { maxBodyBytes: file.limits.maxBodyBytes, maxWaitMs: ms(file.limits.maxWait, ['limits', 'maxWait'], 0, 3_600_000), maxHeaderBytes: file.limits.maxHeaderBytes },
    drainTimeoutMs: ms(file.drainTimeout, ['drainTimeout']),
    logLevel: file.log.level,
  };
  if (config.delivery.defaultLeaseVisibilityMs > config.delivery.maxLeaseVisibilityMs) {
    problems.push({ path: '$.delivery.defaultLeaseVisibility', message: 'must not be longer than maxLeaseVisibility' });
  }
  if (problems.length > 0) throw invalid(problems, source);
  return deepFreeze(config);
}

/**
 * Reads and converts a configuration file (JSON).
 * @throws AppError ERR_FILE_IO (unreadable), ERR_CONFIG_INVALID (not JSON, repeated keys, or any
 *   problem of sidecarConfigFromFile).
 */
export function loadSidecarConfig(file: string): SidecarConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read sidecar configuration ${file}`, { cause: err, details: { path: file } });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid([{ path: '$', message: `is not valid JSON: ${err instanceof Error ? err.message : String(err)}` }], file);
  }
  const repeated = findDuplicateKeys(text);
  if (repeated.length > 0) {
    throw invalid(repeated.map((dup) => ({ path: formatJsonPath(dup.path), message: 'repeats a key of the same object' })), file);
  }
  return sidecarConfigFromFile(raw, dirname(resolve(file)), file);
}
