// The certificates and keys of a test cluster: a CA, the API server's serving certificate, an
// admin client certificate (group system:masters) and the service-account signing key pair.
// Keys come from node:crypto; certificates are signed by the openssl CLI (node cannot issue them).
import { execFile } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const newKeyPair = promisify(generateKeyPair);

/** Files of a cluster's PKI, all PEM. */
export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  /** Service-account token signing key (private) and its public key for verification. */
  readonly saKey: string;
  readonly saPub: string;
}

/** Names the API server's serving certificate answers to, inside and outside the cluster. */
const SERVING_SANS = [
  'IP:127.0.0.1',
  'IP:10.0.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

// Long enough for a cluster left up by `npm run k8s:up` over a working week.
const DAYS = '30';

async function writeKeyPair(keyFile: string, pubFile?: string): Promise<void> {
  const { privateKey, publicKey } = await newKeyPair('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  await writeFile(keyFile, privateKey, { mode: 0o600 });
  if (pubFile !== undefined) await writeFile(pubFile, publicKey);
}

function opensslConfig(subject: Record<string, string>, extensions: Record<string, string>): string {
  const dn = Object.entries(subject).map(([k, v]) => `${k} = ${v}`);
  const ext = Object.entries(extensions).map(([k, v]) => `${k} = ${v}`);
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', ...dn, '[ext]', ...ext, ''].join('\n');
}

async function issue(
  dir: string,
  name: string,
  subject: Record<string, string>,
  extensions: Record<string, string>,
  ca?: { cert: string; key: string },
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const config = join(dir, `${name}.cnf`);
  await writeKeyPair(key);
  await writeFile(config, opensslConfig(subject, extensions));
  const signer = ca === undefined ? [] : ['-CA', ca.cert, '-CAkey', ca.key];
  await run('openssl', ['req', '-x509', '-new', '-key', key, '-config', config, '-extensions', 'ext', '-days', DAYS, ...signer, '-out', cert]);
  return { cert, key };
}

/**
 * Writes a fresh PKI for one cluster into `dir`.
 * @throws Error when openssl fails (its stderr is in the message).
 */
export async function makeClusterPki(dir: string): Promise<ClusterPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const saKey = join(dir, 'service-account.key');
  const saPub = join(dir, 'service-account.pub');
  const [ca] = await Promise.all([
    issue(dir, 'ca', { CN: 'qshield-test-kubernetes-ca' }, {
      basicConstraints: 'critical,CA:TRUE',
      keyUsage: 'critical,keyCertSign,cRLSign',
      subjectKeyIdentifier: 'hash',
    }),
    writeKeyPair(saKey, saPub),
  ]);
  const [serving, admin] = await Promise.all([
    issue(dir, 'apiserver', { CN: 'kube-apiserver' }, {
      basicConstraints: 'critical,CA:FALSE',
      keyUsage: 'critical,digitalSignature',
      extendedKeyUsage: 'serverAuth',
      subjectAltName: SERVING_SANS.join(','),
    }, ca),
    // system:masters is bound to cluster-admin by the API server's bootstrap RBAC policy.
    issue(dir, 'admin', { O: 'system:masters', CN: 'qshield-admin' }, {
      basicConstraints: 'critical,CA:FALSE',
      keyUsage: 'critical,digitalSignature',
      extendedKeyUsage: 'clientAuth',
    }, ca),
  ]);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    servingCert: serving.cert,
    servingKey: serving.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    saKey,
    saPub,
  };
}
