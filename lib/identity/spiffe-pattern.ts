// SPIFFE id patterns for policies (docs/spiffe-patterns.md): `*` stands for one path segment or
// part of one, a final `**` for the rest of the path. The trust domain is always literal, so a
// pattern never matches across trust domains. Patterns rank by specificity: most specific wins.
import { AppError } from '../errors/index.ts';
import { SpiffeId, tryParseSpiffeId } from './spiffe-id.ts';
import { quote, splitSpiffeText } from './spiffe-syntax.ts';
import type { SpiffeSyntaxReason } from './spiffe-syntax.ts';

/** Why a text is not a SPIFFE id pattern; the value of `details.reason` on the error. */
export type SpiffePatternReason = SpiffeSyntaxReason | 'trust-domain-wildcard' | 'globstar-not-last' | 'globstar-in-segment';

/** One segment of a compiled pattern, in the order a policy engine ranks them. */
export type PatternSegment =
  /** Matches exactly this segment. */
  | { readonly kind: 'literal'; readonly text: string }
  /** A segment with `*` inside (`settle-*`, `*-engine`, `a*b`): `*` is any run of characters. */
  | { readonly kind: 'partial'; readonly text: string; readonly literalChars: number }
  /** `*` alone: any one segment. */
  | { readonly kind: 'star' }
  /** `**`, last only: zero or more segments. */
  | { readonly kind: 'globstar' };

export interface SpiffePattern {
  /** The pattern as written. */
  readonly text: string;
  readonly trustDomain: string;
  readonly segments: readonly PatternSegment[];
  /** True when the pattern has no wildcard and so matches exactly one id. */
  readonly exact: boolean;
  /** True when `id` matches. A string that is not a valid SPIFFE id never matches. */
  matches(id: SpiffeId | string): boolean;
  toString(): string;
}

function invalid(text: string, reason: SpiffePatternReason, why: string): AppError {
  return new AppError('ERR_SPIFFE_PATTERN_INVALID', `${quote(text)} is not a valid SPIFFE id pattern: ${why}`, { details: { reason } });
}

function globRegExp(text: string): RegExp {
  const body = text.split('*').map((part) => part.replace(/[.]/g, '\\.')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

function segmentMatcher(segment: PatternSegment): (value: string) => boolean {
  switch (segment.kind) {
    case 'literal': return (value) => value === segment.text;
    case 'star': return () => true;
    case 'partial': {
      const re = globRegExp(segment.text);
      return (value) => re.test(value);
    }
    case 'globstar': return () => true;
  }
}

function classify(segment: string): PatternSegment {
  if (segment === '*') return { kind: 'star' };
  if (segment === '**') return { kind: 'globstar' };
  if (segment.includes('*')) return { kind: 'partial', text: segment, literalChars: segment.replaceAll('*', '').length };
  return { kind: 'literal', text: segment };
}

/**
 * Compiles a pattern such as `spiffe://cluster.local/ns/pay/sa/settle-*` or
 * `spiffe://cluster.local/ns/pay/**`. A pattern without wildcards matches one id exactly.
 * @throws AppError ERR_SPIFFE_PATTERN_INVALID with the broken rule in `details.reason`.
 */
export function compileSpiffePattern(text: string): SpiffePattern {
  if (typeof text !== 'string') throw invalid(String(text), 'empty', 'it is not a string');
  const syntax = splitSpiffeText(text, true);
  if (!syntax.ok) {
    // The trust domain grammar has no '*': say why precisely when that is the cause.
    if (syntax.reason === 'trust-domain-chars' && /^spiffe:\/\/[^/]*\*/.test(text)) {
      throw invalid(text, 'trust-domain-wildcard', 'the trust domain cannot hold a wildcard; patterns never match across trust domains');
    }
    throw invalid(text, syntax.reason, syntax.message);
  }
  const segments = syntax.segments.map((segment, i) => {
    if (segment !== '**' && segment.includes('**')) {
      throw invalid(text, 'globstar-in-segment', `'**' must be a whole segment, not part of ${quote(segment)}`);
    }
    if (segment === '**' && i !== syntax.segments.length - 1) {
      throw invalid(text, 'globstar-not-last', "'**' may only be the last segment");
    }
    return Object.freeze(classify(segment));
  });
  const last = segments.at(-1);
  const rest = last?.kind === 'globstar';
  const fixed = rest ? segments.slice(0, -1) : segments;
  const matchers = fixed.map(segmentMatcher);
  const trustDomain = syntax.trustDomain;

  function matchesId(id: SpiffeId): boolean {
    if (id.trustDomain !== trustDomain) return false;
    const values = id.segments;
    if (rest ? values.length < matchers.length : values.length !== matchers.length) return false;
    for (let i = 0; i < matchers.length; i++) {
      if (!(matchers[i] as (v: string) => boolean)(values[i] as string)) return false;
    }
    return true;
  }

  return Object.freeze({
    text,
    trustDomain,
    segments: Object.freeze(segments),
    exact: segments.every((s) => s.kind === 'literal'),
    matches(id: SpiffeId | string): boolean {
      if (id instanceof SpiffeId) return matchesId(id);
      const parsed = typeof id === 'string' ? tryParseSpiffeId(id) : undefined;
      return parsed !== undefined && matchesId(parsed);
    },
    toString: () => text,
  });
}

// Rank of what a pattern holds at one position; a higher rank is more specific. `end` (the
// pattern has no more segments: the id must end here too) is more specific than `**`.
const RANK = { literal: 4, partial: 3, star: 2, end: 1, globstar: 0 } as const;

function rankAt(pattern: SpiffePattern, i: number): [number, number] {
  const segment = pattern.segments[i];
  if (segment === undefined) return [RANK.end, 0];
  return [RANK[segment.kind], segment.kind === 'partial' ? segment.literalChars : 0];
}

/**
 * Orders patterns by specificity for most-specific-wins: compares segment by segment from the
 * left; at the first position where they differ, literal beats partial glob beats `*` beats
 * `**` (a pattern that has ended beats `**`), and of two partial globs the one with more
 * literal characters wins. Ties are broken by trust domain and text so the order is total.
 * @returns a negative number when `a` is MORE specific than `b`, positive when less, 0 when
 *   they are the same pattern; so `patterns.sort(compareSpecificity)` puts the winner first.
 */
export function compareSpecificity(a: SpiffePattern, b: SpiffePattern): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const [rankA, charsA] = rankAt(a, i);
    const [rankB, charsB] = rankAt(b, i);
    if (rankA !== rankB) return rankB - rankA;
    if (charsA !== charsB) return charsB - charsA;
  }
  if (a.trustDomain !== b.trustDomain) return a.trustDomain < b.trustDomain ? -1 : 1;
  return a.text === b.text ? 0 : a.text < b.text ? -1 : 1;
}
