// Vitest global setup of the integration project: one RabbitMQ node per test run, started
// when none of ours runs, stopped at the end if this harness manages it.
import type { TestProject } from 'vitest/node';
import { RabbitMqBroker } from './rabbitmq.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const broker = await RabbitMqBroker.forCheckout();
  if (broker.env.managed && !(await broker.isRunning())) await broker.start({ fresh: true });
  project.provide('rabbitmq', broker.env);
  return async () => {
    await broker.shutdown();
  };
}
