// Two-word commands (`qshield ca init`, `qshield svid issue`): picks the subcommand, answers
// `--help` at either level, and turns option-parsing failures into usage errors.
import { UsageError } from './errors.ts';
import { EXIT, type CliIo } from './io.ts';

export interface Subcommand {
  usage: string;
  run(args: string[]): Promise<number>;
}

/** The usage text of a command made of subcommands: each one's usage, in order. */
export function usageOf(subcommands: [name: string, usage: string][]): string {
  return subcommands.map(([, usage]) => usage).join('\n\n');
}

export async function subcommand(args: string[], io: CliIo, table: Record<string, Subcommand>): Promise<number> {
  const [name, ...rest] = args;
  const names = Object.keys(table);
  if (name === undefined) throw new UsageError(`missing subcommand: ${names.join(' | ')}`);
  const sub = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!sub) throw new UsageError(`unknown subcommand '${name}' (use ${names.join(' | ')})`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`Usage: ${sub.usage}\n`);
    return EXIT.ok;
  }
  try {
    return await sub.run(rest);
  } catch (err) {
    // node:util parseArgs reports unknown or malformed options with these codes.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(`${name}: ${(err as Error).message}`);
    throw err;
  }
}
