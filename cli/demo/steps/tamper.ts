// Step 3: someone with access to the broker flips one byte of a stored Privacy envelope. The
// consumer's sidecar refuses to hand it over: it moves it to SYSTEM.PROTECTION.ERROR.QUEUE with
// the reason, and the application gets the next good message instead.
import { randomBytes } from 'node:crypto';
import type { BrokerDriver, Message } from '../../../sidecar/drivers/driver.ts';
import { decodeErrorQueueMessage, ERROR_QUEUE } from '../../../sidecar/error-queue/error-queue-message.ts';
import { getMessage, messageIdOf, putMessage, replySummary } from '../app-client.ts';
import { DEMO_QUEUES, spiffeIdOf } from '../demo-layout.ts';
import type { DemoDeployment } from '../demo-deployment.ts';
import { failed, passed, removeLeftovers, type ScenarioStep, type StepResult } from '../step.ts';

/** Inside the ciphertext of the demo's Privacy envelopes, near the end (the GCM tag follows). */
const FLIP_FROM_END = 24;

/** Takes a stored message behind the gateway's back and puts it back, same descriptor, one byte flipped. */
async function flipStoredByte(driver: BrokerDriver, queue: string, messageId: string): Promise<{ offset: number; size: number } | undefined> {
  const delivery = await driver.get(queue, { messageId, waitMs: 2000 });
  if (delivery === null) return undefined;
  const m: Message = delivery.message;
  const body = Buffer.from(m.body);
  const offset = body.length - FLIP_FROM_END;
  body[offset] = (body[offset] as number) ^ 0x01;
  try {
    await driver.put(queue, {
      body, messageId: m.messageId, correlationId: m.correlationId, persistence: m.persistence, expiryMs: m.expiryMs,
      priority: m.priority, replyTo: m.replyTo, contentType: m.contentType, properties: m.properties,
    });
  } catch (err) {
    await delivery.release();
    throw err;
  }
  await delivery.ack();
  return { offset, size: body.length };
}

export const tamperStep: ScenarioStep = {
  title: 'tampered message quarantined',
  async run({ deployment }) {
    const { endpoints, driver } = deployment;
    const queue = DEMO_QUEUES.privacy;
    const tag = randomBytes(3).toString('hex');
    const put = await putMessage(endpoints.sidecars.producer, queue, `order ${tag}: pay 100.00 EUR`);
    const badId = messageIdOf(put);
    if (put.status !== 201 || badId === undefined) return failed(`the producer's put answered ${replySummary(put)}`);
    let goodId: string | undefined;
    try {
      const flipped = await flipStoredByte(driver, queue, badId);
      if (flipped === undefined) return failed(`message ID:${badId} is not on the broker`);
      const goodText = `order ${tag}: the next, untouched`;
      const good = await putMessage(endpoints.sidecars.producer, queue, goodText);
      goodId = messageIdOf(good);
      if (good.status !== 201) return failed(`the producer's second put answered ${replySummary(good)}`);
      return await checkQuarantine(deployment, badId, goodText, flipped);
    } finally {
      await removeLeftovers(driver, queue, [badId, goodId]);
    }
  },
};

/** The consumer gets the good message; the tampered one waits on the error queue with its reason. */
async function checkQuarantine(deployment: DemoDeployment, badId: string, goodText: string, flipped: { offset: number; size: number }): Promise<StepResult> {
  const { endpoints, driver } = deployment;
  const queue = DEMO_QUEUES.privacy;
  const got = await getMessage(endpoints.sidecars.consumer, queue, 5000);
  if (got.status !== 200) return failed(`the consumer's get answered ${replySummary(got)}`);
  if (messageIdOf(got) === badId) return failed('the consumer was handed the tampered message');
  if (got.text !== goodText) return failed('the consumer got another payload than the next good message');

  // The entry carries the original message id as its correlation id (docs/error-queue.md).
  const entry = await driver.get(ERROR_QUEUE, { correlationId: badId, waitMs: 5000 });
  if (entry === null) return failed(`no entry for ID:${badId} on ${ERROR_QUEUE}`);
  await entry.ack();
  const { header, body } = decodeErrorQueueMessage(entry.message.body);
  const found = `byte ${flipped.offset} of ${flipped.size} flipped in ID:${badId.slice(0, 12)}…; consumer got the next good message; ${ERROR_QUEUE}: ${header.reason} (${header.errorCode ?? 'no code'}, MQRC ${header.reasonCode})`;
  if (header.reason !== 'decryption-failed') return failed(`${found}; expected decryption-failed`);
  if (header.original.messageId !== `ID:${badId}` || header.detectedBy.spiffeId !== spiffeIdOf('consumer') || body.length !== flipped.size) {
    return failed(`${found}; but the entry describes another message or finder`);
  }
  return passed(found);
}
