// `qshield ca init`: makes a new CA (root + issuing intermediate) in a CA directory
// (docs/ca-directory.md). Refuses to touch a directory that already holds a CA.
import { parseArgs } from 'node:util';
import { CA_FILES, CertificateAuthority, DEFAULT_KEY_TYPE, KEY_TYPES, parseKeyType, parseTrustDomain, writeCaDirectory, type KeyType } from '../../lib/identity/index.ts';
import { UsageError } from '../errors.ts';
import { argument, resolvePath } from '../identity-io.ts';
import { EXIT, type Command } from '../io.ts';
import { subcommand, usageOf } from '../subcommand.ts';

const INIT_USAGE = [
  `qshield ca init --dir DIR --trust-domain TD [--key-type ${KEY_TYPES.join('|')}]`,
  '',
  '  --dir DIR            the CA directory to create (or an empty one); never overwritten',
  '  --trust-domain TD    the SPIFFE trust domain, e.g. cluster.local',
  `  --key-type TYPE      root and intermediate key type (default ${DEFAULT_KEY_TYPE})`,
].join('\n');

export const caCommand: Command = {
  name: 'ca',
  summary: 'make a CA: a root and an issuing intermediate for one trust domain (ca init)',
  usage: usageOf([['init', INIT_USAGE]]),
  async run(args, io) {
    return subcommand(args, io, {
      init: {
        usage: INIT_USAGE,
        async run(rest) {
          const { values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: {
            dir: { type: 'string' }, 'trust-domain': { type: 'string' }, 'key-type': { type: 'string' },
          } });
          if (!values.dir) throw new UsageError('--dir is required');
          if (!values['trust-domain']) throw new UsageError('--trust-domain is required');
          const trustDomain = argument(() => parseTrustDomain(values['trust-domain'] as string));
          const keyType: KeyType = values['key-type'] === undefined ? DEFAULT_KEY_TYPE : argument(() => parseKeyType(values['key-type'] as string));
          const ca = await CertificateAuthority.create({ trustDomain, keyType });
          const dir = resolvePath(io, values.dir);
          await writeCaDirectory(dir, ca);
          io.stdout.write([
            `created a CA for trust domain ${trustDomain} (${keyType}) in ${dir}`,
            `  root          ${CA_FILES.rootCert}  (key ${CA_FILES.rootKey}, mode 0600; valid until ${ca.root.validToDate.toISOString()})`,
            `  intermediate  ${CA_FILES.intermediateCert}  (key ${CA_FILES.intermediateKey}, mode 0600; valid until ${ca.intermediate.validToDate.toISOString()})`,
            `  trust bundle  ${CA_FILES.bundle}`,
            '',
          ].join('\n'));
          return EXIT.ok;
        },
      },
    });
  },
};
