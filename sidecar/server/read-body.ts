// Reads a request body into one Buffer under a byte limit: a declared Content-Length over the
// limit is refused before a byte is read, a chunked body as soon as it passes the limit, and a
// client that stops half-way is an error (nothing partial is ever stored).
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../lib/errors/index.ts';

/** Thrown when the body is longer than the limit; the caller picks the error code it means. */
export class BodyTooLarge extends Error {
  readonly limit: number;
  /** The declared or counted size (at least the bytes seen so far). */
  readonly observed: number;

  constructor(limit: number, observed: number) {
    super(`the body is longer than ${limit} bytes`);
    this.name = 'BodyTooLarge';
    this.limit = limit;
    this.observed = observed;
  }
}

/** The declared Content-Length, or undefined for a chunked body. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  // node:http has checked the syntax; a repeated header with different values was refused.
  return Number(raw);
}

/**
 * Reads the whole body.
 * @throws BodyTooLarge past `limit`; AppError ERR_GATEWAY_BODY_INCOMPLETE when the client
 *   aborts or the stream fails.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(new BodyTooLarge(limit, declared));
  if (declared === 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(new BodyTooLarge(limit, size));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (err: Error) => finish(new AppError('ERR_GATEWAY_BODY_INCOMPLETE', 'the request body could not be read', { cause: err }));
    const onClose = () => {
      if (!req.complete) finish(new AppError('ERR_GATEWAY_BODY_INCOMPLETE', 'the client stopped sending before the body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
