// `qshield svid issue` makes an X.509-SVID from a CA directory (a new key, or a CSR);
// `qshield svid verify` checks a certificate chain against a trust bundle and prints its SPIFFE id.
import { parseArgs } from 'node:util';
import { parseDuration } from '../../lib/config/index.ts';
import {
  DEFAULT_KEY_TYPE, KEY_TYPES, generateKeyPair, loadCaDirectory, parseKeyType, parseSpiffeId, parseTrustBundle,
  privateKeyToPem, validateSvid, type KeyType, type SvidPurpose,
} from '../../lib/identity/index.ts';
import { UsageError } from '../errors.ts';
import { argument, readTextFile, resolvePath, writeFileAtomic } from '../identity-io.ts';
import { EXIT, type Command } from '../io.ts';
import { subcommand, usageOf } from '../subcommand.ts';

const ISSUE_USAGE = [
  `qshield svid issue --ca-dir DIR --spiffe-id ID [--key-type ${KEY_TYPES.join('|')}] [--ttl 1h] [--dns NAME]… --out PREFIX`,
  '                   [--csr FILE]',
  '',
  '  --ca-dir DIR      the CA directory (qshield ca init)',
  '  --spiffe-id ID    the workload\'s id, in the CA\'s trust domain: spiffe://<td>/ns/<ns>/sa/<sa>',
  `  --key-type TYPE   the new key's type (default ${DEFAULT_KEY_TYPE})`,
  '  --ttl DURATION    validity, e.g. 30m, 1h, 24h (default 1h; never past the intermediate\'s)',
  '  --dns NAME        a DNS name to add beside the SPIFFE id; repeat for more',
  '  --out PREFIX      writes PREFIX.crt (leaf, then intermediate) and PREFIX.key (mode 0600)',
  '  --csr FILE        certify the key of this PKCS#10 CSR instead of making one (writes only PREFIX.crt)',
].join('\n');

const VERIFY_USAGE = [
  'qshield svid verify --bundle FILE [--purpose client|server|both] [--trust-domain TD] CERT',
  '',
  '  --bundle FILE        trust bundle, PEM or SPIFFE JWKS (qshield bundle)',
  '  --purpose P          what the certificate must be good for (default both: mutual TLS)',
  '  --trust-domain TD    when the bundle\'s roots carry no SPIFFE id',
  '  CERT                 the chain to check, PEM, leaf first ("-" for stdin)',
  '',
  'Prints the SPIFFE id and exits 0 when the chain is a valid SVID; else prints why and exits 1.',
].join('\n');

const PURPOSES: readonly SvidPurpose[] = ['client', 'server', 'both'];

export const svidCommand: Command = {
  name: 'svid',
  summary: 'issue an X.509-SVID from a CA directory (svid issue), or check one against a bundle (svid verify)',
  usage: usageOf([['issue', ISSUE_USAGE], ['verify', VERIFY_USAGE]]),
  async run(args, io) {
    return subcommand(args, io, {
      issue: {
        usage: ISSUE_USAGE,
        async run(rest) {
          const { values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: {
            'ca-dir': { type: 'string' }, 'spiffe-id': { type: 'string' }, 'key-type': { type: 'string' },
            ttl: { type: 'string' }, dns: { type: 'string', multiple: true }, out: { type: 'string' }, csr: { type: 'string' },
          } });
          for (const required of ['ca-dir', 'spiffe-id', 'out'] as const) {
            if (!values[required]) throw new UsageError(`--${required} is required`);
          }
          if (values.csr !== undefined && values['key-type'] !== undefined) throw new UsageError('--key-type makes a new key; with --csr the key is the CSR\'s');
          const spiffeId = argument(() => parseSpiffeId(values['spiffe-id'] as string, { workload: true }));
          const keyType: KeyType = values['key-type'] === undefined ? DEFAULT_KEY_TYPE : argument(() => parseKeyType(values['key-type'] as string));
          let ttlMs: number | undefined;
          if (values.ttl !== undefined) {
            try {
              ttlMs = parseDuration(values.ttl);
            } catch (err) {
              throw new UsageError(`--ttl: ${(err as Error).message}`);
            }
          }
          const ca = await loadCaDirectory(resolvePath(io, values['ca-dir'] as string));
          const prefix = values.out as string;
          const common = { spiffeId, ...(ttlMs === undefined ? {} : { ttlMs }), ...(values.dns ? { dnsNames: values.dns } : {}) };
          const written: string[] = [];
          let svid;
          if (values.csr !== undefined) {
            svid = ca.issue({ ...common, csr: await readTextFile(io, values.csr, 'CSR') });
          } else {
            const keys = await generateKeyPair(keyType);
            svid = ca.issue({ ...common, publicKey: keys.publicKey });
            // The key first: a certificate on disk without its key would be useless.
            written.push(await writeFileAtomic(io, `${prefix}.key`, privateKeyToPem(keys.privateKey), 0o600));
          }
          written.unshift(await writeFileAtomic(io, `${prefix}.crt`, svid.chainPem, 0o644));
          io.stdout.write([
            `issued ${svid.spiffeId} (${svid.keyType}, serial ${svid.serialNumber})`,
            `  valid ${svid.notBefore.toISOString()} to ${svid.notAfter.toISOString()}`,
            ...written.map((path) => `  wrote ${path}`),
            '',
          ].join('\n'));
          return EXIT.ok;
        },
      },
      verify: {
        usage: VERIFY_USAGE,
        async run(rest) {
          const { values, positionals } = parseArgs({ args: rest, strict: true, allowPositionals: true, options: {
            bundle: { type: 'string' }, purpose: { type: 'string' }, 'trust-domain': { type: 'string' },
          } });
          if (!values.bundle) throw new UsageError('--bundle is required');
          if (positionals.length !== 1) throw new UsageError('give exactly one certificate file (CERT)');
          const purpose = (values.purpose ?? 'both') as SvidPurpose;
          if (!PURPOSES.includes(purpose)) throw new UsageError(`--purpose must be ${PURPOSES.join(', ')}`);
          const trustDomain = values['trust-domain'];
          const bundle = parseTrustBundle(await readTextFile(io, values.bundle, 'trust bundle'), trustDomain ? { trustDomain } : {});
          const result = validateSvid(await readTextFile(io, positionals[0] as string, 'certificate'), bundle, { purpose });
          io.stdout.write(`${result.spiffeId}\n`);
          return EXIT.ok;
        },
      },
    });
  },
};
