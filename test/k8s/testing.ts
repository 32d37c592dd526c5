// The Kubernetes side of an integration test file: `const k8s = useKubernetes()` at the top of
// the file waits for the run's API server, gives the file its own namespace and removes it after.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { ApiConstructor, ApiType } from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';
import { waitUntil } from './processes.ts';
import { FAILED_MARKER, READY_MARKER } from './provided.ts';
import type { ProvidedK8s } from './provided.ts';
import { runTool } from './tools.ts';
import type { ToolOptions, ToolResult } from './tools.ts';

/** What a test file gets from useKubernetes(); valid from its beforeAll on. */
export interface KubernetesTestContext {
  /** Admin kubeconfig file (client certificate of group system:masters). */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** A KubeConfig loaded from `kubeconfig`. */
  readonly kc: KubeConfig;
  /** This file's namespace, created empty with a `default` ServiceAccount. */
  readonly namespace: string;
  /** An API client of `type` for the admin user. */
  api<T extends ApiType>(type: ApiConstructor<T>): T;
  /** Runs the built kubectl with KUBECONFIG set to the admin kubeconfig. */
  kubectl(args: readonly string[], options?: ToolOptions): Promise<ToolResult>;
  /** Runs the built helm with KUBECONFIG set to the admin kubeconfig. */
  helm(args: readonly string[], options?: ToolOptions): Promise<ToolResult>;
}

// A loaded or CI-cold machine may take this long to bring kube-apiserver up.
const READY_TIMEOUT_MS = 240_000;

/**
 * Registers the hooks that connect this test file to the run's Kubernetes API.
 * @throws Error (in beforeAll, failing the file's tests) when the tools are not built or the API
 * server did not come up; the message names the log to read.
 */
export function useKubernetes(): KubernetesTestContext {
  let state: { provided: Extract<ProvidedK8s, { status: 'started' }>; kc: KubeConfig; namespace: string } | undefined;
  const current = (): NonNullable<typeof state> => {
    if (state === undefined) throw new Error('useKubernetes(): the cluster is only available inside tests and hooks');
    return state;
  };

  // Vitest reads the hook's first parameter as a fixture pattern, so it must be destructured.
  // eslint-disable-next-line no-empty-pattern
  beforeAll(async ({}, suite) => {
    const provided = inject('qshieldK8s');
    if (provided.status === 'unavailable') throw new Error(provided.reason);
    await waitForCluster(provided.runDir);
    const kc = new KubeConfig();
    kc.loadFromFile(provided.kubeconfig);
    const file = 'filepath' in suite ? suite.filepath : suite.file.filepath;
    const namespace = namespaceFor(file);
    await kc.makeApiClient(CoreV1Api).createNamespace({
      body: { metadata: { name: namespace, labels: { 'qshield.dev/test-file': labelValue(basename(file)) } } },
    });
    // No controller-manager runs, so nothing creates the `default` ServiceAccount pods need.
    await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } });
    state = { provided, kc, namespace };
  }, READY_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    if (state === undefined) return;
    // Without a controller-manager the namespace stays Terminating; its name is never reused.
    const { kc, namespace } = state;
    state = undefined;
    try {
      await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
    } catch (error) {
      // A test that deleted its namespace itself is fine; anything else is reported.
      if (!(error instanceof ApiException && error.code === 404)) throw error;
    }
  });

  const env = (): Record<string, string> => ({ KUBECONFIG: current().provided.kubeconfig });
  return {
    get kubeconfig() {
      return current().provided.kubeconfig;
    },
    get server() {
      return current().provided.server;
    },
    get kc() {
      return current().kc;
    },
    get namespace() {
      return current().namespace;
    },
    api: (type) => current().kc.makeApiClient(type),
    kubectl: (args, options = {}) => runTool(current().provided.bin, 'kubectl', args, { ...options, env: { ...env(), ...options.env } }),
    helm: (args, options = {}) => runTool(current().provided.bin, 'helm', args, { ...options, env: { ...env(), ...options.env } }),
  };
}

async function waitForCluster(runDir: string): Promise<void> {
  await waitUntil(() => {
    const failed = join(runDir, FAILED_MARKER);
    if (existsSync(failed)) throw new Error(`the test Kubernetes API did not come up: ${readFileSync(failed, 'utf8')}`);
    return existsSync(join(runDir, READY_MARKER));
  }, READY_TIMEOUT_MS, 'the test Kubernetes API is not ready', 100);
}

/** `t-<file>-<random>`: readable in kubectl output, unique across runs sharing a k8s:up cluster. */
function namespaceFor(file: string): string {
  const stem = basename(file).replace(/\.(int|e2e)\.test\.ts$|\.ts$/, '');
  const slug = stem.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
  return `t-${slug}-${randomBytes(3).toString('hex')}`;
}

function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
