import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../../lib/errors/index.ts';
import { MAX_PIGGYBACK_ACKS, parsePiggybackAcks } from './extensions.ts';

const leaseIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

describe('acks carried on a lease request: the qshield-ack-leases header', () => {
  it('reads a comma-separated list of lease ids, spaces around commas allowed, each id once', () => {
    expect(parsePiggybackAcks(undefined)).toEqual([]);
    expect(parsePiggybackAcks('abc')).toEqual(['abc']);
    expect(parsePiggybackAcks('a_1, b-2 ,a_1')).toEqual(['a_1', 'b-2']);
    expect(parsePiggybackAcks(['a', 'b,c'])).toEqual(['a', 'b', 'c']); // the header repeated
  });

  it.each([
    [''], [','], ['a,,b'], ['a b'], ['a;b'], ['x'.repeat(65)], ['ü'], [Array.from({ length: MAX_PIGGYBACK_ACKS + 1 }, (_, i) => `l${i}`).join(',')],
  ])('refuses %j as a bad header', (value) => {
    expect(() => parsePiggybackAcks(value)).toThrow(expect.objectContaining({ code: 'ERR_GATEWAY_BAD_HEADER' }));
  });

  it('round-trips any list of valid ids up to the limit', () => {
    fc.assert(fc.property(fc.uniqueArray(leaseIdArb, { minLength: 1, maxLength: MAX_PIGGYBACK_ACKS }), (ids) => {
      expect(parsePiggybackAcks(ids.join(','))).toEqual(ids);
    }));
  });

  it('either returns valid ids or throws ERR_GATEWAY_BAD_HEADER, for any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (value) => {
      try {
        const ids = parsePiggybackAcks(value);
        for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(ids.length).toBeLessThanOrEqual(MAX_PIGGYBACK_ACKS);
      } catch (err) {
        expect(hasCode(err, 'ERR_GATEWAY_BAD_HEADER')).toBe(true);
      }
    }));
  });
});
