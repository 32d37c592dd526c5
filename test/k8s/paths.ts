// Where the Kubernetes test tools live: the binaries built by build.sh and the clusters' state,
// all under the gitignored .cache/k8s of the checkout (QSHIELD_K8S_CACHE overrides it).
import { accessSync, constants, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The root of this checkout. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** The commands build.sh produces. */
export const K8S_TOOLS = ['kube-apiserver', 'kubectl', 'etcd', 'helm'] as const;
export type K8sTool = (typeof K8S_TOOLS)[number];

/** Paths of the Kubernetes test tools and of the clusters started from them. */
export interface K8sPaths {
  readonly cache: string;
  readonly bin: string;
  /** The cluster of `npm run k8s:up`: its directory, state file and kubeconfig. */
  readonly upDir: string;
  readonly upState: string;
  readonly upKubeconfig: string;
  /** Per-run directories of the clusters test runs start themselves. */
  readonly runs: string;
}

/** Resolves the paths from the environment (QSHIELD_K8S_CACHE) or the checkout's `.cache/k8s`. */
export function k8sPaths(env: Record<string, string | undefined> = process.env): K8sPaths {
  const cache = resolve(env['QSHIELD_K8S_CACHE'] ?? join(REPO_ROOT, '.cache', 'k8s'));
  return {
    cache,
    bin: join(cache, 'bin'),
    upDir: join(cache, 'up'),
    upState: join(cache, 'up', 'cluster.json'),
    upKubeconfig: join(cache, 'kubeconfig'),
    runs: join(cache, 'runs'),
  };
}

/** The absolute path of one built tool. */
export function toolPath(paths: K8sPaths, tool: K8sTool): string {
  return join(paths.bin, tool);
}

/**
 * Says why the tools cannot be used, or undefined when all four are built and executable.
 * Cheap (a few stat calls), so test runs that never touch Kubernetes can afford it.
 */
export function missingTools(paths: K8sPaths): string | undefined {
  const missing = K8S_TOOLS.filter((tool) => {
    try {
      accessSync(toolPath(paths, tool), constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return undefined;
  return `Kubernetes test tools not built (${missing.join(', ')} missing in ${paths.bin}); run \`npm run k8s:build\``;
}

/** The last `lines` lines of a log file, for error messages; empty when it cannot be read. */
export function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
