// Starts and stops a real etcd + kube-apiserver on free 127.0.0.1 ports (envtest style: no
// kubelet, scheduler or controller-manager), with RBAC, client-certificate and service-account
// token authentication, and writes an admin kubeconfig. Shared by npm run k8s:up and vitest.
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import type { K8sPaths } from './paths.ts';
import { logTail, toolPath } from './paths.ts';
import { makeClusterPki } from './pki.ts';
import type { ClusterPki } from './pki.ts';
import type { Service } from './processes.ts';
import { freePort, isAlive, startService, stopPid, waitUntil } from './processes.ts';

/** The service-account token issuer; also the default audience of API tokens. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** What is needed to talk to, check and stop a running cluster; saved as `<dir>/cluster.json`. */
export interface ClusterInfo {
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly kubeconfig: string;
  readonly dir: string;
  readonly logDir: string;
  readonly pki: ClusterPki;
  readonly etcd: { readonly pid: number; readonly binary: string; readonly url: string };
  readonly apiserver: { readonly pid: number; readonly binary: string };
  /** The process that owns the cluster and stops it; null for a detached cluster (k8s:up). */
  readonly owner: number | null;
  readonly startedAt: string;
}

/** A cluster started by this process. */
export interface Cluster extends ClusterInfo {
  /** Resolves when /readyz answers ok; rejects (with the log's tail) if the API server dies. */
  readonly ready: Promise<void>;
}

export interface StartOptions {
  readonly paths: K8sPaths;
  /** The cluster's own directory: pki/, etcd/ (data), logs/, cluster.json, kubeconfig. */
  readonly dir: string;
  /** Where to write the kubeconfig; `<dir>/kubeconfig` by default. */
  readonly kubeconfig?: string;
  /** Run the services in their own process group so they outlive this process. */
  readonly detached?: boolean;
  /** How long to wait for the API server; 180 s by default (2 busy cores are slow). */
  readonly readyTimeoutMs?: number;
}

const CLUSTER_FILE = 'cluster.json';

/**
 * Starts etcd, waits for it, starts kube-apiserver and writes the kubeconfig. Returns without
 * waiting for the API server: await `ready` for that (so callers can overlap other work).
 * @throws Error when etcd does not come up after three attempts with fresh ports.
 */
export async function startCluster(options: StartOptions): Promise<Cluster> {
  const { paths, dir } = options;
  const detached = options.detached ?? false;
  const logDir = join(dir, 'logs');
  await Promise.all([join(dir, 'etcd'), logDir].map((path) => rm(path, { recursive: true, force: true })));
  await mkdir(logDir, { recursive: true });
  const pki = await makeClusterPki(join(dir, 'pki'));

  const etcdBinary = toolPath(paths, 'etcd');
  const etcdLog = join(logDir, 'etcd.log');
  let etcd: { service: Service; url: string } | undefined;
  for (let attempt = 1; etcd === undefined; attempt++) {
    const [clientPort, peerPort] = await Promise.all([freePort(), freePort()]);
    const url = `http://127.0.0.1:${clientPort}`;
    const service = startService(etcdBinary, etcdArgs(dir, clientPort, peerPort), etcdLog, detached);
    try {
      await waitUntil(async () => {
        if (service.exited() !== undefined) throw new Error(`etcd exited: ${JSON.stringify(service.exited())}`);
        return etcdHealthy(url);
      }, 30_000, 'etcd did not become healthy');
      etcd = { service, url };
    } catch (error) {
      await stopPid(service.pid, etcdBinary);
      if (attempt >= 3) {
        throw new Error(`etcd did not start (log ${etcdLog}):\n${logTail(etcdLog)}`, { cause: error });
      }
    }
  }

  const apiserverBinary = toolPath(paths, 'kube-apiserver');
  const apiserverLog = join(logDir, 'kube-apiserver.log');
  const securePort = await freePort();
  const server = `https://127.0.0.1:${securePort}`;
  const apiserver = startService(apiserverBinary, apiserverArgs(dir, pki, etcd.url, securePort), apiserverLog, detached);

  const kubeconfig = options.kubeconfig ?? join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigFor(server, pki), { mode: 0o600 });
  const info: ClusterInfo = {
    server,
    kubeconfig,
    dir,
    logDir,
    pki,
    etcd: { pid: etcd.service.pid, binary: etcdBinary, url: etcd.url },
    apiserver: { pid: apiserver.pid, binary: apiserverBinary },
    owner: detached ? null : process.pid,
    startedAt: new Date().toISOString(),
  };
  await writeFile(join(dir, CLUSTER_FILE), JSON.stringify(info, null, 2) + '\n');

  const timeoutMs = options.readyTimeoutMs ?? 180_000;
  const ready = waitUntil(async () => {
    const exit = apiserver.exited();
    if (exit !== undefined) {
      throw new Error(`kube-apiserver exited (${JSON.stringify(exit)}); log ${apiserverLog}:\n${logTail(apiserverLog)}`);
    }
    return isReady(info);
  }, timeoutMs, `kube-apiserver at ${server} not ready; log ${apiserverLog}`, 200);
  // A caller that never awaits `ready` (it stops the cluster first) must not see an unhandled rejection.
  ready.catch(() => {});
  return { ...info, ready };
}

/** Reads `<dir>/cluster.json`; undefined when there is none or it is unreadable. */
export async function readClusterInfo(dir: string): Promise<ClusterInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, CLUSTER_FILE), 'utf8')) as ClusterInfo;
  } catch {
    return undefined;
  }
}

/** Whether both processes still run and the API server answers /readyz. */
export async function isRunning(info: ClusterInfo): Promise<boolean> {
  return isAlive(info.etcd.pid, info.etcd.binary) && isAlive(info.apiserver.pid, info.apiserver.binary) && isReady(info);
}

/**
 * Stops the API server, then etcd, and removes the cluster's data, certificates, keys and
 * kubeconfig. The logs stay in `<dir>/logs` for the next look at a failure.
 */
export async function stopCluster(info: ClusterInfo): Promise<void> {
  await stopPid(info.apiserver.pid, info.apiserver.binary);
  await stopPid(info.etcd.pid, info.etcd.binary);
  await Promise.all(
    [join(info.dir, 'etcd'), join(info.dir, 'pki'), join(info.dir, CLUSTER_FILE), info.kubeconfig].map((path) =>
      rm(path, { recursive: true, force: true }),
    ),
  );
}

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=qshield-test',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=qshield-test=${peer}`,
    // Test data is thrown away: no fsync, a much faster etcd on a shared disk.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ];
}

function apiserverArgs(dir: string, pki: ClusterPki, etcdUrl: string, securePort: number): string[] {
  return [
    '--advertise-address=127.0.0.1',
    // Nothing routes to the `kubernetes` Service here, and the endpoint reconciler refuses a
    // loopback address anyway.
    '--endpoint-reconciler-type=none',
    '--bind-address=127.0.0.1',
    `--secure-port=${securePort}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--etcd-servers=${etcdUrl}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true',
    '--profiling=false',
  ];
}

function kubeconfigFor(server: string, pki: ClusterPki): string {
  const b64 = (file: string): string => readFileSync(file).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'qshield-test', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: 'qshield-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
    contexts: [{ name: 'qshield-test', context: { cluster: 'qshield-test', user: 'qshield-admin' } }],
    'current-context': 'qshield-test',
  };
  // JSON is YAML: kubectl, helm and client-node all read it.
  return JSON.stringify(config, null, 2) + '\n';
}

async function etcdHealthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as { health?: string };
    return response.ok && body.health === 'true';
  } catch {
    return false;
  }
}

/** GET /readyz as the admin user, trusting only the cluster's CA. */
function isReady(info: ClusterInfo): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${info.server}/readyz`, {
      ca: readFileSync(info.pki.caCert),
      cert: readFileSync(info.pki.adminCert),
      key: readFileSync(info.pki.adminKey),
      timeout: 2_000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
