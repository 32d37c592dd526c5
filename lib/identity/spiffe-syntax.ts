// The grammar shared by SPIFFE ids and SPIFFE id patterns (SPIFFE-ID spec §2): scheme,
// trust domain, path segments. Returns the first problem found, named by a stable reason.

/** Why a text is not a SPIFFE id (or pattern); the value of `details.reason` on the error. */
export type SpiffeSyntaxReason =
  | 'empty'
  | 'too-long'
  | 'scheme'
  | 'query'
  | 'fragment'
  | 'userinfo'
  | 'port'
  | 'trust-domain-missing'
  | 'trust-domain-too-long'
  | 'trust-domain-chars'
  | 'path-trailing-slash'
  | 'path-empty-segment'
  | 'path-dot-segment'
  | 'path-chars';

/** The longest SPIFFE id, in bytes (SPIFFE-ID §2.3: URIs of at most 2048 bytes). */
export const MAX_SPIFFE_ID_BYTES = 2048;
/** The longest trust domain name, in bytes (SPIFFE-ID §2.1: a DNS-style name). */
export const MAX_TRUST_DOMAIN_BYTES = 255;

export const SCHEME = 'spiffe://';
const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;
const SEGMENT_CHARS_WILDCARD = /^[A-Za-z0-9._*-]+$/;

export type SpiffeSyntax =
  | { ok: true; trustDomain: string; segments: string[] }
  | { ok: false; reason: SpiffeSyntaxReason; message: string };

function fail(reason: SpiffeSyntaxReason, message: string): SpiffeSyntax {
  return { ok: false, reason, message };
}

/** Checks a trust domain name on its own (no scheme). */
export function checkTrustDomain(name: string): SpiffeSyntax {
  if (name.length === 0) return fail('trust-domain-missing', 'the trust domain is missing');
  if (name.includes('@')) return fail('userinfo', 'user information is not allowed');
  if (name.includes(':')) return fail('port', 'a port is not allowed in the trust domain');
  if (Buffer.byteLength(name) > MAX_TRUST_DOMAIN_BYTES) {
    return fail('trust-domain-too-long', `the trust domain is longer than ${MAX_TRUST_DOMAIN_BYTES} bytes`);
  }
  if (!TRUST_DOMAIN_CHARS.test(name)) {
    return fail('trust-domain-chars', 'the trust domain may hold only lowercase letters, digits, dots, dashes and underscores');
  }
  return { ok: true, trustDomain: name, segments: [] };
}

/** Checks one path segment. `wildcards` lets `*` through (patterns check its placement). */
export function checkSegment(segment: string, last: boolean, wildcards: boolean): SpiffeSyntax | undefined {
  if (segment === '') {
    return last
      ? fail('path-trailing-slash', 'the path ends with a slash')
      : fail('path-empty-segment', 'the path has an empty segment (//)');
  }
  if (segment === '.' || segment === '..') return fail('path-dot-segment', `the path has a '${segment}' segment`);
  if (!(wildcards ? SEGMENT_CHARS_WILDCARD : SEGMENT_CHARS).test(segment)) {
    return fail('path-chars', 'path segments may hold only letters, digits, dots, dashes and underscores');
  }
  return undefined;
}

/**
 * Splits `spiffe://trust.domain/seg/seg` into its trust domain and path segments, or names the
 * first rule it breaks. With `wildcards`, `*` is allowed in path segments.
 */
export function splitSpiffeText(text: string, wildcards: boolean): SpiffeSyntax {
  if (text.length === 0) return fail('empty', 'it is empty');
  if (Buffer.byteLength(text) > MAX_SPIFFE_ID_BYTES) return fail('too-long', `it is longer than ${MAX_SPIFFE_ID_BYTES} bytes`);
  if (!text.startsWith(SCHEME)) return fail('scheme', "it must start with 'spiffe://' (lowercase)");
  const rest = text.slice(SCHEME.length);
  if (rest.includes('#')) return fail('fragment', 'a fragment (#) is not allowed');
  if (rest.includes('?')) return fail('query', 'a query (?) is not allowed');
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const td = checkTrustDomain(authority);
  if (!td.ok) return td;
  if (slash === -1) return { ok: true, trustDomain: authority, segments: [] };
  const segments = rest.slice(slash + 1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const problem = checkSegment(segments[i] as string, i === segments.length - 1, wildcards);
    if (problem) return problem;
  }
  return { ok: true, trustDomain: authority, segments };
}

/** A short, printable rendering of untrusted input for error messages. */
export function quote(text: string): string {
  const shown = text.length > 120 ? `${text.slice(0, 120)}…` : text;
  return JSON.stringify(shown);
}
