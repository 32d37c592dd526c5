// `qshield open`: checks and unprotects an envelope (file or stdin), writing the payload (file
// or stdout) and a one-line summary to stderr; a refused envelope prints its reason, exit 1.
import { parseArgs } from 'node:util';
import { CONTENT_ENCRYPTIONS, EnvelopeError, MAX_ENVELOPE_BYTES, SIGNATURE_ALGORITHMS, createKeyring, isQop, open, type ContentEncryption, type OpenOptions, type SignatureAlgorithm } from '../../lib/envelope/index.ts';
import { parseOptions, readCertificates, readInput, readPrivateKey, readTrustBundle, reportRefusal, writeOutput } from '../envelope-io.ts';
import { UsageError } from '../errors.ts';
import { EXIT, type Command } from '../io.ts';

export const openCommand: Command = {
  name: 'open',
  summary: 'check and unprotect a message; prints the refusal reason and exits 1 when it fails',
  usage: [
    'qshield open [--cert C --key K]… --bundle B [--signer PATTERN]… [--qop Q] [--qmgr M --queue Q]',
    '             [--message-id HEX] [--tolerate] [--allow-unbound] [--allow-rsa-pkcs1]',
    '             [--min-signature ALG] [--min-encryption ENC] [--in F] [--out F]',
    '',
    '  --cert C, --key K   a key generation of the keyring (PEM); repeat for older generations',
    '  --bundle B          trust bundle (PEM roots or SPIFFE JWKS) the signer must chain to',
    '  --signer PATTERN    an authorized signer SPIFFE id or pattern; repeat (default: any trusted signer)',
    '  --qop Q             the quality of protection the message must carry',
    '  --qmgr, --queue     where the message was found; a signature bound elsewhere is refused',
    '  --tolerate          accept an unprotected message (printed as qop none)',
    '  --allow-unbound     accept signed envelopes without a destination binding (other CMS tools)',
    '  --in, --out         files; stdin / stdout when absent or "-"',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(() => parseArgs({
      args,
      strict: true,
      options: {
        cert: { type: 'string', multiple: true },
        key: { type: 'string', multiple: true },
        bundle: { type: 'string' },
        signer: { type: 'string', multiple: true },
        qop: { type: 'string' },
        qmgr: { type: 'string' },
        queue: { type: 'string' },
        'message-id': { type: 'string' },
        tolerate: { type: 'boolean' },
        'allow-unbound': { type: 'boolean' },
        'allow-rsa-pkcs1': { type: 'boolean' },
        'min-signature': { type: 'string' },
        'min-encryption': { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
      },
    }));
    const certs = values.cert ?? [];
    const keys = values.key ?? [];
    if (certs.length !== keys.length) throw new UsageError('--cert and --key come in pairs, one pair per key generation');
    if (values.qop !== undefined && !isQop(values.qop)) throw new UsageError('--qop must be integrity, privacy or confidentiality');
    if ((values.qmgr === undefined) !== (values.queue === undefined)) throw new UsageError('--qmgr and --queue go together');
    const minSignature = values['min-signature'];
    if (minSignature !== undefined && !(SIGNATURE_ALGORITHMS as readonly string[]).includes(minSignature)) throw new UsageError(`--min-signature must be one of ${SIGNATURE_ALGORITHMS.join(', ')}`);
    const minEncryption = values['min-encryption'];
    if (minEncryption !== undefined && !(CONTENT_ENCRYPTIONS as readonly string[]).includes(minEncryption)) throw new UsageError(`--min-encryption must be one of ${CONTENT_ENCRYPTIONS.join(', ')}`);
    const messageId = values['message-id'];
    if (messageId !== undefined && !/^([0-9a-fA-F]{2})+$/.test(messageId)) throw new UsageError('--message-id must be hexadecimal');
    if (values.bundle === undefined && values.qop !== 'confidentiality') throw new UsageError('--bundle is needed to check signers (only --qop confidentiality goes without)');

    try {
      const entries = await Promise.all(certs.map(async (c, i) => ({ certificate: (await readCertificates(io, c, 'certificate'))[0]!, key: await readPrivateKey(io, keys[i] as string) })));
      const options: OpenOptions = {
        ...(entries.length > 0 ? { keyring: createKeyring(entries) } : {}),
        ...(values.bundle === undefined ? {} : { trustBundle: await readTrustBundle(io, values.bundle) }),
        policy: {
          ...(values.qop === undefined ? {} : { qop: values.qop }),
          ...(values.signer === undefined ? {} : { authorizedSigners: values.signer }),
          toleration: values.tolerate === true,
          allowUnbound: values['allow-unbound'] === true,
          allowRsaPkcs1KeyTransport: values['allow-rsa-pkcs1'] === true,
          minimumStrength: {
            ...(minSignature === undefined ? {} : { signature: minSignature as SignatureAlgorithm }),
            ...(minEncryption === undefined ? {} : { encryption: minEncryption as ContentEncryption }),
          },
        },
        ...(values.qmgr === undefined ? {} : { destination: { queueManager: values.qmgr, queue: values.queue as string } }),
        ...(messageId === undefined ? {} : { messageId: Buffer.from(messageId, 'hex') }),
      };
      const opened = open(await readInput(io, values.in, MAX_ENVELOPE_BYTES), options);
      await writeOutput(io, values.out, opened.payload);
      const parts = [`qop ${opened.qop}`];
      if (opened.signer) parts.push(`signer ${opened.signer.spiffeId}`, `signed ${opened.signingTime?.toISOString() ?? 'at an unstated time'}`, `signature ${opened.signer.algorithm}`);
      if (opened.encryption) parts.push(`encryption ${opened.encryption}`);
      if (opened.destination) parts.push(`destination ${opened.destination.queueManager}/${opened.destination.queue}`);
      io.stderr.write(`qshield open: ${parts.join(', ')}\n`);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof EnvelopeError) return reportRefusal(io, 'open', err);
      throw err;
    }
  },
};
