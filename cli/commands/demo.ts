// `qshield demo`: the local demo. A CA, a gateway and the workload sidecars of a producer and a
// consumer, in this process on 127.0.0.1; a scripted scenario printed as a table; then, without
// --once, the running demo to try by hand until SIGINT or SIGTERM (docs/demo.md).
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CA_FILES } from '../../lib/identity/index.ts';
import { createLogger, type Logger } from '../../lib/log/index.ts';
import { curlHints } from '../demo/curl-hints.ts';
import { startDemoDeployment, type DemoDeployment } from '../demo/demo-deployment.ts';
import { claimDemoDirectory, createDemoFiles, SVID_TTL_MS, type DemoFiles } from '../demo/demo-files.ts';
import { DEMO_QMGR, DEMO_TRUST_DOMAIN, DEMO_WORKLOADS, spiffeIdOf } from '../demo/demo-layout.ts';
import { DEMO_USAGE, parseDemoOptions, redactUrl, type DemoOptions } from '../demo/demo-options.ts';
import { renderHeader, renderRow, tableLayout, verdict } from '../demo/outcome-table.ts';
import { demoScenario, runScenario } from '../demo/scenario.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';

/** Resolves on the first SIGINT or SIGTERM; dispose() removes the handlers. */
function watchSignals(): { stopped: Promise<NodeJS.Signals>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    handler = resolve;
  });
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopped,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

function printStart(io: CliIo, options: DemoOptions, files: DemoFiles, d: DemoDeployment, temporary: boolean): void {
  const broker = options.broker === undefined ? 'in-process memory broker' : `RabbitMQ at ${redactUrl(options.broker)}`;
  const lines = [
    `qshield demo: queue manager ${DEMO_QMGR}, trust domain ${DEMO_TRUST_DOMAIN}, ${broker}`,
    `  gateway   ${d.endpoints.gateway}  (mTLS) ${spiffeIdOf('gateway')}`,
    `  producer  ${d.endpoints.sidecars.producer}  ${spiffeIdOf('producer')}`,
    `  consumer  ${d.endpoints.sidecars.consumer}  ${spiffeIdOf('consumer')}`,
    `  files     ${files.paths.root}${temporary ? '  (temporary: removed at exit; --dir keeps them)' : ''}`,
    `  log       ${options.verbose ? 'stderr' : files.paths.log}`,
  ];
  if (d.leftoversRemoved > 0) lines.push(`  removed ${d.leftoversRemoved} message(s) an earlier run left on the demo's queues`);
  io.stdout.write(`${lines.join('\n')}\n\n`);
}

/** Renews every SVID at half its lifetime, as the operator does, while the demo keeps running. */
function renewSvids(files: DemoFiles, log: Logger): () => void {
  const timer = setInterval(() => {
    void (async () => {
      for (const name of ['gateway', ...DEMO_WORKLOADS] as const) await files.issueSvid(name);
      log.info('SVIDs renewed');
    })().catch((err: unknown) => log.error({ err }, 'renewing the SVIDs failed'));
  }, SVID_TTL_MS / 2);
  timer.unref();
  return () => clearInterval(timer);
}

async function emptyDirectory(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the local demo: a CA, a gateway and two workload sidecars, a scenario, then try it by hand',
  usage: DEMO_USAGE,
  async run(args, io) {
    const options = parseDemoOptions(args, io.cwd);
    const temporary = options.dir === undefined;
    const root = options.dir ?? await mkdtemp(join(tmpdir(), 'qshield-demo-'));
    const signals = watchSignals();
    let logFile: WriteStream | undefined;
    let deployment: DemoDeployment | undefined;
    let stopRenewal: (() => void) | undefined;
    let claimed = false;
    try {
      if (!temporary) {
        await claimDemoDirectory(root);
        claimed = true;
      }
      const files = await createDemoFiles(root, io);
      logFile = options.verbose ? undefined : createWriteStream(files.paths.log, { mode: 0o600 });
      logFile?.on('error', () => undefined); // a line logged after the end is dropped, not a crash
      const destination = logFile ?? io.stderr;
      const logFor = (component: string) => createLogger({ component, level: 'info', destination });
      deployment = await startDemoDeployment({ files, broker: options.broker, logFor, logLevel: 'info' });
      printStart(io, options, files, deployment, temporary);

      const steps = demoScenario();
      const layout = tableLayout(steps.map((s) => s.title));
      io.stdout.write(renderHeader(layout));
      const abort = new AbortController();
      const scenario = runScenario(steps, { deployment, files, signal: abort.signal }, (index, outcome) => {
        if (!abort.signal.aborted) io.stdout.write(renderRow(layout, index, outcome));
      });
      const outcomes = await Promise.race([scenario, signals.stopped.then(() => undefined)]);
      if (outcomes === undefined) {
        abort.abort();
        await scenario; // the steps give up at once: nothing is left running when the components close
        io.stdout.write('\nqshield demo: interrupted; stopping.\n');
        return options.once ? EXIT.failed : EXIT.ok;
      }
      const result = verdict(outcomes, steps.length);
      io.stdout.write(`\n${result.line}`);
      if (options.once) return result.passed ? EXIT.ok : EXIT.failed;

      stopRenewal = renewSvids(files, logFor('demo'));
      io.stdout.write([
        '',
        `The demo keeps running; endpoints in ${files.paths.endpoints}. Try it (Ctrl-C stops it):`,
        '',
        ...curlHints(deployment.endpoints, { cert: files.paths.identityCert('producer'), key: files.paths.identityKey('producer'), bundle: join(files.paths.ca, CA_FILES.bundle) }).map((line) => `  ${line}`),
        '',
        '',
      ].join('\n'));
      const signal = await signals.stopped;
      io.stdout.write(`qshield demo: ${signal}: stopping.\n`);
      return EXIT.ok;
    } finally {
      stopRenewal?.();
      signals.dispose();
      await deployment?.close();
      if (logFile !== undefined) await new Promise<void>((resolve) => (logFile as WriteStream).end(resolve));
      if (temporary) await rm(root, { recursive: true, force: true });
      // A demo that never started leaves nothing behind in --dir (all of it is ours: it was
      // empty), so that the same command can be run again once the cause is fixed.
      else if (claimed && deployment === undefined) await emptyDirectory(root);
    }
  },
};
