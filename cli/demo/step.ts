// What a scenario step is: a title and a check against the running demo that ends in ok or failed.
import type { BrokerDriver } from '../../sidecar/drivers/driver.ts';
import type { DemoDeployment } from './demo-deployment.ts';
import type { DemoFiles } from './demo-files.ts';

export interface ScenarioContext {
  readonly deployment: DemoDeployment;
  readonly files: DemoFiles;
  /** Aborted when the demo is stopped (SIGINT, SIGTERM): steps give up waiting at once. */
  readonly signal: AbortSignal;
}

export interface StepResult {
  readonly ok: boolean;
  /** One line: what was checked and what was seen. */
  readonly detail: string;
}

export interface ScenarioStep {
  readonly title: string;
  run(context: ScenarioContext): Promise<StepResult>;
}

export const failed = (detail: string): StepResult => ({ ok: false, detail });
export const passed = (detail: string): StepResult => ({ ok: true, detail });

/**
 * Takes the given messages off a queue if a failed step left them there, so that one failure
 * does not spill into the steps after it.
 */
export async function removeLeftovers(driver: BrokerDriver, queue: string, messageIds: readonly (string | undefined)[]): Promise<void> {
  for (const messageId of messageIds) {
    if (messageId === undefined) continue;
    const delivery = await driver.get(queue, { messageId });
    await delivery?.ack();
  }
}
