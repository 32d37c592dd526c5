export { AppError, hasCode, findCause, findCode, type AppErrorOptions } from './app-error.ts';
export { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorSpec } from './codes.ts';
