// Reads an AlgorithmIdentifier (RFC 5280 4.1.1.2) and tells known algorithms from unknown ones.
import { contentOf, decodeOid, DerCursor, oidKey, TAG, type DerElement } from '../der/index.ts';
import { malformed } from './envelope-error.ts';
import { oidName, type OidName } from './oids.ts';

export interface AlgorithmId {
  /** The algorithm's name in oids.ts, or undefined when qshield does not know it. */
  readonly name: OidName | undefined;
  /** Dotted OID, for messages. */
  readonly dotted: string;
  /** The parameters element, absent when the encoding has none. */
  readonly params: DerElement | undefined;
}

/**
 * @throws EnvelopeError MALFORMED when it is not a SEQUENCE { OID, params? }.
 */
export function readAlgorithm(buf: Buffer, el: DerElement, what: string): AlgorithmId {
  if (el.tag !== TAG.sequence) throw malformed(`${what}: expected an AlgorithmIdentifier`);
  const c = DerCursor.inside(buf, el, what);
  const idEl = c.next(TAG.oid, what);
  const key = oidKey(buf, idEl, what);
  const params = c.done ? undefined : c.any(`${what} parameters`);
  c.finish(what);
  const name = oidName(key);
  return { name, dotted: name === undefined ? decodeOid(contentOf(buf, idEl)) : '', params };
}

/** True when the parameters are absent or NULL, the two encodings RFC 4055/5754 accept for hashes. */
export function paramsAbsentOrNull(buf: Buffer, alg: AlgorithmId): boolean {
  return alg.params === undefined || (alg.params.tag === TAG.null && alg.params.end === alg.params.valueStart && buf.length > 0);
}

export function describe(alg: AlgorithmId): string {
  return alg.name ?? alg.dotted;
}
