// PEM (RFC 7468) encoding and strict decoding. Text around the blocks is allowed, as OpenSSL
// allows it; inside a block only base64 and line breaks are.
import { AppError } from '../errors/index.ts';

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

const BEGIN = /-----BEGIN ([A-Z0-9 ]{1,64})-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(reason: string, message: string): AppError {
  return new AppError('ERR_PEM_INVALID', message, { details: { reason } });
}

/**
 * Decodes every PEM block in `text`, in order.
 * @param labels when given, every block must carry one of these labels.
 * @throws AppError ERR_PEM_INVALID (`details.reason`: `no-block`, `unterminated`, `base64`,
 *   `label`, `empty`).
 */
export function decodePem(text: string, labels?: readonly string[]): PemBlock[] {
  if (typeof text !== 'string') throw invalid('no-block', 'expected PEM text');
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m; m = BEGIN.exec(text)) {
    const label = m[1] as string;
    const endMarker = `-----END ${label}-----`;
    const bodyStart = m.index + m[0].length;
    const endAt = text.indexOf(endMarker, bodyStart);
    if (endAt === -1) throw invalid('unterminated', `the PEM block "${label}" has no matching END line`);
    const body = text.slice(bodyStart, endAt).replace(/[\r\n\t ]+/g, '');
    if (body.length === 0) throw invalid('empty', `the PEM block "${label}" is empty`);
    if (body.length % 4 !== 0 || !BASE64.test(body)) throw invalid('base64', `the PEM block "${label}" is not valid base64`);
    if (labels && !labels.includes(label)) {
      throw invalid('label', `expected a PEM block labelled ${labels.map((l) => `"${l}"`).join(' or ')}, found "${label}"`);
    }
    blocks.push({ label, der: Buffer.from(body, 'base64') });
    BEGIN.lastIndex = endAt + endMarker.length;
  }
  if (blocks.length === 0) throw invalid('no-block', 'no PEM block found (expected -----BEGIN …-----)');
  return blocks;
}

/** Encodes DER as one PEM block with 64-character lines. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
