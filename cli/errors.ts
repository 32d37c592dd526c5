// Turns whatever a command threw into one readable line and an exit code.
import { AppError } from '../lib/errors/index.ts';
import { EXIT, type CliIo } from './io.ts';

export class UsageError extends Error {}

export function reportError(err: unknown, io: CliIo, command: string): number {
  if (err instanceof UsageError) {
    io.stderr.write(`qshield ${command}: ${err.message}\nRun 'qshield ${command} --help' for usage.\n`);
    return EXIT.usage;
  }
  if (err instanceof AppError) {
    io.stderr.write(`qshield ${command}: ${err.message} [${err.code}]\n`);
    return err.code === 'ERR_INVALID_ARGUMENT' ? EXIT.usage : EXIT.failed;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`qshield ${command}: unexpected failure: ${message}\n`);
  return EXIT.failed;
}
