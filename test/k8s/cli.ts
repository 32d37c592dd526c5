// `npm run k8s:up` / `k8s:down` / `k8s:status`: a test cluster that outlives the command, for
// working by hand (kubectl --kubeconfig .cache/k8s/kubeconfig) and for test runs to reuse.
import { rm } from 'node:fs/promises';
import { isRunning, readClusterInfo, startCluster, stopCluster } from './cluster.ts';
import { k8sPaths, missingTools, toolPath } from './paths.ts';

const paths = k8sPaths(process.env);

async function up(): Promise<number> {
  const existing = await readClusterInfo(paths.upDir);
  if (existing !== undefined) {
    if (await isRunning(existing)) {
      console.log(`k8s: already up at ${existing.server}; kubeconfig ${existing.kubeconfig}`);
      return 0;
    }
    console.log('k8s: a previous cluster is not healthy; stopping what is left of it');
    await stopCluster(existing);
  }
  const missing = missingTools(paths);
  if (missing !== undefined) {
    console.error(`k8s: ${missing}`);
    return 1;
  }
  const started = Date.now();
  const cluster = await startCluster({ paths, dir: paths.upDir, kubeconfig: paths.upKubeconfig, detached: true });
  try {
    await cluster.ready;
  } catch (error) {
    await stopCluster(cluster);
    throw error;
  }
  console.log(`k8s: up at ${cluster.server} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`k8s: kubectl --kubeconfig ${cluster.kubeconfig} (${toolPath(paths, 'kubectl')})`);
  console.log(`k8s: logs in ${cluster.logDir}; stop with npm run k8s:down`);
  return 0;
}

async function down(): Promise<number> {
  const info = await readClusterInfo(paths.upDir);
  if (info === undefined) {
    console.log('k8s: no cluster is up');
    return 0;
  }
  await stopCluster(info);
  await rm(paths.upKubeconfig, { force: true });
  console.log(`k8s: stopped ${info.server}; data removed, logs kept in ${info.logDir}`);
  return 0;
}

async function status(): Promise<number> {
  const info = await readClusterInfo(paths.upDir);
  if (info !== undefined && (await isRunning(info))) {
    console.log(`k8s: up at ${info.server} since ${info.startedAt}; kubeconfig ${info.kubeconfig}`);
    return 0;
  }
  console.log(info === undefined ? 'k8s: no cluster is up' : 'k8s: a cluster was started but is not healthy (npm run k8s:down)');
  return 1;
}

const commands: Record<string, () => Promise<number>> = { up, down, status };
const command = commands[process.argv[2] ?? ''];
if (command === undefined) {
  console.error('usage: node test/k8s/cli.ts up|down|status');
  process.exitCode = 2;
} else {
  process.exitCode = await command();
}
