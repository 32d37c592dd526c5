// What a command may touch of the outside world, passed in so tests can run commands in-process.
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Exit codes of every qshield command (docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed: invalid certificate, refused envelope, failed scenario. */
  failed: 1,
  /** The command line was wrong: unknown command or option, missing argument. */
  usage: 2,
} as const;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
