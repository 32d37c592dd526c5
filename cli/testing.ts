// Runs the CLI in-process with captured output, for tests of commands through their real interface.
import { PassThrough, Readable } from 'node:stream';
import { main } from './main.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
  /** stdout as bytes, for binary output (envelopes). */
  outBytes: Buffer;
}

export async function runCli(argv: string[], options: { env?: Record<string, string>; stdin?: Buffer | string; cwd?: string } = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const outChunks: Buffer[] = [];
  let err = '';
  stdout.on('data', (c: Buffer) => outChunks.push(c));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  const code = await main(argv, { stdout, stderr, stdin, env: options.env ?? {}, cwd: options.cwd ?? process.cwd() });
  const outBytes = Buffer.concat(outChunks);
  return { code, out: outBytes.toString('utf8'), err, outBytes };
}
