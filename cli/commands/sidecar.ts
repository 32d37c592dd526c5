// `qshield sidecar --config FILE`: workload mode. Loads the configuration (every problem listed
// at once), starts the sidecar, and drains it on SIGTERM or SIGINT (docs/sidecar-config.md).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppError } from '../../lib/errors/index.ts';
import { createLogger } from '../../lib/log/index.ts';
import { loadSidecarConfig } from '../../sidecar/workload/config.ts';
import { startWorkloadSidecar } from '../../sidecar/workload/workload-sidecar.ts';
import { UsageError } from '../errors.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';

function version(): string | undefined {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function printProblems(err: AppError, io: CliIo): void {
  io.stderr.write(`qshield sidecar: ${err.message.split(':')[0] ?? err.message} [${err.code}]\n`);
  for (const p of err.details.problems as { path: string; message: string }[]) io.stderr.write(`  ${p.path} ${p.message}\n`);
}

export const sidecarCommand: Command = {
  name: 'sidecar',
  summary: 'run the workload sidecar: the MQ REST API on localhost, messages sealed and opened end to end',
  usage: [
    'qshield sidecar --config FILE',
    '',
    '  --config FILE   the sidecar configuration (JSON, docs/sidecar-config.md)',
    '',
    'Runs until SIGTERM or SIGINT, then drains: no new work, requests in progress finish.',
  ].join('\n'),
  async run(args, io) {
    let values: { config?: string | undefined };
    try {
      ({ values } = parseArgs({ args, strict: true, options: { config: { type: 'string' } } }));
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
    if (values.config === undefined) throw new UsageError('--config FILE is required');
    let config;
    try {
      config = loadSidecarConfig(values.config);
    } catch (err) {
      if (err instanceof AppError && err.code === 'ERR_CONFIG_INVALID' && Array.isArray(err.details.problems)) {
        printProblems(err, io);
        return EXIT.failed;
      }
      throw err;
    }
    const v = version();
    const log = createLogger({ component: 'sidecar', level: config.logLevel, ...(v === undefined ? {} : { version: v }) });
    const sidecar = await startWorkloadSidecar({ config, log, ...(v === undefined ? {} : { version: v }) });
    io.stderr.write(`qshield sidecar: ${sidecar.spiffeId} listening on ${sidecar.url ?? sidecar.socketPath ?? ''}, admin on ${sidecar.adminUrl}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    io.stderr.write(`qshield sidecar: ${signal}: draining\n`);
    await sidecar.close();
    log.flush();
    return EXIT.ok;
  },
};
