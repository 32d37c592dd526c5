// Creates the broker driver the configuration names. Credentials are read from their files
// here, once, and go into the driver's connection URL only; they are never logged.
import { readFileSync } from 'node:fs';
import { AppError } from '../../lib/errors/index.ts';
import type { Logger } from '../../lib/log/index.ts';
import type { BrokerDriver } from '../drivers/driver.ts';
import { MemoryDriver } from '../drivers/memory/memory-driver.ts';
import type { GatewayConfig } from './config.ts';

function secret(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read the broker ${what} file ${path}`, { cause: err, details: { path } });
  }
}

/**
 * The driver for `config.broker`.
 * @throws AppError ERR_FILE_IO (credential files), ERR_CONFIG_INVALID (a driver this build lacks).
 */
export async function createBrokerDriver(config: GatewayConfig['broker'], log: Logger): Promise<BrokerDriver> {
  if (config.driver === 'memory') return new MemoryDriver();
  const url = new URL(config.url as string);
  if (config.usernameFile !== undefined && config.passwordFile !== undefined) {
    url.username = encodeURIComponent(secret(config.usernameFile, 'username'));
    url.password = encodeURIComponent(secret(config.passwordFile, 'password'));
  }
  // Loaded on demand: a memory-driver gateway (the demo, tests) never loads amqplib.
  const { AmqpDriver } = await import('../drivers/amqp/amqp-driver.ts');
  return new AmqpDriver({
    url: url.toString(),
    connectionName: 'qshield-gateway',
    log,
    ...(config.operationTimeoutMs === undefined ? {} : { operationTimeoutMs: config.operationTimeoutMs }),
    ...(config.getChannels === undefined ? {} : { getChannels: config.getChannels }),
  });
}
