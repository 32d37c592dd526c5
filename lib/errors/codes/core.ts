// Errors shared by every component: configuration, arguments, internal faults.
import type { ErrorSpec } from './spec.ts';

export const CORE_CODES = {
  ERR_CONFIG_INVALID: { status: 500, retry: false, summary: 'Configuration is invalid; every problem is listed in details.problems.' },
  ERR_INVALID_ARGUMENT: { status: 400, retry: false, summary: 'An argument given to a function or command is invalid.' },
  ERR_INTERNAL: { status: 500, mqrc: 2195, retry: false, summary: 'An unexpected internal fault (MQRC_UNEXPECTED_ERROR).' },
  ERR_FILE_IO: { status: 500, retry: true, summary: 'A file could not be read or written.' },
} as const satisfies Record<string, ErrorSpec>;
