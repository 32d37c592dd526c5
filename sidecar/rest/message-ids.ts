// Message and correlation ids as the MQ REST API writes them: v2 uses 48 hex digits (24 bytes),
// v3 prefixes them with `ID:`. v3's application-specific string correlation ids (JMS style) are
// not supported: the broker drivers store MQ's 24-byte ids only.
import { AppError } from '../../lib/errors/index.ts';
import type { ApiVersion } from './route.ts';

const HEX_ID = /^[0-9a-fA-F]{48}$/;

export type IdKind = 'messageId' | 'correlationId';

/** Where the id came from, for the error: a header name or a query parameter name. */
export type IdSource = { readonly header: string } | { readonly parameter: string };

function refuse(source: IdSource, kind: IdKind, version: ApiVersion, value: string): AppError {
  const where = 'header' in source ? `header ${source.header}` : `query parameter ${source.parameter}`;
  if (version === 'v3' && !/^id:/i.test(value)) {
    return new AppError('ERR_GATEWAY_UNSUPPORTED', `${where}: application-specific string ${kind}s are not supported; write ID: and 48 hex digits`, {
      details: { feature: 'string-ids', ...source },
    });
  }
  const form = version === 'v3' ? 'ID: followed by 48 hex digits' : '48 hex digits (24 bytes)';
  const code = 'header' in source ? 'ERR_GATEWAY_BAD_HEADER' : 'ERR_GATEWAY_BAD_QUERY';
  return new AppError(code, `${where} must be ${form}`, { details: { ...source } });
}

/**
 * Parses an id in the form of the API version: lower-case hex out.
 * @throws AppError ERR_GATEWAY_BAD_HEADER / ERR_GATEWAY_BAD_QUERY (malformed), or
 *   ERR_GATEWAY_UNSUPPORTED (a v3 string id without the ID: prefix).
 */
export function parseId(value: string, kind: IdKind, version: ApiVersion, source: IdSource): string {
  const hex = version === 'v3' ? (/^ID:/i.test(value) ? value.slice(3) : undefined) : value;
  if (hex === undefined || !HEX_ID.test(hex)) throw refuse(source, kind, version, value);
  return hex.toLowerCase();
}

/** Writes a stored id (48 lower-case hex digits) the way the API version does. */
export function formatId(hex: string, version: ApiVersion): string {
  return version === 'v3' ? `ID:${hex}` : hex;
}
