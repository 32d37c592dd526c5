// The demo's scripted scenario: steps run one after the other against the running deployment,
// each ending in an outcome row. A step that throws is a failed step, never a crashed demo.
import type { StepOutcome } from './outcome-table.ts';
import { failed, type ScenarioContext, type ScenarioStep, type StepResult } from './step.ts';
import { refusalStep } from './steps/refusal.ts';
import { messageKeyRotationStep, svidRotationStep } from './steps/rotation.ts';
import { roundTripSteps } from './steps/round-trip.ts';
import { tamperStep } from './steps/tamper.ts';

export function demoScenario(): ScenarioStep[] {
  return [...roundTripSteps(), refusalStep, tamperStep, messageKeyRotationStep, svidRotationStep];
}

/** Runs the steps in order, reporting each outcome as it ends. */
export async function runScenario(steps: readonly ScenarioStep[], context: ScenarioContext, onOutcome: (index: number, outcome: StepOutcome) => void): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const [index, step] of steps.entries()) {
    if (context.signal.aborted) break;
    let result: StepResult;
    try {
      result = await step.run(context);
    } catch (err) {
      result = failed(`error: ${err instanceof Error ? err.message : String(err)}`);
    }
    const outcome = { title: step.title, ...result };
    outcomes.push(outcome);
    onOutcome(index, outcome);
  }
  return outcomes;
}
