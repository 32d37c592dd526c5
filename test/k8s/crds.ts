// Installs the project's CustomResourceDefinitions (crds/*.yaml) into a test cluster with the
// built kubectl, and waits until the API server serves them.
import { readdir } from 'node:fs/promises';
import type { K8sPaths } from './paths.ts';
import { runTool } from './tools.ts';

export interface InstallCrdsOptions {
  readonly paths: K8sPaths;
  readonly kubeconfig: string;
  readonly crdDir: string;
}

/**
 * Applies every YAML file of `crdDir` (server-side, so repeated runs update them) and waits for
 * each CRD to be Established. Returns how many files were applied; 0 when there is no such dir.
 * @throws Error with kubectl's output when applying or waiting fails.
 */
export async function installCrds(options: InstallCrdsOptions): Promise<number> {
  let files: string[];
  try {
    files = (await readdir(options.crdDir)).filter((name) => /\.ya?ml$/.test(name));
  } catch {
    return 0;
  }
  if (files.length === 0) return 0;
  const env = { KUBECONFIG: options.kubeconfig };
  const applied = await runTool(options.paths.bin, 'kubectl', [
    'apply', '--server-side', '--force-conflicts', '--field-manager=qshield-tests', '-f', options.crdDir,
  ], { env });
  if (applied.code !== 0) throw new Error(`kubectl apply -f ${options.crdDir} failed:\n${applied.stderr}${applied.stdout}`);
  const established = await runTool(options.paths.bin, 'kubectl', [
    'wait', '--for=condition=Established', '--timeout=60s', '-f', options.crdDir,
  ], { env });
  if (established.code !== 0) {
    throw new Error(`CRDs from ${options.crdDir} not established:\n${established.stderr}${established.stdout}`);
  }
  return files.length;
}
