// `qshield seal`: protects a payload (file or stdin) as an Integrity, Privacy or Confidentiality
// envelope (file or stdout). Binary-safe; docs/envelope.md describes the format.
import { parseArgs } from 'node:util';
import { CONTENT_ENCRYPTIONS, EnvelopeError, MAX_PAYLOAD_BYTES, SIGNATURE_ALGORITHMS, createSigner, isQop, seal, type ContentEncryption, type SealOptions, type SignatureAlgorithm } from '../../lib/envelope/index.ts';
import { parseOptions, readCertificates, readInput, readPrivateKey, reportRefusal, writeOutput } from '../envelope-io.ts';
import { UsageError } from '../errors.ts';
import { EXIT, type Command } from '../io.ts';

export const sealCommand: Command = {
  name: 'seal',
  summary: 'protect a message: sign (integrity), sign and encrypt (privacy) or encrypt (confidentiality)',
  usage: [
    'qshield seal --qop integrity|privacy|confidentiality [--cert C --key K] [--recipient CERT]…',
    '             [--qmgr M --queue Q] [--message-id HEX] [--signature ALG] [--encryption aes128-gcm|aes256-gcm]',
    '             [--in F] [--out F]',
    '',
    '  --cert C, --key K   the signer\'s certificate chain (PEM, leaf first) and private key (integrity, privacy)',
    '  --recipient CERT    a recipient\'s certificate (PEM); repeat for each (privacy, confidentiality)',
    '  --qmgr, --queue     bind the signature to this destination (integrity, privacy)',
    `  --signature ALG     ${SIGNATURE_ALGORITHMS.join(' | ')}`,
    '  --in, --out         files; stdin / stdout when absent or "-"',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(() => parseArgs({
      args,
      strict: true,
      options: {
        qop: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        recipient: { type: 'string', multiple: true },
        qmgr: { type: 'string' },
        queue: { type: 'string' },
        'message-id': { type: 'string' },
        signature: { type: 'string' },
        encryption: { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
      },
    }));
    const qop = values.qop;
    if (!isQop(qop)) throw new UsageError('--qop must be integrity, privacy or confidentiality');
    const signs = qop !== 'confidentiality';
    if (signs && (values.cert === undefined || values.key === undefined)) throw new UsageError(`--qop ${qop} needs --cert and --key (the signer)`);
    if (!signs && (values.cert !== undefined || values.key !== undefined || values.qmgr !== undefined || values['message-id'] !== undefined)) {
      throw new UsageError('--qop confidentiality signs nothing: no --cert, --key, --qmgr, --queue or --message-id');
    }
    if (qop !== 'integrity' && (values.recipient ?? []).length === 0) throw new UsageError(`--qop ${qop} needs at least one --recipient`);
    if (qop === 'integrity' && values.recipient !== undefined) throw new UsageError('--qop integrity does not encrypt: no --recipient');
    if ((values.qmgr === undefined) !== (values.queue === undefined)) throw new UsageError('--qmgr and --queue go together');
    if (values.signature !== undefined && !(SIGNATURE_ALGORITHMS as readonly string[]).includes(values.signature)) throw new UsageError(`--signature must be one of ${SIGNATURE_ALGORITHMS.join(', ')}`);
    if (values.encryption !== undefined && !(CONTENT_ENCRYPTIONS as readonly string[]).includes(values.encryption)) throw new UsageError(`--encryption must be one of ${CONTENT_ENCRYPTIONS.join(', ')}`);
    const messageId = values['message-id'];
    if (messageId !== undefined && !/^([0-9a-fA-F]{2})+$/.test(messageId)) throw new UsageError('--message-id must be hexadecimal');

    try {
      const options: SealOptions = {
        qop,
        ...(signs ? {
          signer: createSigner({
            certificates: await readCertificates(io, values.cert as string, 'certificate'),
            key: await readPrivateKey(io, values.key as string),
            ...(values.signature === undefined ? {} : { algorithm: values.signature as SignatureAlgorithm }),
          }),
        } : {}),
        ...(values.recipient === undefined ? {} : { recipients: await Promise.all(values.recipient.map(async (r) => (await readCertificates(io, r, 'recipient certificate'))[0]!)) }),
        ...(values.qmgr === undefined ? {} : { destination: { queueManager: values.qmgr, queue: values.queue as string } }),
        ...(messageId === undefined ? {} : { messageId: Buffer.from(messageId, 'hex') }),
        ...(values.encryption === undefined ? {} : { encryption: values.encryption as ContentEncryption }),
      };
      const payload = await readInput(io, values.in, MAX_PAYLOAD_BYTES);
      await writeOutput(io, values.out, seal(payload, options));
      return EXIT.ok;
    } catch (err) {
      if (err instanceof EnvelopeError) return reportRefusal(io, 'seal', err);
      throw err;
    }
  },
};
