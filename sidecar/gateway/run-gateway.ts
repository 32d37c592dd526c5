// Runs gateway mode from a configuration: the broker driver, observability (metrics, security
// events with their sink, the admin port) and the gateway, shut down in order on close().
import { readFileSync } from 'node:fs';
import type { Logger } from '../../lib/log/index.ts';
import type { BrokerDriver } from '../drivers/driver.ts';
import { startObservability, type Observability } from '../observability/index.ts';
import { createBrokerDriver } from './broker.ts';
import type { GatewayConfig } from './config.ts';
import { startGateway, type Gateway } from './gateway.ts';

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly observability: Observability;
  readonly driver: BrokerDriver;
  /** Drains the gateway, closes the broker connection, flushes events, closes the admin port. */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

export interface RunGatewayOptions {
  readonly log: Logger;
  readonly version?: string;
  /** A driver to use instead of the configured one (tests hand in their own). */
  readonly driver?: BrokerDriver;
}

/** The queue manager name for event defaults, read before the bundle is validated in full. */
function queueManagerNameOf(file: string): string | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as { queueManagerName?: unknown };
    return typeof value.queueManagerName === 'string' ? value.queueManagerName.slice(0, 48) : undefined;
  } catch {
    return undefined; // startGateway reports the file properly
  }
}

/**
 * Starts everything gateway mode needs.
 * @throws whatever startObservability or startGateway throw; nothing is left running then.
 */
export async function runGateway(config: GatewayConfig, options: RunGatewayOptions): Promise<RunningGateway> {
  const { log } = options;
  const driver = options.driver ?? await createBrokerDriver(config.broker, log);
  const qmgr = queueManagerNameOf(config.policyBundleFile);
  const sink = config.securityEvents.sink;
  let observability: Observability;
  try {
    observability = await startObservability({
      log,
      service: { name: 'qshield-gateway', ...(options.version === undefined ? {} : { version: options.version }), ...(config.securityEvents.nodeName === undefined ? {} : { nodeName: config.securityEvents.nodeName }) },
      ...(qmgr === undefined ? {} : { qmgr }),
      ...(sink === undefined ? {} : { sink }),
      admin: { host: config.admin.host, port: config.admin.port },
    });
  } catch (err) {
    await driver.close();
    throw err;
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway({ config, log, driver, events: observability.events, metrics: observability.metrics });
  } catch (err) {
    await driver.close();
    await observability.close({ deadlineMs: 1000 });
    throw err;
  }
  observability.addReadinessCheck('gateway', () => gateway.readiness());
  let closing: Promise<void> | undefined;
  return {
    gateway,
    observability,
    driver,
    close(closeOptions = {}) {
      closing ??= (async () => {
        observability.startDraining();
        await gateway.close(closeOptions);
        await driver.close();
        await observability.close({ deadlineMs: 5000 });
      })();
      return closing;
    },
  };
}
