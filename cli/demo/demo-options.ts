// The command line of `qshield demo`, parsed and checked before anything starts.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

export interface DemoOptions {
  /** Absolute; undefined: a temporary directory removed at exit. */
  readonly dir: string | undefined;
  /** An AMQP URL (credentials included, as given); undefined: the in-process memory broker. */
  readonly broker: string | undefined;
  readonly once: boolean;
  readonly verbose: boolean;
}

export const DEMO_USAGE = [
  'qshield demo [--dir DIR] [--broker amqp://user:pass@host:port] [--once] [--verbose]',
  '',
  '  --dir DIR        write the demo\'s files there (a new or empty directory): DIR/ca/ (a CA',
  '                   directory), DIR/identities/<workload>.crt|.key, DIR/endpoints.json, …;',
  '                   default: a temporary directory, removed at exit',
  '  --broker URL     store messages in this RabbitMQ (amqp:// or amqps://) instead of in memory;',
  '                   its queues DEMO.* are emptied at start',
  '  --once           run the scenario, print the table and exit: 0 if every step passed, else 1',
  '  --verbose        the components\' logs (JSON lines) on stderr instead of DIR/demo.log',
  '',
  'Starts on 127.0.0.1 a CA, a gateway and the workload sidecars of a producer and a consumer,',
  'runs a scenario (every quality of protection, a refused identity, a tampered message, key',
  'rotation under traffic) and prints one row per step. Without --once it then keeps running',
  'and prints curl commands to try, until Ctrl-C.',
].join('\n');

/** Only a broker URL's origin, for messages: credentials never reach the terminal or a log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(an invalid URL)';
  }
}

function checkBroker(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError('--broker must be a URL like amqp://user:pass@host:5672');
  }
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') throw new UsageError(`--broker must be an amqp:// or amqps:// URL, not ${url.protocol}//…`);
  if (url.hostname === '') throw new UsageError('--broker names no host');
  return value;
}

/**
 * @throws UsageError for unknown options, positional arguments, an option without its value or a bad broker URL.
 */
export function parseDemoOptions(args: readonly string[], cwd: string): DemoOptions {
  let values: { dir?: string | undefined; broker?: string | undefined; once?: boolean | undefined; verbose?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...args], strict: true, allowPositionals: true, options: {
      dir: { type: 'string' }, broker: { type: 'string' }, once: { type: 'boolean' }, verbose: { type: 'boolean' },
    } }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] as string}'`);
  if (values.dir === '') throw new UsageError('--dir needs a directory');
  return {
    dir: values.dir === undefined ? undefined : resolve(cwd, values.dir),
    broker: values.broker === undefined ? undefined : checkBroker(values.broker),
    once: values.once ?? false,
    verbose: values.verbose ?? false,
  };
}
