export { createLogger, REDACT_PATHS, REDACTED, type Logger, type LoggerOptions } from './create-logger.ts';
export { F } from './fields.ts';
export { captureLogs, type CapturedLogs } from './capture.ts';
