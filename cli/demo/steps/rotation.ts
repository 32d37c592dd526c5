// Steps 4 and 5: rotations with traffic flowing. A new message key generation for the consumer
// (added to its keyring, its certificate published at the gateway): a message queued before,
// sealed for the old generation, and one sealed after, for the new one, both open. Then new
// SVIDs for the gateway and both workloads. Neither fails a request.
import { setTimeout as sleep } from 'node:timers/promises';
import { createKeyring, open } from '../../../lib/envelope/index.ts';
import { getMessage, messageIdOf, putMessage, replySummary } from '../app-client.ts';
import type { MessageKeyGeneration } from '../demo-files.ts';
import { DEMO_QUEUES } from '../demo-layout.ts';
import { failed, passed, type ScenarioStep } from '../step.ts';
import { trafficOk, trafficSummary, withTraffic, type TrafficReport } from './traffic.ts';

const ROTATION_DEADLINE_MS = 15_000;
/** The sidecars' policyRefreshInterval (demo-files.ts), plus a margin. */
const POLICY_REFRESH_WAIT_MS = 1500;
/** Traffic before and after the change, so that both sides of it carry requests. */
const SETTLE_MS = 400;

async function waitFor(what: string, done: () => boolean, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + ROTATION_DEADLINE_MS;
  while (!done()) {
    signal.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`${what} within ${ROTATION_DEADLINE_MS / 1000} s`);
    await sleep(50);
  }
}

/** Which generation's key opens a Confidentiality envelope, checked with lib/envelope directly. */
function openingGeneration(envelope: Buffer, generations: readonly MessageKeyGeneration[]): number | undefined {
  for (const g of generations) {
    try {
      open(envelope, { keyring: createKeyring([{ certificate: g.certificate.der, key: g.key }]), policy: { qop: 'confidentiality' } });
      return g.generation;
    } catch {
      // not sealed for this generation
    }
  }
  return undefined;
}

function trafficFailure(report: TrafficReport): string {
  return `${trafficSummary(report)}${report.firstFailures.length > 0 ? ` (${report.firstFailures.join('; ')})` : ''}`;
}

export const messageKeyRotationStep: ScenarioStep = {
  title: 'message key rotation under traffic',
  async run({ deployment, files, signal }) {
    const { endpoints, driver, sidecars, gateway } = deployment;
    const queue = DEMO_QUEUES.confidentiality;
    const current = () => sidecars.consumer.keyring().current.generation;
    const from = current();
    const to = from + 1;
    const beforeText = `queued before the rotation, sealed for generation ${from}`;
    const before = await putMessage(endpoints.sidecars.producer, queue, beforeText);
    if (before.status !== 201) return failed(`the producer's put answered ${replySummary(before)}`);

    const { result, report } = await withTraffic(endpoints.sidecars, DEMO_QUEUES.privacy, 'message key rotation', signal, async () => {
      await sleep(SETTLE_MS);
      await files.addGeneration('consumer', to);
      await waitFor(`the consumer's sidecar did not take key generation ${to}`, () => current() === to, signal);
      await gateway.gateway.reload(); // it polls the published certificates anyway; this is just sooner
      await sleep(POLICY_REFRESH_WAIT_MS); // the producer's sidecar fetches the recipients' certificates again
      const afterText = `put after the rotation, sealed for generation ${to}`;
      const after = await putMessage(endpoints.sidecars.producer, queue, afterText);
      const afterId = messageIdOf(after);
      if (after.status !== 201 || afterId === undefined) throw new Error(`the producer's put answered ${replySummary(after)}`);
      const stored = await driver.browse(queue, { messageId: afterId });
      const generations = [files.generation('consumer', from), files.generation('consumer', to)].filter((g) => g !== undefined);
      await sleep(SETTLE_MS);
      return { afterText, sealedFor: stored === null ? undefined : openingGeneration(stored.body, generations) };
    });
    if (!trafficOk(report)) return failed(`traffic on ${DEMO_QUEUES.privacy}: ${trafficFailure(report)}`);
    if (result.sealedFor !== to) return failed(`the message put after the rotation is sealed for generation ${result.sealedFor ?? 'none of the consumer\'s'}, not ${to}`);
    const got = [await getMessage(endpoints.sidecars.consumer, queue, 5000), await getMessage(endpoints.sidecars.consumer, queue, 5000)];
    const texts = got.map((r) => (r.status === 200 ? r.text : `(${replySummary(r)})`));
    if (texts[0] !== beforeText || texts[1] !== result.afterText) return failed(`the consumer got ${texts.join(' and ')} from ${queue}`);
    return passed(`consumer key generation ${from} → ${to}, traffic on ${DEMO_QUEUES.privacy}: ${trafficSummary(report)}; ${queue}: messages sealed for generation ${from} (queued before) and ${to} (after) both opened`);
  },
};

export const svidRotationStep: ScenarioStep = {
  title: 'SVID rotation under traffic',
  async run({ deployment, files, signal }) {
    const { endpoints, sidecars, gateway } = deployment;
    const fingerprints = () => [gateway.gateway.identity().fingerprint, sidecars.producer.identity().fingerprint, sidecars.consumer.identity().fingerprint];
    const old = fingerprints();
    const { report } = await withTraffic(endpoints.sidecars, DEMO_QUEUES.integrity, 'svid rotation', signal, async () => {
      await sleep(SETTLE_MS);
      for (const name of ['gateway', 'producer', 'consumer'] as const) await files.issueSvid(name);
      await waitFor('not every component took its new SVID', () => fingerprints().every((f, i) => f !== old[i]), signal);
      await sleep(SETTLE_MS);
    });
    if (!trafficOk(report)) return failed(`traffic on ${DEMO_QUEUES.integrity}: ${trafficFailure(report)}`);
    return passed(`new SVIDs for gateway, producer and consumer taken without a restart, traffic on ${DEMO_QUEUES.integrity}: ${trafficSummary(report)}`);
  },
};
