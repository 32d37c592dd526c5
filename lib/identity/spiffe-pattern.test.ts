import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { segmentArb, spiffeIdTextArb } from '../../test/arbitraries/spiffe-id.ts';
import { parseSpiffeId } from './spiffe-id.ts';
import { compareSpecificity, compileSpiffePattern, type SpiffePattern } from './spiffe-pattern.ts';

function reasonOf(text: string): unknown {
  try {
    compileSpiffePattern(text);
  } catch (err) {
    if (hasCode(err, 'ERR_SPIFFE_PATTERN_INVALID')) return err.details.reason;
    throw err;
  }
  return 'accepted';
}

// An independent reading of docs/spiffe-patterns.md: the pattern as one regular expression over
// the whole id text.
function oracle(pattern: string, id: string): boolean {
  const [, td, path = ''] = /^spiffe:\/\/([^/]+)(\/.*)?$/.exec(pattern) ?? [];
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const body = path.split('/').slice(1).map((seg) => {
    if (seg === '**') return '(?:/[^/]+)*';
    if (seg === '*') return '/[^/]+';
    return `/${seg.split('*').map(esc).join('[^/]*')}`;
  }).join('');
  return new RegExp(`^spiffe://${esc(td as string)}${body}$`).test(id);
}

// Small alphabets so that random patterns and ids often meet.
const tinySegment = fc.constantFrom('a', 'b', 'ab', 'ba', 'a.b', 'a-b', 'x_y');
const patternSegment = fc.constantFrom('a', 'b', 'ab', '*', 'a*', '*b', 'a*b', '*a*', '*.*', 'x_*');
const tinyId = spiffeIdTextArb({ trustDomain: fc.constantFrom('td', 'other'), segment: tinySegment, maxSegments: 4 });
const tinyPattern = fc.tuple(fc.constantFrom('td', 'other'), fc.array(patternSegment, { maxLength: 4 }), fc.boolean())
  .map(([td, segs, rest]) => `spiffe://${td}${[...segs, ...(rest ? ['**'] : [])].map((s) => `/${s}`).join('')}`);

describe('compileSpiffePattern', () => {
  it.each([
    ['spiffe://cluster.local/ns/pay/sa/checkout', 'spiffe://cluster.local/ns/pay/sa/checkout', true],
    ['spiffe://cluster.local/ns/pay/sa/checkout', 'spiffe://cluster.local/ns/pay/sa/checkout2', false],
    ['spiffe://cluster.local/ns/pay/sa/settle-*', 'spiffe://cluster.local/ns/pay/sa/settle-engine', true],
    ['spiffe://cluster.local/ns/pay/sa/settle-*', 'spiffe://cluster.local/ns/pay/sa/settle-', true],
    ['spiffe://cluster.local/ns/pay/sa/settle-*', 'spiffe://cluster.local/ns/pay/sa/settle', false],
    ['spiffe://cluster.local/ns/pay/sa/settle-*', 'spiffe://cluster.local/ns/pay/sa/settle-a/b', false],
    ['spiffe://cluster.local/ns/*/sa/checkout', 'spiffe://cluster.local/ns/shop/sa/checkout', true],
    ['spiffe://cluster.local/ns/*/sa/checkout', 'spiffe://cluster.local/ns/a/b/sa/checkout', false],
    ['spiffe://cluster.local/ns/pay/**', 'spiffe://cluster.local/ns/pay/sa/checkout', true],
    ['spiffe://cluster.local/ns/pay/**', 'spiffe://cluster.local/ns/pay', true],
    ['spiffe://cluster.local/ns/pay/**', 'spiffe://cluster.local/ns/payroll/sa/x', false],
    ['spiffe://cluster.local/**', 'spiffe://cluster.local/anything/at/all', true],
    ['spiffe://cluster.local/**', 'spiffe://cluster.local', true],
    ['spiffe://cluster.local/**', 'spiffe://cluster.locale/x', false],
    ['spiffe://cluster.local/**', 'spiffe://other.local/x', false],
    ['spiffe://cluster.local', 'spiffe://cluster.local', true],
    ['spiffe://cluster.local', 'spiffe://cluster.local/x', false],
    ['spiffe://cluster.local/ns/*-prod/sa/*', 'spiffe://cluster.local/ns/pay-prod/sa/api', true],
    ['spiffe://cluster.local/a.*', 'spiffe://cluster.local/aX', false],
    ['spiffe://cluster.local/a.*', 'spiffe://cluster.local/a.x', true],
    ['spiffe://cluster.local/x', 'not an id', false],
  ])('%s matching %s is %s', (pattern, id, expected) => {
    const compiled = compileSpiffePattern(pattern);
    expect(compiled.matches(id)).toBe(expected);
    const parsed = id.startsWith('spiffe://') ? parseSpiffeId(id) : undefined;
    if (parsed) expect(compiled.matches(parsed)).toBe(expected);
  });

  it('exposes its segments for ranking', () => {
    const p = compileSpiffePattern('spiffe://td/ns/*/sa/settle-*/**');
    expect(p.trustDomain).toBe('td');
    expect(p.exact).toBe(false);
    expect(p.segments).toEqual([
      { kind: 'literal', text: 'ns' },
      { kind: 'star' },
      { kind: 'literal', text: 'sa' },
      { kind: 'partial', text: 'settle-*', literalChars: 7 },
      { kind: 'globstar' },
    ]);
    expect(compileSpiffePattern('spiffe://td/a').exact).toBe(true);
    expect(String(p)).toBe('spiffe://td/ns/*/sa/settle-*/**');
  });

  it.each([
    ['', 'empty'],
    ['https://td/*', 'scheme'],
    ['spiffe://*/ns/a', 'trust-domain-wildcard'],
    ['spiffe://*.example.org/a', 'trust-domain-wildcard'],
    ['spiffe://td/**/a', 'globstar-not-last'],
    ['spiffe://td/a**', 'globstar-in-segment'],
    ['spiffe://td/***', 'globstar-in-segment'],
    ['spiffe://td/a/', 'path-trailing-slash'],
    ['spiffe://td//a', 'path-empty-segment'],
    ['spiffe://td/../a', 'path-dot-segment'],
    ['spiffe://td/a?', 'query'],
    ['spiffe://td/a b*', 'path-chars'],
    ['spiffe://td:1/a', 'port'],
  ])('refuses %j with reason %s', (text, reason) => {
    expect(reasonOf(text)).toBe(reason);
  });

  it('agrees with the regular-expression reading of the syntax (property)', () => {
    fc.assert(fc.property(tinyPattern, tinyId, (pattern, id) => {
      expect(compileSpiffePattern(pattern).matches(id)).toBe(oracle(pattern, id));
    }), { numRuns: 3000 });
  });

  it('matches an id by its exact text, by `*` in place of any segment, and by `**` after any prefix (property)', () => {
    fc.assert(fc.property(spiffeIdTextArb({ minSegments: 1 }), fc.nat(), (text, n) => {
      const id = parseSpiffeId(text);
      const segs = [...id.segments];
      const i = n % segs.length;
      expect(compileSpiffePattern(text).matches(id)).toBe(true);
      const starred = segs.map((s, j) => (j === i ? '*' : s));
      expect(compileSpiffePattern(`spiffe://${id.trustDomain}/${starred.join('/')}`).matches(id)).toBe(true);
      const prefix = segs.slice(0, i).map((s) => `/${s}`).join('');
      expect(compileSpiffePattern(`spiffe://${id.trustDomain}${prefix}/**`).matches(id)).toBe(true);
      // A literal pattern never matches an id in another trust domain.
      expect(compileSpiffePattern(`spiffe://x${id.trustDomain}${id.path}`).matches(id)).toBe(false);
    }));
  });

  it('matches a segment with any part of it replaced by `*` (property)', () => {
    fc.assert(fc.property(segmentArb(), fc.nat(), fc.nat(), (segment, a, b) => {
      const [from, to] = [a % (segment.length + 1), b % (segment.length + 1)].sort((x, y) => x - y) as [number, number];
      const glob = `${segment.slice(0, from)}*${segment.slice(to)}`;
      if (glob === '**' || glob.includes('**')) return;
      expect(compileSpiffePattern(`spiffe://td/x/${glob}`).matches(`spiffe://td/x/${segment}`)).toBe(true);
    }));
  });

  it('never crashes on arbitrary text: compiles or refuses with ERR_SPIFFE_PATTERN_INVALID (property)', () => {
    const unit = fc.constantFrom(...'ab*/.:?#@ -'.split(''));
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit }).map((s) => `spiffe://${s}`)), (text) => {
      const reason = reasonOf(text);
      expect(typeof reason).toBe('string');
    }), { numRuns: 1000 });
  });
});

describe('compareSpecificity', () => {
  const rank = (...texts: string[]) => texts.map(compileSpiffePattern).sort(compareSpecificity).map(String);

  it('puts the most specific first: literal, partial glob, *, then **, from the left', () => {
    expect(rank(
      'spiffe://td/ns/pay/**',
      'spiffe://td/ns/*/sa/checkout',
      'spiffe://td/ns/pay/sa/settle-*',
      'spiffe://td/ns/pay/sa/checkout',
      'spiffe://td/ns/pay/sa/*',
      'spiffe://td/**',
    )).toEqual([
      'spiffe://td/ns/pay/sa/checkout',
      'spiffe://td/ns/pay/sa/settle-*',
      'spiffe://td/ns/pay/sa/*',
      'spiffe://td/ns/pay/**',
      'spiffe://td/ns/*/sa/checkout',
      'spiffe://td/**',
    ]);
  });

  it('prefers the partial glob with more literal characters', () => {
    expect(rank('spiffe://td/sa/s*', 'spiffe://td/sa/settle-*', 'spiffe://td/sa/*-eng'))
      .toEqual(['spiffe://td/sa/settle-*', 'spiffe://td/sa/*-eng', 'spiffe://td/sa/s*']);
  });

  it('ranks an exact end above ** at the same place', () => {
    expect(rank('spiffe://td/a/**', 'spiffe://td/a')).toEqual(['spiffe://td/a', 'spiffe://td/a/**']);
  });

  it('is a total order: antisymmetric, transitive, zero only for the same pattern (property)', () => {
    fc.assert(fc.property(tinyPattern, tinyPattern, tinyPattern, (ta, tb, tc) => {
      const [a, b, c] = [ta, tb, tc].map(compileSpiffePattern) as [SpiffePattern, SpiffePattern, SpiffePattern];
      expect(Math.sign(compareSpecificity(a, b)) + Math.sign(compareSpecificity(b, a))).toBe(0);
      expect(compareSpecificity(a, b) === 0).toBe(ta === tb);
      if (compareSpecificity(a, b) < 0 && compareSpecificity(b, c) < 0) expect(compareSpecificity(a, c)).toBeLessThan(0);
    }), { numRuns: 2000 });
  });

  it('ranks a pattern above any generalisation of it (property)', () => {
    const segs = fc.array(fc.constantFrom('a', 'b', 'ab', 'a*', '*b'), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(segs, fc.nat(), (list, n) => {
      const i = n % list.length;
      const specific = compileSpiffePattern(`spiffe://td/${list.join('/')}`);
      const seg = list[i] as string;
      const general = [
        ...(seg.includes('*') ? [] : [`${seg.slice(0, -1)}*`]),
        '*',
      ].map((g) => compileSpiffePattern(`spiffe://td/${list.map((s, j) => (j === i ? g : s)).join('/')}`));
      general.push(compileSpiffePattern(`spiffe://td/${[...list.slice(0, i), '**'].join('/')}`));
      for (const g of general) {
        if (g.text === specific.text) continue;
        expect(compareSpecificity(specific, g), `${specific} vs ${g}`).toBeLessThan(0);
      }
    }));
  });
});
