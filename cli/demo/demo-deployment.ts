// Starts the demo's components in this process, on 127.0.0.1: the gateway (memory broker, or a
// RabbitMQ checked to be reachable first, so that a wrong --broker fails fast instead of
// leaving a gateway that answers 503) and the workload sidecars, each from the configuration
// file written for it; and stops them in order.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../lib/errors/index.ts';
import type { Logger } from '../../lib/log/index.ts';
import type { BrokerDriver } from '../../sidecar/drivers/driver.ts';
import { createBrokerDriver } from '../../sidecar/gateway/broker.ts';
import { gatewayConfigFromFile, type GatewayConfig } from '../../sidecar/gateway/config.ts';
import { runGateway, type RunningGateway } from '../../sidecar/gateway/run-gateway.ts';
import { sidecarConfigFromFile } from '../../sidecar/workload/config.ts';
import { startWorkloadSidecar, type WorkloadSidecar } from '../../sidecar/workload/workload-sidecar.ts';
import { gatewayConfigFile, sidecarConfigFile, type DemoFiles } from './demo-files.ts';
import { DEMO_QMGR, DEMO_QUEUES, DEMO_TRUST_DOMAIN, DEMO_WORKLOADS, type DemoEndpoints, type DemoWorkload } from './demo-layout.ts';
import { redactUrl } from './demo-options.ts';

const READY_TIMEOUT_MS = 20_000;

export interface DemoDeployment {
  readonly gateway: RunningGateway;
  /** The broker below the gateway: the scenario reads and alters stored messages through it, as someone with access to the broker could. */
  readonly driver: BrokerDriver;
  readonly sidecars: Readonly<Record<DemoWorkload, WorkloadSidecar>>;
  readonly endpoints: DemoEndpoints;
  /** Messages an earlier run left on the demo's queues (a RabbitMQ outlives the demo), removed at start. */
  readonly leftoversRemoved: number;
  close(): Promise<void>;
}

export interface StartDemoOptions {
  readonly files: DemoFiles;
  readonly broker: string | undefined;
  /** A logger for one component (`gateway`, `sidecar`), all writing to the demo's log. */
  readonly logFor: (component: string) => Logger;
  readonly logLevel: string;
}

/** The gateway's broker section; RabbitMQ credentials go to files beside it (never into the configuration). */
async function brokerSection(files: DemoFiles, broker: string | undefined): Promise<Record<string, unknown>> {
  if (broker === undefined) return { driver: 'memory' };
  const url = new URL(broker);
  const section: Record<string, unknown> = { driver: 'amqp', url: redactUrl(broker) };
  if (url.username !== '' || url.password !== '') {
    const dir = files.paths.gateway;
    await writeFile(join(dir, 'broker-username'), decodeURIComponent(url.username), { mode: 0o600 });
    await writeFile(join(dir, 'broker-password'), decodeURIComponent(url.password), { mode: 0o600 });
    section.usernameFile = 'broker-username';
    section.passwordFile = 'broker-password';
  }
  return section;
}

async function connectBroker(config: GatewayConfig, broker: string | undefined, log: Logger): Promise<BrokerDriver> {
  const driver = await createBrokerDriver(config.broker, log);
  try {
    // The first connection attempt decides: refused, unknown host or bad credentials end the demo now.
    await driver.start({ waitForConnection: true });
  } catch (err) {
    await driver.close().catch(() => undefined);
    const cause = err instanceof AppError && err.cause instanceof Error ? err.cause : err;
    const why = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw new AppError('ERR_BROKER_UNAVAILABLE', `cannot connect to the broker at ${redactUrl(broker ?? '')}: ${why}`, { cause: err });
  }
  return driver;
}

/** Errors that no amount of waiting cures: the demo stops at once rather than at its deadline. */
const NOT_CURED_BY_WAITING = new Set(['ERR_BROKER_QUEUE_MISMATCH']);

async function waitUntil(what: string, check: () => { ok: boolean; reason?: string; code?: string }): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const state = check();
    if (state.ok) return;
    if (state.code !== undefined && NOT_CURED_BY_WAITING.has(state.code)) {
      throw new AppError('ERR_DEMO_NOT_READY', `${what} is not ready: ${state.reason ?? state.code}`);
    }
    if (Date.now() > deadline) {
      throw new AppError('ERR_DEMO_NOT_READY', `${what} did not become ready within ${READY_TIMEOUT_MS / 1000} s: ${state.reason ?? 'no reason given'}`);
    }
    await sleep(50);
  }
}

/** Empties the demo's own queues of what an earlier run left (only a real broker keeps anything). */
async function removeLeftovers(driver: BrokerDriver): Promise<number> {
  let removed = 0;
  for (const queue of Object.values(DEMO_QUEUES)) {
    for (;;) {
      const delivery = await driver.get(queue);
      if (delivery === null) break;
      await delivery.ack();
      removed++;
    }
  }
  return removed;
}

/**
 * Starts the gateway, then the sidecars of every demo workload.
 * @throws AppError ERR_BROKER_UNAVAILABLE, ERR_DEMO_NOT_READY, or what the components throw at start (nothing is left running then).
 */
export async function startDemoDeployment(options: StartDemoOptions): Promise<DemoDeployment> {
  const { files, logFor } = options;
  const { paths } = files;
  const rawGateway = gatewayConfigFile(paths, { broker: await brokerSection(files, options.broker), logLevel: options.logLevel });
  await files.writeJson(paths.gatewayConfig, rawGateway);
  const gatewayConfig = gatewayConfigFromFile(rawGateway, dirname(paths.gatewayConfig));
  const gatewayLog = logFor('gateway');
  const driver = options.broker === undefined ? undefined : await connectBroker(gatewayConfig, options.broker, gatewayLog);
  const gateway = await runGateway(gatewayConfig, { log: gatewayLog, ...(driver === undefined ? {} : { driver }) });
  const started: WorkloadSidecar[] = [];
  const close = async () => {
    await Promise.allSettled(started.map((s) => s.close({ deadlineMs: 1000 })));
    await gateway.close({ deadlineMs: 1000 });
  };
  try {
    await waitUntil('the gateway', () => gateway.gateway.readiness());
    const leftoversRemoved = await removeLeftovers(gateway.driver);
    const sidecars = {} as Record<DemoWorkload, WorkloadSidecar>;
    for (const name of DEMO_WORKLOADS) {
      const raw = sidecarConfigFile(paths, name, gateway.gateway.url, options.logLevel);
      await files.writeJson(paths.sidecarConfig(name), raw);
      const sidecar = await startWorkloadSidecar({
        config: sidecarConfigFromFile(raw, dirname(paths.sidecarConfig(name))),
        log: logFor('sidecar').child({ workload: name }),
        processMetrics: false,
      });
      started.push(sidecar);
      sidecars[name] = sidecar;
    }
    const endpoints: DemoEndpoints = {
      qmgr: DEMO_QMGR,
      trustDomain: DEMO_TRUST_DOMAIN,
      gateway: gateway.gateway.url,
      sidecars: { producer: sidecars.producer.url as string, consumer: sidecars.consumer.url as string },
      queues: DEMO_QUEUES,
    };
    await files.writeJson(paths.endpoints, endpoints);
    return { gateway, driver: gateway.driver, sidecars, endpoints, leftoversRemoved, close };
  } catch (err) {
    await close();
    throw err;
  }
}
