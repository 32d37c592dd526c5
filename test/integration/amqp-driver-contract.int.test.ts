// The broker driver contract, run by the amqp driver against the harness's real RabbitMQ: once
// pulling every get with basic.get, and once reading ahead, made hot by the first plain get and
// stopped after 300 ms without one, so that the suite crosses both modes and the switches between.
import { inject } from 'vitest';
import { AmqpDriver, type AmqpDriverOptions } from '../../sidecar/drivers/amqp/amqp-driver.ts';
import type { BrokerDriver } from '../../sidecar/drivers/driver.ts';
import { describeDriverContract, type ContractHarness } from '../contract/driver-contract.ts';
import { RabbitMqBroker } from '../harness/rabbitmq.ts';

function amqpHarness(options: Partial<AmqpDriverOptions>): () => ContractHarness {
  return () => {
    const broker = new RabbitMqBroker(inject('rabbitmq'));
    const drivers: BrokerDriver[] = [];
    const queues = new Set<string>();
    return {
      async createDriver(specs) {
        for (const spec of specs) queues.add(spec.name);
        const driver = new AmqpDriver({ url: broker.url, queues: specs, pollIntervalMs: 100, ...options });
        drivers.push(driver);
        await driver.start();
        return driver;
      },
      async cleanup() {
        await Promise.all(drivers.splice(0).map((d) => d.close()));
        await broker.deleteQueues([...queues]);
        queues.clear();
      },
    };
  };
}

describeDriverContract('amqp', amqpHarness({}));
describeDriverContract('amqp reading ahead', amqpHarness({ readAhead: { prefetch: 8, hotGetsPerSecond: 1, idleMs: 300 } }));
