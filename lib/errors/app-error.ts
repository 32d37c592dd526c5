// The one error class of qshield. Callers match on `code` (stable, documented in
// docs/errors.md), never on messages, which are for humans and may change.
import { ERROR_CODES, type ErrorCode } from './codes.ts';

export interface AppErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure, safe to log (never key material or payloads). */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }

  /** HTTP status this error maps to at an API boundary. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** MQ reason code (MQRC) reported on the MQ REST API, when one applies. */
  get reasonCode(): number | undefined {
    const spec = ERROR_CODES[this.code];
    return 'mqrc' in spec ? spec.mqrc : undefined;
  }
}

/** True when `err` is an AppError carrying `code`. */
export function hasCode(err: unknown, code: ErrorCode): err is AppError {
  return err instanceof AppError && err.code === code;
}

/** Walks the `cause` chain and returns the first error that is an instance of `cls`. */
export function findCause<T extends Error>(err: unknown, cls: abstract new (...args: never[]) => T): T | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current instanceof Error && !seen.has(current)) {
    if (current instanceof cls) return current;
    seen.add(current);
    current = current.cause;
  }
  return undefined;
}

/** Walks the `cause` chain and returns the first AppError with `code`, if any. */
export function findCode(err: unknown, code: ErrorCode): AppError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current instanceof Error && !seen.has(current)) {
    if (current instanceof AppError && current.code === code) return current;
    seen.add(current);
    current = current.cause;
  }
  return undefined;
}
