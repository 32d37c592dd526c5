// `qshield bundle`: prints a CA directory's trust bundle, as PEM or as a SPIFFE bundle (JWKS).
import { parseArgs } from 'node:util';
import { loadCaDirectory } from '../../lib/identity/index.ts';
import { UsageError } from '../errors.ts';
import { resolvePath } from '../identity-io.ts';
import { EXIT, type Command } from '../io.ts';

export const bundleCommand: Command = {
  name: 'bundle',
  summary: 'print the trust bundle of a CA directory, PEM or SPIFFE JWKS',
  usage: [
    'qshield bundle --ca-dir DIR [--format pem|jwks]',
    '',
    '  --ca-dir DIR     the CA directory (qshield ca init)',
    '  --format F       pem (default): the root certificates; jwks: the SPIFFE bundle form,',
    '                   one key per root with "use": "x509-svid" and the certificate in x5c',
  ].join('\n'),
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({ args, strict: true, allowPositionals: false, options: { 'ca-dir': { type: 'string' }, format: { type: 'string' } } }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!values['ca-dir']) throw new UsageError('--ca-dir is required');
    const format = values.format ?? 'pem';
    if (format !== 'pem' && format !== 'jwks') throw new UsageError('--format must be pem or jwks');
    const { bundle } = await loadCaDirectory(resolvePath(io, values['ca-dir']));
    io.stdout.write(format === 'pem' ? bundle.toPem() : `${JSON.stringify(bundle.toJwks(), null, 2)}\n`);
    return EXIT.ok;
  },
};
