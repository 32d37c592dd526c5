import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { SEGMENT_CHARS, TRUST_DOMAIN_CHARS, segmentArb, spiffeIdTextArb, trustDomainArb } from '../../test/arbitraries/spiffe-id.ts';
import { parseSpiffeId, parseTrustDomain, spiffeIdFromParts, trustDomainId, tryParseSpiffeId, workloadSpiffeId } from './spiffe-id.ts';

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (hasCode(err, 'ERR_SPIFFE_ID_INVALID')) return err.details.reason;
    throw err;
  }
  return 'accepted';
}

const REASONS = new Set(['empty', 'too-long', 'scheme', 'query', 'fragment', 'userinfo', 'port', 'trust-domain-missing',
  'trust-domain-too-long', 'trust-domain-chars', 'path-trailing-slash', 'path-empty-segment', 'path-dot-segment', 'path-chars', 'path-missing']);

describe('parseSpiffeId', () => {
  it('splits a workload id into trust domain, path and segments', () => {
    const id = parseSpiffeId('spiffe://cluster.local/ns/pay/sa/checkout');
    expect(id.trustDomain).toBe('cluster.local');
    expect(id.path).toBe('/ns/pay/sa/checkout');
    expect(id.segments).toEqual(['ns', 'pay', 'sa', 'checkout']);
    expect(id.toString()).toBe('spiffe://cluster.local/ns/pay/sa/checkout');
    expect(JSON.stringify({ id })).toBe('{"id":"spiffe://cluster.local/ns/pay/sa/checkout"}');
    expect(id.isTrustDomainId).toBe(false);
    expect(id.memberOf('cluster.local')).toBe(true);
    expect(id.equals('spiffe://cluster.local/ns/pay/sa/checkout')).toBe(true);
    expect(Object.isFrozen(id)).toBe(true);
  });

  it('accepts the id of a trust domain itself, unless a workload id is asked for', () => {
    const id = parseSpiffeId('spiffe://example.org');
    expect(id.isTrustDomainId).toBe(true);
    expect(id.path).toBe('');
    expect(reasonOf(() => parseSpiffeId('spiffe://example.org', { workload: true }))).toBe('path-missing');
  });

  it.each([
    ['', 'empty'],
    ['http://example.org/a', 'scheme'],
    ['SPIFFE://example.org/a', 'scheme'],
    ['spiffe:/example.org/a', 'scheme'],
    ['example.org/a', 'scheme'],
    ['spiffe://example.org/a?x=1', 'query'],
    ['spiffe://example.org/a#frag', 'fragment'],
    ['spiffe://user@example.org/a', 'userinfo'],
    ['spiffe://example.org:8443/a', 'port'],
    ['spiffe:///a', 'trust-domain-missing'],
    ['spiffe://', 'trust-domain-missing'],
    ['spiffe://Example.org/a', 'trust-domain-chars'],
    ['spiffe://exa mple.org/a', 'trust-domain-chars'],
    ['spiffe://exämple.org/a', 'trust-domain-chars'],
    [`spiffe://${'a'.repeat(256)}/x`, 'trust-domain-too-long'],
    [`spiffe://example.org/${'a'.repeat(2040)}`, 'too-long'],
    ['spiffe://example.org/', 'path-trailing-slash'],
    ['spiffe://example.org/a/', 'path-trailing-slash'],
    ['spiffe://example.org//a', 'path-empty-segment'],
    ['spiffe://example.org/a//b', 'path-empty-segment'],
    ['spiffe://example.org/a/./b', 'path-dot-segment'],
    ['spiffe://example.org/..', 'path-dot-segment'],
    ['spiffe://example.org/a%20b', 'path-chars'],
    ['spiffe://example.org/a b', 'path-chars'],
    ['spiffe://example.org/a*', 'path-chars'],
    ['spiffe://example.org/ä', 'path-chars'],
  ])('refuses %j with reason %s', (text, reason) => {
    expect(reasonOf(() => parseSpiffeId(text))).toBe(reason);
  });

  it('accepts the largest trust domain and id the spec allows', () => {
    expect(parseSpiffeId(`spiffe://${'a'.repeat(255)}/x`).trustDomain).toHaveLength(255);
    const longest = `spiffe://example.org/${'a'.repeat(2048 - 'spiffe://example.org/'.length)}`;
    expect(parseSpiffeId(longest).toString()).toHaveLength(2048);
  });

  it('says what is wrong in a readable message, quoting the input', () => {
    expect(() => parseSpiffeId('spiffe://example.org/a//b')).toThrow(/"spiffe:\/\/example.org\/a\/\/b" is not a valid SPIFFE id: the path has an empty segment/);
  });

  it('round-trips every valid id (property)', () => {
    fc.assert(fc.property(spiffeIdTextArb(), (text) => {
      const id = parseSpiffeId(text);
      expect(id.toString()).toBe(text);
      expect(parseSpiffeId(id.toString()).equals(id)).toBe(true);
      expect(spiffeIdFromParts(id.trustDomain, ...id.segments).toString()).toBe(text);
    }), { numRuns: 500 });
  });

  it('either parses or refuses with a known reason, for any string (property)', () => {
    const alphabet = fc.constantFrom(...`${SEGMENT_CHARS}/:@?#%*. Ä\u0000`.split(''));
    const near = fc.tuple(fc.constantFrom('spiffe://', 'spiffe:/', 'SPIFFE://', ''), fc.string({ unit: alphabet, maxLength: 40 })).map(([a, b]) => a + b);
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), near), (text) => {
      const reason = reasonOf(() => parseSpiffeId(text));
      if (reason !== 'accepted') expect(REASONS.has(reason as string), String(reason)).toBe(true);
      // Whatever is accepted formats back to exactly the input: nothing is normalised away.
      else expect(parseSpiffeId(text).toString()).toBe(text);
    }), { numRuns: 2000 });
  });

  it('refuses an id whose segment gains a character outside the path set (property)', () => {
    const bad = fc.constantFrom(...' %*+,;=!$&\'()~:@[]ä'.split(''));
    fc.assert(fc.property(trustDomainArb(), segmentArb(), bad, fc.nat(), (td, segment, ch, at) => {
      const i = at % (segment.length + 1);
      const text = `spiffe://${td}/${segment.slice(0, i)}${ch}${segment.slice(i)}`;
      const reason = reasonOf(() => parseSpiffeId(text));
      expect(reason).toBe('path-chars');
    }));
  });

  it('refuses an uppercase trust domain (property)', () => {
    fc.assert(fc.property(trustDomainArb().filter((td) => /[a-z]/.test(td)), (td) => {
      expect(reasonOf(() => parseSpiffeId(`spiffe://${td.toUpperCase()}/a`))).toBe('trust-domain-chars');
    }));
  });

  it('tryParseSpiffeId returns undefined instead of throwing', () => {
    expect(tryParseSpiffeId('nope')).toBeUndefined();
    expect(tryParseSpiffeId('spiffe://a/b')?.path).toBe('/b');
  });
});

describe('building ids', () => {
  it('makes the workload id of a service account', () => {
    expect(workloadSpiffeId('cluster.local', 'pay', 'checkout').toString()).toBe('spiffe://cluster.local/ns/pay/sa/checkout');
  });

  it('refuses parts that are not valid path segments', () => {
    expect(reasonOf(() => workloadSpiffeId('cluster.local', 'pay/x', 'checkout'))).toBe('path-chars');
    expect(reasonOf(() => workloadSpiffeId('cluster.local', '', 'checkout'))).toBe('path-empty-segment');
    expect(reasonOf(() => workloadSpiffeId('Cluster.local', 'a', 'b'))).toBe('trust-domain-chars');
    expect(reasonOf(() => spiffeIdFromParts('example.org', 'a', '..'))).toBe('path-dot-segment');
  });

  it('takes a trust domain with or without the scheme', () => {
    expect(parseTrustDomain('example.org')).toBe('example.org');
    expect(parseTrustDomain('spiffe://example.org')).toBe('example.org');
    expect(trustDomainId('example.org').toString()).toBe('spiffe://example.org');
    expect(reasonOf(() => parseTrustDomain('spiffe://example.org/a'))).toBe('path-chars');
    expect(reasonOf(() => parseTrustDomain('example.org:443'))).toBe('port');
    expect(reasonOf(() => parseTrustDomain(''))).toBe('trust-domain-missing');
  });

  it('accepts exactly the trust domain character set (property)', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...`${TRUST_DOMAIN_CHARS}A/`.split('')), minLength: 1, maxLength: 8 }), (td) => {
      const ok = /^[a-z0-9._-]+$/.test(td);
      expect(reasonOf(() => parseTrustDomain(td)) === 'accepted').toBe(ok);
    }));
  });
});
