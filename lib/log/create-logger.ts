// The one pino factory. No module-level logger exists: create one in main and inject it.
// Allow-list serializers keep payloads and headers out; REDACT_PATHS is the safety net.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths censored wherever they appear. Fixed strings only, never from user input
 * (pino compiles them). Keys are fingerprinted, never logged, but if one slips into an
 * object it comes out as [REDACTED].
 */
export const REDACT_PATHS: readonly string[] = [
  'privateKey', '*.privateKey',
  'key', '*.key',
  'keyPem', '*.keyPem',
  'password', '*.password',
  'token', '*.token',
  'secret', '*.secret',
  'authorization', '*.authorization',
  'headers.authorization', '*.headers.authorization',
  'headers.cookie', '*.headers.cookie',
  'headers["ibm-mq-rest-csrf-token"]', '*.headers["ibm-mq-rest-csrf-token"]',
  'body', '*.body',
  'payload', '*.payload',
  'data', 'secret.data', '*.secret.data',
];

export const REDACTED = '[REDACTED]';

export interface LoggerOptions {
  component: string;
  level?: LevelWithSilent;
  version?: string;
  /** Where lines go; defaults to stdout. Tests pass a capture stream. */
  destination?: DestinationStream;
}

/** Only these request fields are ever logged: no headers, no body. */
function requestAllowList(req: { method?: string; url?: string; remoteAddress?: string; socket?: { remoteAddress?: string } }) {
  return { method: req.method, url: req.url, remoteAddress: req.remoteAddress ?? req.socket?.remoteAddress };
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { component: options.component, ...(options.version ? { version: options.version } : {}) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: pino.stdSerializers.err, req: requestAllowList },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
