// SPIFFE ids (`spiffe://trust.domain/path`): parsing and validation by the SPIFFE-ID spec,
// formatting, and the ids qshield gives workloads (`spiffe://<td>/ns/<namespace>/sa/<sa>`).
import { AppError } from '../errors/index.ts';
import { SCHEME, checkSegment, checkTrustDomain, quote, splitSpiffeText, type SpiffeSyntaxReason } from './spiffe-syntax.ts';

export type { SpiffeSyntaxReason as SpiffeIdReason } from './spiffe-syntax.ts';
export { MAX_SPIFFE_ID_BYTES, MAX_TRUST_DOMAIN_BYTES } from './spiffe-syntax.ts';

/** A valid SPIFFE id. Immutable; compare with `equals` or by `toString()`. */
export class SpiffeId {
  /** Lowercase trust domain name, e.g. `cluster.local`. */
  readonly trustDomain: string;
  /** `''` for a trust domain's own id, else `/seg/seg…` (no trailing slash). */
  readonly path: string;
  /** The path's segments; empty for a trust domain's own id. */
  readonly segments: readonly string[];
  readonly #text: string;

  private constructor(trustDomain: string, segments: readonly string[]) {
    this.trustDomain = trustDomain;
    this.segments = Object.freeze([...segments]);
    this.path = segments.length === 0 ? '' : `/${segments.join('/')}`;
    this.#text = `${SCHEME}${trustDomain}${this.path}`;
    Object.freeze(this);
  }

  /** @internal Builds an id from parts that have already been validated. */
  static fromValidParts(trustDomain: string, segments: readonly string[]): SpiffeId {
    return new SpiffeId(trustDomain, segments);
  }

  /** True for the id of the trust domain itself (`spiffe://td`, no path), as CAs carry. */
  get isTrustDomainId(): boolean {
    return this.segments.length === 0;
  }

  /** True when this id belongs to `trustDomain`. */
  memberOf(trustDomain: string): boolean {
    return this.trustDomain === trustDomain;
  }

  equals(other: SpiffeId | string): boolean {
    return this.#text === (typeof other === 'string' ? other : other.toString());
  }

  toString(): string {
    return this.#text;
  }

  toJSON(): string {
    return this.#text;
  }
}

function invalid(text: string, reason: SpiffeSyntaxReason | 'path-missing', why: string): AppError {
  return new AppError('ERR_SPIFFE_ID_INVALID', `${quote(text)} is not a valid SPIFFE id: ${why}`, { details: { reason } });
}

export interface ParseSpiffeIdOptions {
  /**
   * Require a non-root path, as every workload id has (SPIFFE X509-SVID §2: a leaf's id is
   * never the trust domain's own id). Default false.
   */
  workload?: boolean;
}

/**
 * Parses and validates a SPIFFE id.
 * @throws AppError ERR_SPIFFE_ID_INVALID with the broken rule in `details.reason`
 *   (`SpiffeIdReason`, or `path-missing` when `workload` is set and the path is empty).
 */
export function parseSpiffeId(text: string, options: ParseSpiffeIdOptions = {}): SpiffeId {
  if (typeof text !== 'string') throw invalid(String(text), 'empty', 'it is not a string');
  const syntax = splitSpiffeText(text, false);
  if (!syntax.ok) throw invalid(text, syntax.reason, syntax.message);
  if (options.workload && syntax.segments.length === 0) {
    throw invalid(text, 'path-missing', 'a workload id needs a path after the trust domain');
  }
  return SpiffeId.fromValidParts(syntax.trustDomain, syntax.segments);
}

/** Like parseSpiffeId, but returns undefined instead of throwing. */
export function tryParseSpiffeId(text: string, options: ParseSpiffeIdOptions = {}): SpiffeId | undefined {
  try {
    return parseSpiffeId(text, options);
  } catch {
    return undefined;
  }
}

/**
 * Validates a trust domain name. Accepts `example.org` or `spiffe://example.org`.
 * @returns the bare name.
 * @throws AppError ERR_SPIFFE_ID_INVALID (reason as for parseSpiffeId; a path is `path-chars`).
 */
export function parseTrustDomain(text: string): string {
  if (typeof text === 'string' && text.startsWith(SCHEME)) {
    const id = parseSpiffeId(text);
    if (!id.isTrustDomainId) throw invalid(text, 'path-chars', 'a trust domain has no path');
    return id.trustDomain;
  }
  const checked = checkTrustDomain(String(text));
  if (!checked.ok) throw invalid(String(text), checked.reason, checked.message);
  return checked.trustDomain;
}

/**
 * The id of a trust domain itself, `spiffe://<td>`, carried by its CA certificates.
 * @throws AppError ERR_SPIFFE_ID_INVALID when the name is not a valid trust domain.
 */
export function trustDomainId(trustDomain: string): SpiffeId {
  return SpiffeId.fromValidParts(parseTrustDomain(trustDomain), []);
}

/**
 * Builds `spiffe://<td>/<segments…>` from parts, validating each.
 * @throws AppError ERR_SPIFFE_ID_INVALID naming the first bad part.
 */
export function spiffeIdFromParts(trustDomain: string, ...segments: string[]): SpiffeId {
  const td = parseTrustDomain(trustDomain);
  segments.forEach((segment, i) => {
    const problem = checkSegment(segment, false, false);
    if (problem && !problem.ok) throw invalid(`${SCHEME}${td}/${segments.slice(0, i + 1).join('/')}`, problem.reason, problem.message);
  });
  return SpiffeId.fromValidParts(td, segments);
}

/**
 * The id qshield gives a Kubernetes workload: `spiffe://<td>/ns/<namespace>/sa/<serviceAccount>`.
 * @throws AppError ERR_SPIFFE_ID_INVALID when a part is not valid in a SPIFFE id.
 */
export function workloadSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): SpiffeId {
  return spiffeIdFromParts(trustDomain, 'ns', namespace, 'sa', serviceAccount);
}
