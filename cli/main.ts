// Dispatches `qshield <command> …` to its module. Each command parses its own options.
import { bundleCommand } from './commands/bundle.ts';
import { caCommand } from './commands/ca.ts';
import { demoCommand } from './commands/demo.ts';
import { gatewayCommand } from './commands/gateway.ts';
import { openCommand } from './commands/open.ts';
import { sealCommand } from './commands/seal.ts';
import { sidecarCommand } from './commands/sidecar.ts';
import { svidCommand } from './commands/svid.ts';
import { reportError } from './errors.ts';
import { EXIT, type CliIo, type Command } from './io.ts';

const COMMANDS: readonly Command[] = [caCommand, svidCommand, bundleCommand, sealCommand, openCommand, gatewayCommand, sidecarCommand, demoCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'qshield — messaging security for brokers on Kubernetes',
    '',
    'Usage: qshield <command> [options]   (qshield <command> --help for details)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`qshield: unknown command '${name}'\n\n${overview()}`);
    return EXIT.usage;
  }
  if (rest[0] === '--help' || rest[0] === '-h') {
    io.stdout.write(`Usage: ${command.usage}\n\n${command.summary}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportError(err, io, name);
  }
}
