import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { parseMessageQuery } from './query.ts';

const limits = { maxWaitMs: 60_000, maxListLimit: 1000 };
const hex = 'a'.repeat(48);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('parseMessageQuery', () => {
  it('reads wait and the selectors of a get', () => {
    expect(parseMessageQuery('get', `wait=1500&correlationId=ID:${hex.toUpperCase()}&messageId=ID:${hex}`, 'v3', limits))
      .toEqual({ waitMs: 1500, correlationId: hex, messageId: hex });
  });

  it('reads v2 ids without the ID: prefix', () => {
    expect(parseMessageQuery('get', `correlationId=${hex}`, 'v2', limits)).toEqual({ waitMs: 0, correlationId: hex });
    expect(codeOf(() => parseMessageQuery('get', `correlationId=ID:${hex}`, 'v2', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
  });

  it('refuses v3 application-specific string ids as unsupported', () => {
    expect(codeOf(() => parseMessageQuery('get', 'correlationId=order-17', 'v3', limits))).toBe('ERR_GATEWAY_UNSUPPORTED');
  });

  it.each([
    ['wait=-1'], ['wait=1.5'], ['wait=abc'], ['wait='], ['wait=60001'], ['wait=99999999999'],
    ['wait=1&wait=2'], ['colour=blue'], ['messageId=ID:abc'], [`correlationId=ID:${'g'.repeat(48)}`], ['%ZZ=1'],
  ])('refuses %s', (query) => {
    expect(codeOf(() => parseMessageQuery('get', query, 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
  });

  it('names the parameter and the limit when wait is too long', () => {
    try {
      parseMessageQuery('get', 'wait=60001', 'v3', limits);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ details: { parameter: 'wait', max: 60_000 } });
    }
  });

  it('takes no parameters on put and publish', () => {
    expect(codeOf(() => parseMessageQuery('put', 'wait=1', 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
    expect(parseMessageQuery('publish', '', 'v3', limits)).toEqual({ waitMs: 0 });
  });

  it('takes limit on messagelist only, from 1 to the maximum', () => {
    expect(parseMessageQuery('messagelist', 'limit=10', 'v3', limits)).toEqual({ waitMs: 0, limit: 10 });
    expect(codeOf(() => parseMessageQuery('messagelist', 'limit=0', 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
    expect(codeOf(() => parseMessageQuery('messagelist', 'limit=1001', 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
    expect(codeOf(() => parseMessageQuery('get', 'limit=1', 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
  });

  it('only ever returns a query or throws a gateway AppError', () => {
    fc.assert(fc.property(fc.constantFrom('get', 'browse', 'messagelist', 'put') as fc.Arbitrary<'get'>, fc.constantFrom('v2', 'v3') as fc.Arbitrary<'v3'>, fc.string({ maxLength: 200 }), (op, version, query) => {
      try {
        const q = parseMessageQuery(op, query, version, limits);
        expect(q.waitMs).toBeGreaterThanOrEqual(0);
        expect(q.waitMs).toBeLessThanOrEqual(limits.maxWaitMs);
      } catch (err) {
        expect((err as AppError).code).toMatch(/^ERR_GATEWAY_(BAD_QUERY|UNSUPPORTED)$/);
      }
    }), { numRuns: 2000 });
  });
});
