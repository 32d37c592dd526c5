import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { principalProblem } from './principal.ts';

describe('principals', () => {
  it.each([
    ['a workload SPIFFE id', 'spiffe://cluster.local/ns/pay/sa/checkout'],
    ['a mapped principal name', 'settlement-apps'],
    ['a name with dots, underscores and @', 'ops_team.eu@bank'],
  ])('accepts %s', (_name, principal) => {
    expect(principalProblem(principal)).toBeUndefined();
  });

  it.each([
    ['a SPIFFE pattern', 'spiffe://cluster.local/ns/pay/**', /not a pattern/],
    ['a trust domain id, which no workload carries', 'spiffe://cluster.local', /not a valid workload SPIFFE id/],
    ['an id with an uppercase trust domain', 'spiffe://Cluster.local/ns/a', /not a valid workload SPIFFE id/],
    ['an empty string', '', /non-empty/],
    ['a name starting with punctuation', '-apps', /must be a SPIFFE id or a name/],
    ['a name of 65 characters', 'a'.repeat(65), /must be a SPIFFE id or a name/],
    ['a number', 7, /non-empty string/],
  ])('refuses %s', (_name, principal, message) => {
    expect(principalProblem(principal)).toMatch(message);
  });

  it('answers for any input without throwing', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      const problem = principalProblem(value);
      expect(problem === undefined || typeof problem === 'string').toBe(true);
    }));
  });
});
