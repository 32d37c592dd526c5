// The demo's files, written as the operator would write them: a CA directory (lib/identity, as
// `qshield ca init`), an X.509-SVID per workload and for the gateway, message keyrings and the
// published message certificates, the policy bundle and the components' configuration files.
// Later writes (rotations) replace files atomically, key before certificate, so that a reader
// polling the files never takes a certificate without its key.
import type { KeyObject } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { AppError } from '../../lib/errors/index.ts';
import {
  CertificateAuthority, generateKeyPair, privateKeyToPem, writeCaDirectory, CA_FILES, type IssuedSvid,
} from '../../lib/identity/index.ts';
import { writeFileAtomic } from '../identity-io.ts';
import type { CliIo } from '../io.ts';
import {
  DEMO_CHANNEL, DEMO_TRUST_DOMAIN, DEMO_WORKLOADS, demoPaths, demoPolicyBundle, spiffeIdOf,
  type DemoIdentity, type DemoPaths, type DemoWorkload,
} from './demo-layout.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Transport SVIDs are short-lived (DESIGN.md, Identity); the demo renews them at half-life. */
export const SVID_TTL_MS = 60 * MINUTE;
/** Message certificates outlive SVIDs: they must still open messages queued for days. */
const MESSAGE_CERT_TTL_MS = 30 * DAY;

export interface MessageKeyGeneration {
  readonly generation: number;
  readonly certificate: IssuedSvid;
  readonly key: KeyObject;
}

export interface DemoFiles {
  readonly paths: DemoPaths;
  readonly ca: CertificateAuthority;
  /** Issues a new SVID with a new key and writes it to `identities/<name>.crt|.key`. */
  issueSvid(name: DemoIdentity): Promise<IssuedSvid>;
  /**
   * Adds message key generation `n` to a workload's keyring and publishes its certificate to
   * the gateway; its validity starts now, so senders switch to it at their next policy refresh.
   */
  addGeneration(name: DemoWorkload, n: number): Promise<MessageKeyGeneration>;
  generation(name: DemoWorkload, n: number): MessageKeyGeneration | undefined;
  /** Writes a JSON file (a configuration, endpoints.json), creating its directory. */
  writeJson(path: string, value: unknown, mode?: number): Promise<void>;
}

/**
 * Makes sure the directory exists and holds nothing: the demo writes a fresh CA and keys, and
 * never overwrites a file a user may care about.
 * @throws AppError ERR_DEMO_DIR_IN_USE, ERR_FILE_IO.
 */
export async function claimDemoDirectory(root: string): Promise<void> {
  let entries: string[];
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
    entries = await readdir(root);
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot create the demo directory ${root}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err, details: { path: root } });
  }
  if (entries.length > 0) {
    const what = entries.includes('endpoints.json') || entries.includes('ca') ? 'an earlier demo' : `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`;
    throw new AppError('ERR_DEMO_DIR_IN_USE', `${root} already holds ${what}; the demo writes a new CA and keys and never overwrites files: remove it or give a new or empty directory`, { details: { path: root } });
  }
}

/** Creates the CA, the SVIDs and the first message key generation of every workload. */
export async function createDemoFiles(root: string, io: CliIo): Promise<DemoFiles> {
  const paths = demoPaths(root);
  const ca = await CertificateAuthority.create({ trustDomain: DEMO_TRUST_DOMAIN });
  await writeCaDirectory(paths.ca, ca);
  for (const dir of [paths.identities, paths.messageCertificates, ...DEMO_WORKLOADS.map((w) => paths.keyring(w))]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  const generations = new Map<string, MessageKeyGeneration>();

  const files: DemoFiles = {
    paths,
    ca,
    async issueSvid(name) {
      const keys = await generateKeyPair();
      // The gateway's SVID also names localhost, so that curl can check it by host name.
      const svid = ca.issue({ spiffeId: spiffeIdOf(name), publicKey: keys.publicKey, ttlMs: SVID_TTL_MS, ...(name === 'gateway' ? { dnsNames: ['localhost'] } : {}) });
      await writeFileAtomic(io, paths.identityKey(name), privateKeyToPem(keys.privateKey), 0o600);
      await writeFileAtomic(io, paths.identityCert(name), svid.chainPem, 0o644);
      return svid;
    },
    async addGeneration(name, n) {
      const keys = await generateKeyPair();
      // Back-dated by the CA's default would tie with the previous generation's start; starting
      // now makes it the newest, which the gateway hands to senders.
      const certificate = ca.issue({ spiffeId: spiffeIdOf(name), publicKey: keys.publicKey, ttlMs: MESSAGE_CERT_TTL_MS, now: new Date(Date.now() + 5 * MINUTE) });
      await writeFileAtomic(io, join(paths.keyring(name), `gen-${n}.key`), privateKeyToPem(keys.privateKey), 0o600);
      await writeFileAtomic(io, join(paths.keyring(name), `gen-${n}.crt`), certificate.chainPem, 0o644);
      await writeFileAtomic(io, join(paths.messageCertificates, `${name}-gen-${n}.crt`), certificate.chainPem, 0o644);
      const generation = { generation: n, certificate, key: keys.privateKey };
      generations.set(`${name}/${n}`, generation);
      return generation;
    },
    generation: (name, n) => generations.get(`${name}/${n}`),
    async writeJson(path, value, mode = 0o644) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode });
    },
  };

  for (const name of ['gateway', ...DEMO_WORKLOADS] as const) await files.issueSvid(name);
  for (const name of DEMO_WORKLOADS) await files.addGeneration(name, 1);
  await files.writeJson(paths.policyBundle, demoPolicyBundle());
  return files;
}

/** A path as a configuration file beside `configFile` names it: relative, so the directory can move. */
function rel(configFile: string, path: string): string {
  return relative(dirname(configFile), path);
}

export interface GatewayConfigInput {
  /** The broker section of the gateway configuration. */
  readonly broker: Record<string, unknown>;
  readonly logLevel: string;
}

/** The gateway's configuration file (docs/gateway-config.md), as the operator would render it. */
export function gatewayConfigFile(paths: DemoPaths, input: GatewayConfigInput): Record<string, unknown> {
  const at = (p: string) => rel(paths.gatewayConfig, p);
  return {
    apiVersion: 'qshield.io/gateway-config/v1alpha1',
    kind: 'GatewayConfig',
    listen: { host: '127.0.0.1', port: 0 },
    identity: { certificateFile: at(paths.identityCert('gateway')), keyFile: at(paths.identityKey('gateway')), trustBundleFile: at(join(paths.ca, CA_FILES.bundle)) },
    policyBundleFile: at(paths.policyBundle),
    messageCertificatesDir: at(paths.messageCertificates),
    defaultChannel: DEMO_CHANNEL,
    broker: input.broker,
    admin: { host: '127.0.0.1', port: 0 },
    reloadInterval: '250ms',
    drainTimeout: '2s',
    log: { level: input.logLevel },
  };
}

/** A workload sidecar's configuration file (docs/sidecar-config.md). */
export function sidecarConfigFile(paths: DemoPaths, name: DemoWorkload, gatewayUrl: string, logLevel: string): Record<string, unknown> {
  const at = (p: string) => rel(paths.sidecarConfig(name), p);
  return {
    apiVersion: 'qshield.io/sidecar-config/v1alpha1',
    kind: 'SidecarConfig',
    listen: { host: '127.0.0.1', port: 0 },
    gateway: { url: gatewayUrl, spiffeId: spiffeIdOf('gateway'), channel: DEMO_CHANNEL },
    identity: { certificateFile: at(paths.identityCert(name)), keyFile: at(paths.identityKey(name)), trustBundleFile: at(join(paths.ca, CA_FILES.bundle)) },
    messageKeyring: { dir: at(paths.keyring(name)) },
    // Short intervals so that the scenario's rotations take effect within a second or two.
    policyRefreshInterval: '1s',
    reloadInterval: '250ms',
    admin: { host: '127.0.0.1', port: 0 },
    drainTimeout: '2s',
    log: { level: logLevel },
  };
}
