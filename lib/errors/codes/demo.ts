// Errors of the local demo (`qshield demo`).
import type { ErrorSpec } from './spec.ts';

export const DEMO_CODES = {
  ERR_DEMO_DIR_IN_USE: { status: 409, retry: false, summary: 'The demo directory is not empty; the demo writes a new CA and keys there and never overwrites files.' },
  ERR_DEMO_NOT_READY: { status: 503, retry: true, summary: 'A component of the demo did not become ready in time, or cannot (the broker holds a queue with other attributes); the message says which and why.' },
} as const satisfies Record<string, ErrorSpec>;
