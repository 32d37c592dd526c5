import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { compareProfiles, isValidObjectName, mostSpecificMatch, parseProfile, profileProblem } from './profile.ts';

// An independent matcher written straight from IBM's wording, qualifier by qualifier, used as
// the oracle for the compiled (regular expression) matcher.
function oracleMatches(profile: string, name: string): boolean {
  const charsMatch = (p: string, n: string): boolean => {
    if (p.length === 0) return n.length === 0;
    if (p[0] === '*') return [...Array(n.length + 1).keys()].some((k) => charsMatch(p.slice(1), n.slice(k)));
    if (n.length === 0) return false;
    return (p[0] === '?' || p[0] === n[0]) && charsMatch(p.slice(1), n.slice(1));
  };
  const qualifiersMatch = (p: string[], n: string[]): boolean => {
    if (p.length === 0) return n.length === 0;
    if (p[0] === '**') return [...Array(n.length + 1).keys()].some((k) => qualifiersMatch(p.slice(1), n.slice(k)));
    return n.length > 0 && charsMatch(p[0] as string, n[0] as string) && qualifiersMatch(p.slice(1), n.slice(1));
  };
  return qualifiersMatch(profile.split('.'), name.split('.'));
}

describe('generic profile matching (IBM "Using wildcard characters in OAM profiles")', () => {
  it.each([
    ['? stands for any single character', 'AB.?D', ['AB.CD', 'AB.ED', 'AB.FD'], ['AB.D', 'AB.CCD', 'AB.C.D']],
    ['? inside a qualifier', 'ABC.?EF', ['ABC.DEF', 'ABC.CEF', 'ABC.BEF'], ['ABC.EF', 'ABC.DDEF']],
    ['* as a qualifier is exactly one qualifier', 'ABC.*.JKL', ['ABC.DEF.JKL', 'ABC.GHI.JKL'], ['ABC.JKL', 'ABC.D.E.JKL']],
    ['* within a qualifier is zero or more characters of it', 'ABC.DE*.JKL', ['ABC.DE.JKL', 'ABC.DEF.JKL', 'ABC.DEGH.JKL'], ['ABC.D.JKL', 'ABC.DEF.X.JKL']],
    ['** alone matches every name', '**', ['A', 'PAY.REQUEST', 'A.B.C.D'], []],
    ['**. at the start matches all names with that final qualifier', '**.ABC', ['ABC', 'X.ABC', 'X.Y.ABC'], ['ABC.X', 'XABC']],
    ['.** at the end matches zero or more trailing qualifiers', 'PAY.**', ['PAY', 'PAY.REQUEST', 'PAY.REPLY.1'], ['PAYMENTS', 'X.PAY']],
    ['.**. in the middle matches zero or more qualifiers', 'A.**.Z', ['A.Z', 'A.B.Z', 'A.B.C.Z'], ['A.ZZ', 'AZ', 'A.B']],
    ['a literal profile names exactly one object', 'PAY.REQUEST', ['PAY.REQUEST'], ['PAY.REQUESTS', 'pay.request', 'PAY.REQUEST.1']],
    ['the dev container profile DEV.** covers its queues', 'DEV.**', ['DEV.QUEUE.1', 'DEV.DEAD.LETTER.QUEUE'], ['DEVX.QUEUE']],
    ['names are case-sensitive', 'Pay.*', ['Pay.x'], ['PAY.x', 'pay.x']],
  ])('%s: %s', (_name, profile, matching, other) => {
    const p = parseProfile(profile);
    for (const name of matching) expect(p.matches(name), name).toBe(true);
    for (const name of other) expect(p.matches(name), name).toBe(false);
  });
});

describe('profile validation', () => {
  it.each([
    ['an empty profile', '', /must not be empty/],
    ['** that is not a whole qualifier', 'A**.B', /whole qualifier/],
    ['*** as a qualifier', 'A.***', /whole qualifier/],
    ['** used twice', '**.A.**', /only once/],
    ['characters outside the MQ name alphabet', 'PAY-REQUEST', /may hold only/],
    ['a topic-string wildcard', 'prices/#', /may hold only/],
    ['a space', 'PAY REQUEST', /may hold only/],
    ['more than 48 characters', 'Q'.repeat(49), /at most 48/],
  ])('refuses %s', (_name, profile, message) => {
    expect(profileProblem(profile)).toMatch(message);
    let thrown: unknown;
    try {
      parseProfile(profile);
    } catch (err) {
      thrown = err;
    }
    expect(hasCode(thrown, 'ERR_POLICY_PROFILE_INVALID')).toBe(true);
  });

  it.each(['**', 'A.**', '**.A', 'A.**.B', 'A?.*B*', 'SYSTEM.BASE.TOPIC', 'a/b%c_d', 'Q'.repeat(48)])('accepts %s', (profile) => {
    expect(profileProblem(profile)).toBeUndefined();
    expect(parseProfile(profile).text).toBe(profile);
  });

  it('refuses a value that is not a string', () => {
    expect(profileProblem(42)).toBe('must be a string');
  });

  it('tells valid object names from invalid ones', () => {
    expect(isValidObjectName('PAY.REQUEST')).toBe(true);
    expect(isValidObjectName('PAY.*')).toBe(false);
    expect(isValidObjectName('')).toBe(false);
    expect(isValidObjectName('Q'.repeat(49))).toBe(false);
  });
});

describe('profile precedence (IBM "Profile priorities")', () => {
  it('gives AB.CD the authority of AB.C* rather than AB.* (IBM example)', () => {
    const winner = mostSpecificMatch([parseProfile('AB.*'), parseProfile('AB.C*')], 'AB.CD');
    expect(winner?.text).toBe('AB.C*');
  });

  it.each([
    ['a literal beats ? at the first difference', 'AB.CD', 'AB.?D'],
    ['? beats *', 'AB.?D', 'AB.*D'],
    ['* beats **', 'AB.*', 'AB.**'],
    ['a literal qualifier beats * at the first difference even when more wildcards follow', 'A.B.*', 'A.*.C'],
    ['comparison is left to right: a literal first qualifier wins over a wildcard one', 'A.*', '*.B'],
    ['a leading ** loses to a literal start', 'A.**', '**.B'],
    ['** at the end loses to the bare name it also matches', 'PAY', 'PAY.**'],
    ['the literal name beats every generic profile', 'PAY.REQUEST', 'PAY.REQ*'],
    ['a longer literal tail beats an open end', 'A*X', 'A*'],
  ])('%s: %s over %s', (_name, more, less) => {
    const a = parseProfile(more);
    const b = parseProfile(less);
    expect(compareProfiles(a, b)).toBeLessThan(0);
    expect(compareProfiles(b, a)).toBeGreaterThan(0);
    expect([b, a].sort(compareProfiles)[0]).toBe(a);
  });

  it('applies only the most specific of several matching profiles', () => {
    const profiles = ['**', 'PAY.**', 'PAY.*', 'PAY.REQ*', 'PAY.RE?UEST', '*.REQUEST'].map(parseProfile);
    // Left to right: at the third character of the second qualifier PAY.REQ* has a literal
    // where PAY.RE?UEST has a wildcard, although PAY.RE?UEST has more literals in all.
    expect(mostSpecificMatch(profiles, 'PAY.REQUEST')?.text).toBe('PAY.REQ*');
    expect(mostSpecificMatch(profiles, 'PAY.REPLY')?.text).toBe('PAY.*');
    expect(mostSpecificMatch(profiles, 'PAY.A.B')?.text).toBe('PAY.**');
    expect(mostSpecificMatch(profiles, 'OTHER.REQUEST')?.text).toBe('*.REQUEST');
    expect(mostSpecificMatch(profiles, 'OTHER')?.text).toBe('**');
  });
});

// Small alphabets so that random profiles and names often match.
const qualifierChars = fc.constantFrom('A', 'B', '?', '*');
const profileArb = fc
  .tuple(
    fc.array(fc.array(qualifierChars, { minLength: 1, maxLength: 3 }).map((cs) => cs.join('')), { minLength: 1, maxLength: 4 }),
    fc.option(fc.nat(4), { nil: undefined }),
  )
  .map(([qs, at]) => {
    const out = [...qs];
    if (at !== undefined) out.splice(Math.min(at, out.length), 0, '**');
    return out.join('.');
  })
  .filter((p) => profileProblem(p) === undefined);
const nameArb = fc
  .array(fc.array(fc.constantFrom('A', 'B'), { maxLength: 3 }).map((cs) => cs.join('')), { minLength: 1, maxLength: 5 })
  .map((qs) => qs.join('.'))
  .filter((n) => isValidObjectName(n));

describe('profile properties', () => {
  it('matches exactly the names that a qualifier-by-qualifier reading of IBM rules matches', () => {
    fc.assert(fc.property(profileArb, nameArb, (profile, name) => {
      expect(parseProfile(profile).matches(name)).toBe(oracleMatches(profile, name));
    }), { numRuns: 3000 });
  });

  it('orders profiles totally: antisymmetric, zero only for the same text, transitive', () => {
    fc.assert(fc.property(profileArb, profileArb, profileArb, (x, y, z) => {
      const [a, b, c] = [parseProfile(x), parseProfile(y), parseProfile(z)];
      expect(Math.sign(compareProfiles(a, b)) + Math.sign(compareProfiles(b, a))).toBe(0);
      expect(compareProfiles(a, b) === 0).toBe(x === y);
      if (compareProfiles(a, b) < 0 && compareProfiles(b, c) < 0) expect(compareProfiles(a, c)).toBeLessThan(0);
    }), { numRuns: 2000 });
  });

  it('always lets a literal profile that matches win over any generic one', () => {
    fc.assert(fc.property(nameArb, fc.array(profileArb, { maxLength: 6 }), (name, generics) => {
      const profiles = [...generics.map(parseProfile), parseProfile(name)];
      expect(mostSpecificMatch(profiles, name)?.text).toBe(name);
    }));
  });

  it('either accepts or explains any string, and never throws anything but its own code', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (text) => {
      const problem = profileProblem(text);
      try {
        parseProfile(text);
        expect(problem).toBeUndefined();
      } catch (err) {
        expect(hasCode(err, 'ERR_POLICY_PROFILE_INVALID')).toBe(true);
        expect(problem).toBeTypeOf('string');
      }
    }));
  });
});
