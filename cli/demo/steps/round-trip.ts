// Step 1: one message per quality of protection, put through the producer's sidecar and got
// through the consumer's; on the way, the stored message is read from the broker (as anyone
// with access to the broker could) to show what the policy demands is what is at rest.
import { randomBytes } from 'node:crypto';
import { inspect } from '../../../lib/envelope/index.ts';
import { getMessage, messageIdOf, putMessage, replySummary } from '../app-client.ts';
import type { DemoDeployment } from '../demo-deployment.ts';
import { DEMO_QUEUES, type DemoQueueKind } from '../demo-layout.ts';
import { failed, passed, removeLeftovers, type ScenarioStep, type StepResult } from '../step.ts';

const QOP_NAMES: Record<DemoQueueKind, string> = { plain: 'None', integrity: 'Integrity', privacy: 'Privacy', confidentiality: 'Confidentiality' };

/** What the broker holds, against what the quality of protection demands. */
function atRest(kind: DemoQueueKind, stored: Buffer, text: string): StepResult | string {
  const plaintext = Buffer.from(text, 'utf8');
  if (kind === 'plain') {
    return stored.equals(plaintext) ? `at rest: the plaintext (${stored.length} bytes)` : failed(`the broker holds ${stored.length} bytes, not the plaintext put`);
  }
  const shape = inspect(stored);
  if (kind === 'integrity') {
    if (shape.kind !== 'signed') return failed(`the broker holds no CMS SignedData (${shape.kind})`);
    return `at rest: CMS SignedData, ${stored.length} bytes (payload readable, signed by the producer)`;
  }
  if (shape.kind !== 'encrypted') return failed(`the broker holds no CMS AuthEnvelopedData (${shape.kind})`);
  if (stored.includes(plaintext)) return failed('the plaintext is visible in the stored envelope');
  return `at rest: CMS AuthEnvelopedData (${shape.encryption ?? 'AES-GCM'}), ${stored.length} bytes, ${shape.recipients ?? 0} recipient${shape.recipients === 1 ? '' : 's'}, payload not visible`;
}

/** Gets the message back through the consumer's sidecar, after a look at what the broker holds. */
async function checkRoundTrip(deployment: DemoDeployment, kind: DemoQueueKind, id: string, text: string): Promise<StepResult> {
  const queue = DEMO_QUEUES[kind];
  const stored = await deployment.driver.browse(queue, { messageId: id });
  if (stored === null) return failed(`message ID:${id} is not on the broker`);
  const rest = atRest(kind, stored.body, text);
  if (typeof rest !== 'string') return rest;
  const got = await getMessage(deployment.endpoints.sidecars.consumer, queue, 5000);
  if (got.status !== 200) return failed(`the consumer's get answered ${replySummary(got)}; ${rest}`);
  if (messageIdOf(got) !== id) return failed(`the consumer got message ID:${messageIdOf(got) ?? '?'}, not ID:${id}`);
  if (got.text !== text) return failed('the consumer got another payload than the producer put');
  return passed(`payload equal; ${rest}`);
}

function roundTrip(kind: DemoQueueKind): ScenarioStep {
  const queue = DEMO_QUEUES[kind];
  return {
    title: `round trip ${queue} (${QOP_NAMES[kind]})`,
    async run({ deployment }) {
      const text = `demo ${kind} message ${randomBytes(4).toString('hex')}: pay 100.00 EUR to ACME`;
      const put = await putMessage(deployment.endpoints.sidecars.producer, queue, text);
      const id = messageIdOf(put);
      if (put.status !== 201 || id === undefined) return failed(`the producer's put answered ${replySummary(put)}`);
      try {
        return await checkRoundTrip(deployment, kind, id, text);
      } finally {
        await removeLeftovers(deployment.driver, queue, [id]);
      }
    },
  };
}

export function roundTripSteps(): ScenarioStep[] {
  return (Object.keys(DEMO_QUEUES) as DemoQueueKind[]).map(roundTrip);
}
