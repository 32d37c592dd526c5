// The broker driver contract, run by the amqp driver against the harness's real RabbitMQ.
import { inject } from 'vitest';
import { AmqpDriver } from '../../sidecar/drivers/amqp/amqp-driver.ts';
import type { BrokerDriver } from '../../sidecar/drivers/driver.ts';
import { describeDriverContract, type ContractHarness } from '../contract/driver-contract.ts';
import { RabbitMqBroker } from '../harness/rabbitmq.ts';

describeDriverContract('amqp', (): ContractHarness => {
  const broker = new RabbitMqBroker(inject('rabbitmq'));
  const drivers: BrokerDriver[] = [];
  const queues = new Set<string>();
  return {
    async createDriver(specs) {
      for (const spec of specs) queues.add(spec.name);
      const driver = new AmqpDriver({ url: broker.url, queues: specs, pollIntervalMs: 100 });
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
});
