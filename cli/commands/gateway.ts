// `qshield gateway --config FILE`: gateway mode. Loads the configuration (every problem listed
// at once), starts the gateway, and drains it on SIGTERM or SIGINT (docs/gateway-config.md).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppError } from '../../lib/errors/index.ts';
import { createLogger } from '../../lib/log/index.ts';
import { loadGatewayConfig } from '../../sidecar/gateway/config.ts';
import { runGateway } from '../../sidecar/gateway/run-gateway.ts';
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
  io.stderr.write(`qshield gateway: ${err.message.split(':')[0] ?? err.message} [${err.code}]\n`);
  for (const p of err.details.problems as { path: string; message: string }[]) io.stderr.write(`  ${p.path} ${p.message}\n`);
}

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: 'run the gateway beside a broker: mTLS, channel rules, authorities, the MQ REST API',
  usage: [
    'qshield gateway --config FILE',
    '',
    '  --config FILE   the gateway configuration (JSON, docs/gateway-config.md)',
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
      config = loadGatewayConfig(values.config);
    } catch (err) {
      if (err instanceof AppError && err.code === 'ERR_CONFIG_INVALID' && Array.isArray(err.details.problems)) {
        printProblems(err, io);
        return EXIT.failed;
      }
      throw err;
    }
    const log = createLogger({ component: 'gateway', level: config.logLevel, ...(version() === undefined ? {} : { version: version() as string }) });
    let running;
    try {
      running = await runGateway(config, { log, ...(version() === undefined ? {} : { version: version() as string }) });
    } catch (err) {
      if (err instanceof AppError && Array.isArray(err.details.problems)) {
        printProblems(err, io);
        return EXIT.failed;
      }
      throw err;
    }
    io.stderr.write(`qshield gateway: listening on ${running.gateway.url}, admin on ${running.observability.admin.url}\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    io.stderr.write(`qshield gateway: ${signal}: draining\n`);
    await running.close();
    log.flush();
    return EXIT.ok;
  },
};
