// Vitest global setup of the integration project: one Kubernetes API per run, either the one
// `npm run k8s:up` left running or a fresh one it starts and stops. It does not wait for the API
// server: test files that use Kubernetes wait in useKubernetes(), the others start at once.
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import type { Cluster, ClusterInfo } from './cluster.ts';
import { isRunning, readClusterInfo, startCluster, stopCluster } from './cluster.ts';
import { installCrds } from './crds.ts';
import { k8sPaths, missingTools, REPO_ROOT } from './paths.ts';
import type { K8sPaths } from './paths.ts';
import { isAlive } from './processes.ts';
import { FAILED_MARKER, READY_MARKER } from './provided.ts';
import type { ProvidedK8s } from './provided.ts';

// Old run directories only hold logs by then; a few are kept for looking back at failures.
const KEEP_RUNS = 5;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const paths = k8sPaths(process.env);
  const missing = missingTools(paths);
  if (missing !== undefined) {
    // Files that use Kubernetes fail with this reason; the others still run.
    project.provide('qshieldK8s', { status: 'unavailable', reason: missing });
    return async () => {};
  }
  await mkdir(paths.runs, { recursive: true });
  await cleanUpRuns(paths);
  const runDir = join(paths.runs, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  await mkdir(runDir, { recursive: true });

  const started = Date.now();
  let own: Cluster | undefined;
  let cluster: ClusterInfo;
  const up = await readClusterInfo(paths.upDir);
  if (up !== undefined && (await isRunning(up))) {
    cluster = up;
    console.log(`k8s: using the cluster of npm run k8s:up at ${up.server}`);
  } else {
    try {
      own = await startCluster({ paths, dir: runDir });
    } catch (error) {
      // As with missing tools: the files that use Kubernetes fail with the reason, the rest run.
      project.provide('qshieldK8s', { status: 'unavailable', reason: error instanceof Error ? error.message : String(error) });
      return async () => {};
    }
    cluster = own;
    console.log(`k8s: starting etcd and kube-apiserver at ${own.server} (logs in ${own.logDir})`);
  }

  // Readiness and the CRDs are reported through marker files, which test workers poll.
  void (async () => {
    try {
      await own?.ready;
      const crds = await installCrds({ paths, kubeconfig: cluster.kubeconfig, crdDir: join(REPO_ROOT, 'crds') });
      await writeFile(join(runDir, READY_MARKER), `${Date.now() - started}\n`);
      const what = crds === 0 ? '' : `, ${crds} CRD file(s) installed`;
      console.log(`k8s: API server ready after ${((Date.now() - started) / 1000).toFixed(1)} s${what}`);
    } catch (error) {
      await writeFile(join(runDir, FAILED_MARKER), error instanceof Error ? error.message : String(error));
    }
  })();

  const provided: ProvidedK8s = {
    status: 'started',
    runDir,
    server: cluster.server,
    kubeconfig: cluster.kubeconfig,
    bin: paths.bin,
    reused: own === undefined,
  };
  project.provide('qshieldK8s', provided);

  return async () => {
    if (own !== undefined) await stopCluster(own);
  };
}

/** Stops clusters whose test run died without its teardown, and prunes old run directories. */
async function cleanUpRuns(paths: K8sPaths): Promise<void> {
  const entries = await readdir(paths.runs);
  const dirs = await Promise.all(
    entries.map(async (name) => {
      const dir = join(paths.runs, name);
      return { dir, mtime: (await stat(dir)).mtimeMs, info: await readClusterInfo(dir) };
    }),
  );
  for (const { info } of dirs) {
    if (info?.owner != null && !isAlive(info.owner)) await stopCluster(info);
  }
  const idle = dirs
    .filter(({ info }) => info === undefined || info.owner === null || !isAlive(info.owner))
    .sort((a, b) => b.mtime - a.mtime);
  await Promise.all(idle.slice(KEEP_RUNS).map(({ dir }) => rm(dir, { recursive: true, force: true })));
}
