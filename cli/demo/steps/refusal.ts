// Step 2: a workload with a valid SVID of the trust domain, but whose namespace the channel
// rules map to a principal without authority on the queue, tries a put through its own
// sidecar: the gateway refuses it with MQRC 2035 (MQRC_NOT_AUTHORIZED) and stores nothing.
import { putMessage, reasonCodeOf, replySummary } from '../app-client.ts';
import { DEMO_QUEUES, spiffeIdOf } from '../demo-layout.ts';
import { failed, passed, type ScenarioStep } from '../step.ts';

const MQRC_NOT_AUTHORIZED = 2035;

export const refusalStep: ScenarioStep = {
  title: 'unauthorized identity refused',
  async run({ deployment }) {
    const queue = DEMO_QUEUES.plain;
    const intruder = deployment.sidecars.intruder.url as string;
    const before = (await deployment.driver.browseList(queue)).length;
    const reply = await putMessage(intruder, queue, 'transfer everything to the intruder');
    const refusal = `${spiffeIdOf('intruder')} put to ${queue}: ${replySummary(reply)}`;
    if (reply.status !== 403 || reasonCodeOf(reply) !== MQRC_NOT_AUTHORIZED) return failed(`${refusal}; expected 403 MQRC ${MQRC_NOT_AUTHORIZED}`);
    const after = (await deployment.driver.browseList(queue)).length;
    if (after !== before) return failed(`${refusal}, yet ${after - before} message(s) were stored`);
    return passed(`${refusal}; nothing stored`);
  },
};
