// What the local demo deploys: its trust domain, queue manager, queues, workloads and their
// SPIFFE ids, the policy bundle the gateway enforces, and where each file goes in the demo
// directory (docs/demo.md). Pure data: nothing here touches the disk.
import { join } from 'node:path';
import { ERROR_QUEUE } from '../../sidecar/error-queue/error-queue-message.ts';

export const DEMO_TRUST_DOMAIN = 'demo.qshield.local';
export const DEMO_QMGR = 'DEMO';
export const DEMO_CHANNEL = 'demo-apps';

/** One queue per quality of protection: the keys of endpoints.json's `queues`. */
export const DEMO_QUEUES = {
  plain: 'DEMO.PLAIN',
  integrity: 'DEMO.INTEGRITY',
  privacy: 'DEMO.PRIVACY',
  confidentiality: 'DEMO.CONFIDENTIALITY',
} as const;

export type DemoQueueKind = keyof typeof DEMO_QUEUES;

/** Depth of the demo's error queue (declared in its bundle, so every run declares it alike). */
export const DEMO_ERROR_QUEUE_DEPTH = 1000;

/** The workloads that get an SVID; `intruder` is the one the channel rules map to no authority. */
export const DEMO_WORKLOADS = ['producer', 'consumer', 'intruder'] as const;
export type DemoWorkload = (typeof DEMO_WORKLOADS)[number];
export type DemoIdentity = DemoWorkload | 'gateway';

export function spiffeIdOf(name: DemoIdentity): string {
  // The intruder lives in another namespace: a real SVID of the trust domain, but its
  // namespace is mapped to a principal that holds no authority on any queue.
  const ns = name === 'intruder' ? 'guest' : name === 'gateway' ? 'qshield' : 'demo';
  return `spiffe://${DEMO_TRUST_DOMAIN}/ns/${ns}/sa/${name}`;
}

/** Where the demo keeps its files, below the demo directory. */
export function demoPaths(root: string) {
  return {
    root,
    ca: join(root, 'ca'),
    identities: join(root, 'identities'),
    identityCert: (name: DemoIdentity) => join(root, 'identities', `${name}.crt`),
    identityKey: (name: DemoIdentity) => join(root, 'identities', `${name}.key`),
    endpoints: join(root, 'endpoints.json'),
    gateway: join(root, 'gateway'),
    gatewayConfig: join(root, 'gateway', 'gateway.json'),
    policyBundle: join(root, 'gateway', 'policy-bundle.json'),
    messageCertificates: join(root, 'gateway', 'message-certificates'),
    workload: (name: DemoWorkload) => join(root, 'workloads', name),
    sidecarConfig: (name: DemoWorkload) => join(root, 'workloads', name, 'sidecar.json'),
    keyring: (name: DemoWorkload) => join(root, 'workloads', name, 'message-keyring'),
    log: join(root, 'demo.log'),
  };
}

export type DemoPaths = ReturnType<typeof demoPaths>;

/** The policy bundle: who may connect (channel rules), what they may do (authorities), how each queue is protected. */
export function demoPolicyBundle(): Record<string, unknown> {
  const producer = spiffeIdOf('producer');
  const consumer = spiffeIdOf('consumer');
  return {
    apiVersion: 'qshield.io/policy-bundle/v1alpha1',
    revision: 'demo/1',
    queueManagerName: DEMO_QMGR,
    trustDomain: DEMO_TRUST_DOMAIN,
    queues: [
      ...Object.values(DEMO_QUEUES).map((name) => ({ name })),
      { name: ERROR_QUEUE, maxDepth: DEMO_ERROR_QUEUE_DEPTH },
    ],
    topics: [],
    authorities: [
      { principal: 'demo-apps', objectType: 'qmgr', permissions: ['connect', 'inq'] },
      { principal: 'demo-apps', objectType: 'queue', profile: 'DEMO.**', permissions: ['put', 'get', 'browse', 'inq'] },
      { principal: 'guests', objectType: 'qmgr', permissions: ['connect'] },
    ],
    channels: [{
      name: DEMO_CHANNEL,
      rules: [
        { peer: `spiffe://${DEMO_TRUST_DOMAIN}/ns/demo/sa/*`, action: 'map', principal: 'demo-apps' },
        { peer: `spiffe://${DEMO_TRUST_DOMAIN}/ns/guest/sa/*`, action: 'map', principal: 'guests' },
      ],
    }],
    protectionPolicies: [
      { name: 'integrity', queue: DEMO_QUEUES.integrity, qualityOfProtection: 'Integrity', authorizedSigners: [producer] },
      { name: 'privacy', queue: DEMO_QUEUES.privacy, qualityOfProtection: 'Privacy', authorizedSigners: [producer], recipients: [consumer] },
      { name: 'confidentiality', queue: DEMO_QUEUES.confidentiality, qualityOfProtection: 'Confidentiality', recipients: [consumer], keyReuse: { count: 32, maxAgeSeconds: 300 } },
    ],
  };
}

/** `endpoints.json`: what a user (or a test) needs to talk to the running demo. */
export interface DemoEndpoints {
  readonly qmgr: string;
  readonly trustDomain: string;
  readonly gateway: string;
  readonly sidecars: { readonly producer: string; readonly consumer: string };
  readonly queues: typeof DEMO_QUEUES;
}
