// The gateway's runtime configuration and the one converter from the file shape
// (config-file.ts): durations become milliseconds, paths become absolute (relative to the
// file), cross-field rules are checked, and every problem is reported in one ERR_CONFIG_INVALID.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { deepFreeze, parseDuration } from '../../lib/config/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import { formatJsonPath } from '../../lib/policy/index.ts';
import { findDuplicateKeys } from '../../lib/policy/json-duplicate-keys.ts';
import { GatewayConfigFileSchema, type GatewayConfigFile } from './config-file.ts';

export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The gateway's configuration at run time. Paths are absolute; times are milliseconds. */
export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly identity: { readonly certificateFile: string; readonly keyFile: string; readonly trustBundleFile: string };
  readonly policyBundleFile: string;
  readonly messageCertificatesDir: string | undefined;
  readonly leases: { readonly defaultVisibilityMs: number; readonly maxVisibilityMs: number; readonly maxPerPeer: number };
  readonly defaultChannel: string | undefined;
  readonly broker: {
    readonly driver: 'amqp' | 'memory';
    readonly url: string | undefined;
    readonly usernameFile: string | undefined;
    readonly passwordFile: string | undefined;
    readonly operationTimeoutMs: number | undefined;
    readonly getChannels: number | undefined;
    readonly readAhead: { readonly prefetch: number; readonly hotGetsPerSecond: number; readonly idleMs: number } | undefined;
  };
  readonly admin: { readonly host: string; readonly port: number };
  readonly securityEvents: {
    readonly sink: { readonly url: string; readonly format: 'ecs' | 'ndjson'; readonly tokenFile?: string; readonly authScheme?: string; readonly caFile?: string } | undefined;
    readonly nodeName: string | undefined;
  };
  readonly limits: {
    readonly maxHeaderBytes: number;
    readonly maxBodyBytes: number;
    readonly maxWaitMs: number;
    readonly maxLongPollsPerPeer: number;
    readonly maxConnections: number;
    readonly maxMessageListLength: number;
    readonly handshakeTimeoutMs: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly keepAliveTimeoutMs: number;
  };
  readonly idempotency: { readonly windowMs: number; readonly maxEntries: number };
  readonly reloadIntervalMs: number;
  readonly drainTimeoutMs: number;
  readonly logLevel: LogLevel;
}

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
  return new AppError('ERR_CONFIG_INVALID', `gateway configuration ${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${head}${more}`, {
    details: { problems, source },
  });
}

/**
 * Converts a parsed configuration file into the runtime configuration.
 * @param baseDir the directory relative paths are resolved against (the file's own).
 * @throws AppError ERR_CONFIG_INVALID with every problem in `details.problems` ({ path, message }).
 */
export function gatewayConfigFromFile(raw: unknown, baseDir: string, source = 'file'): GatewayConfig {
  const parsed = GatewayConfigFileSchema.safeParse(raw, { error: issueMessage });
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue): ConfigProblem[] => issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatJsonPath([...issue.path, key]), message: 'is not a known field' }))
      : [{ path: formatJsonPath(issue.path), message: issue.message }]);
    throw invalid(problems, source);
  }
  return convert(parsed.data, baseDir, source);
}

function convert(file: GatewayConfigFile, baseDir: string, source: string): GatewayConfig {
  const problems: ConfigProblem[] = [];
  const ms = (value: string, at: (string | number)[], min = 0): number => {
    try {
      const n = parseDuration(value);
      if (n < min) problems.push({ path: formatJsonPath(at), message: `must be at least ${min} ms` });
      return n;
    } catch (err) {
      problems.push({ path: formatJsonPath(at), message: err instanceof Error ? err.message : 'is not a duration' });
      return 0;
    }
  };
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const optAbs = (p: string | undefined): string | undefined => (p === undefined ? undefined : abs(p));

  const { broker } = file;
  if (broker.driver === 'amqp') {
    if (broker.url === undefined) problems.push({ path: '$.broker.url', message: 'is required for the amqp driver' });
    else {
      let url: URL | undefined;
      try {
        url = new URL(broker.url);
      } catch {
        problems.push({ path: '$.broker.url', message: 'is not a URL' });
      }
      if (url !== undefined) {
        if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') problems.push({ path: '$.broker.url', message: 'must be an amqp:// or amqps:// URL' });
        if (url.username !== '' || url.password !== '') problems.push({ path: '$.broker.url', message: 'must not carry credentials: give usernameFile and passwordFile' });
      }
    }
    if ((broker.usernameFile === undefined) !== (broker.passwordFile === undefined)) {
      problems.push({ path: '$.broker', message: 'usernameFile and passwordFile go together' });
    }
  } else {
    for (const field of ['url', 'usernameFile', 'passwordFile', 'operationTimeout', 'getChannels', 'readAhead'] as const) {
      if (broker[field] !== undefined) problems.push({ path: `$.broker.${field}`, message: 'applies to the amqp driver only' });
    }
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
  const { limits } = file;
  const maxWaitMs = ms(limits.maxWait, ['limits', 'maxWait']);
  if (maxWaitMs > 3_600_000) problems.push({ path: '$.limits.maxWait', message: 'must be at most 1h' });
  const config: GatewayConfig = {
    listen: { host: file.listen.host, port: file.listen.port },
    identity: { certificateFile: abs(file.identity.certificateFile), keyFile: abs(file.identity.keyFile), trustBundleFile: abs(file.identity.trustBundleFile) },
    policyBundleFile: abs(file.policyBundleFile),
    messageCertificatesDir: optAbs(file.messageCertificatesDir),
    leases: {
      defaultVisibilityMs: ms(file.leases.defaultVisibility, ['leases', 'defaultVisibility'], 1000),
      maxVisibilityMs: ms(file.leases.maxVisibility, ['leases', 'maxVisibility'], 1000),
      maxPerPeer: file.leases.maxPerPeer,
    },
    defaultChannel: file.defaultChannel,
    broker: {
      driver: broker.driver,
      url: broker.url,
      usernameFile: optAbs(broker.usernameFile),
      passwordFile: optAbs(broker.passwordFile),
      operationTimeoutMs: broker.operationTimeout === undefined ? undefined : ms(broker.operationTimeout, ['broker', 'operationTimeout'], 1),
      getChannels: broker.getChannels,
      readAhead: broker.readAhead === undefined ? undefined : {
        prefetch: broker.readAhead.prefetch,
        hotGetsPerSecond: broker.readAhead.hotGetsPerSecond,
        idleMs: ms(broker.readAhead.idle, ['broker', 'readAhead', 'idle'], 10),
      },
    },
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
    limits: {
      maxHeaderBytes: limits.maxHeaderBytes,
      maxBodyBytes: limits.maxBodyBytes,
      maxWaitMs,
      maxLongPollsPerPeer: limits.maxLongPollsPerPeer,
      maxConnections: limits.maxConnections,
      maxMessageListLength: limits.maxMessageListLength,
      handshakeTimeoutMs: ms(limits.handshakeTimeout, ['limits', 'handshakeTimeout'], 100),
      headersTimeoutMs: ms(limits.headersTimeout, ['limits', 'headersTimeout'], 100),
      requestTimeoutMs: ms(limits.requestTimeout, ['limits', 'requestTimeout'], 100),
      keepAliveTimeoutMs: ms(limits.keepAliveTimeout, ['limits', 'keepAliveTimeout'], 100),
    },
    idempotency: { windowMs: ms(file.idempotency.window, ['idempotency', 'window']), maxEntries: file.idempotency.maxEntries },
    reloadIntervalMs: ms(file.reloadInterval, ['reloadInterval'], 10),
    drainTimeoutMs: ms(file.drainTimeout, ['drainTimeout']),
    logLevel: file.log.level,
  };
  if (config.leases.maxVisibilityMs > 1_800_000) problems.push({ path: '$.leases.maxVisibility', message: 'must be at most 30m (RabbitMQ\'s delivery acknowledgement timeout)' });
  if (config.leases.defaultVisibilityMs > config.leases.maxVisibilityMs) problems.push({ path: '$.leases.defaultVisibility', message: 'must not be longer than maxVisibility' });
  if (config.limits.headersTimeoutMs > config.limits.requestTimeoutMs) {
    problems.push({ path: '$.limits.headersTimeout', message: 'must not be longer than requestTimeout' });
  }
  if (problems.length > 0) throw invalid(problems, source);
  return deepFreeze(config);
}

/**
 * Reads and converts a configuration file (JSON).
 * @throws AppError ERR_FILE_IO (unreadable), ERR_CONFIG_INVALID (not JSON, repeated keys, or
 *   any problem of gatewayConfigFromFile).
 */
export function loadGatewayConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read gateway configuration ${file}`, { cause: err, details: { path: file } });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid([{ path: '$', message: `is not valid JSON: ${err instanceof Error ? err.message : String(err)}` }], file);
  }
  const repeated = findDuplicateKeys(text);
  if (repeated.length > 0) {
    throw invalid(repeated.map((d) => ({ path: formatJsonPath(d.path), message: 'repeats a key of the same object' })), file);
  }
  return gatewayConfigFromFile(raw, dirname(resolve(file)), file);
}
