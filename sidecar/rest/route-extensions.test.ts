import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { parseMessageQuery } from './query.ts';
import { parseRoute } from './route.ts';

const q = '/qshield/v1/qmgr/QM1';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('parseRoute: leases, subscriptions and quarantine', () => {
  it.each([
    ['POST', `${q}/queue/Q1/lease?wait=5&visibility=2000`, { kind: 'lease', qmgr: 'QM1', queue: 'Q1', query: 'wait=5&visibility=2000' }],
    ['DELETE', `${q}/lease/abc_DEF-123`, { kind: 'lease-settle', qmgr: 'QM1', leaseId: 'abc_DEF-123', action: 'ack' }],
    ['POST', `${q}/lease/abc/release`, { kind: 'lease-settle', leaseId: 'abc', action: 'release' }],
    ['GET', `${q}/topic/prices/fx/subscription`, { kind: 'subscription', topic: 'prices/fx' }],
    ['GET', `${q}/topic/prices/%23/subscription`, { kind: 'subscription', topic: 'prices/#' }],
    ['GET', `${q}/topic/prices%2F%2B%2Feur/subscription`, { kind: 'subscription', topic: 'prices/+/eur' }],
    ['POST', `${q}/quarantine`, { kind: 'quarantine', qmgr: 'QM1' }],
    ['GET', `${q}/queue/Q1/protection`, { kind: 'protection', target: { queue: 'Q1' } }],
    ['GET', `${q}/topic/prices/protection`, { kind: 'protection', target: { topic: 'prices' } }],
  ])('%s %s', (method, url, expected) => {
    expect(parseRoute(method, url)).toMatchObject(expected);
  });

  it.each([
    ['GET', `${q}/queue/Q1/lease`, 'ERR_GATEWAY_METHOD_NOT_ALLOWED'],
    ['POST', `${q}/lease/abc`, 'ERR_GATEWAY_METHOD_NOT_ALLOWED'],
    ['DELETE', `${q}/lease/abc/release`, 'ERR_GATEWAY_METHOD_NOT_ALLOWED'],
    ['GET', `${q}/quarantine`, 'ERR_GATEWAY_METHOD_NOT_ALLOWED'],
    ['DELETE', `${q}/lease/a.b`, 'ERR_GATEWAY_BAD_PATH'],
    ['DELETE', `${q}/lease/${'x'.repeat(65)}`, 'ERR_GATEWAY_BAD_PATH'],
    ['GET', `${q}/topic/a%00b/subscription`, 'ERR_GATEWAY_BAD_PATH'],
    ['POST', `${q}/topic/prices/%23/message`.replace('/qshield/v1', '/ibmmq/rest/v3/messaging'), 'ERR_GATEWAY_BAD_PATH'],
    ['POST', `${q}/lease/abc/renew`, 'ERR_GATEWAY_NOT_FOUND'],
    ['GET', `${q}/queue/Q1/subscription`, 'ERR_GATEWAY_NOT_FOUND'],
  ])('%s %s is refused with %s', (method, url, code) => {
    expect(codeOf(() => parseRoute(method, url))).toBe(code);
  });

  it('never throws anything but a coded AppError for any /qshield/v1 path (fuzz)', () => {
    const segment = fc.oneof(fc.constantFrom('qmgr', 'QM1', 'queue', 'topic', 'lease', 'release', 'subscription', 'quarantine', 'protection', '%23', '%2B', '%ZZ', ''), fc.string({ maxLength: 12 }));
    fc.assert(fc.property(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), fc.array(segment, { maxLength: 8 }), (method, parts) => {
      const code = codeOf(() => parseRoute(method, `/qshield/v1/${parts.join('/')}`));
      expect(code === undefined || code.startsWith('ERR_GATEWAY_')).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('parseMessageQuery: lease visibility', () => {
  const limits = { maxWaitMs: 60_000, maxListLimit: 100, maxVisibilityMs: 900_000 };

  it('reads visibility in milliseconds, with the get parameters', () => {
    expect(parseMessageQuery('lease', 'wait=100&visibility=5000', 'v3', limits)).toEqual({ waitMs: 100, visibilityMs: 5000 });
  });

  it.each(['visibility=999', 'visibility=900001', 'visibility=x', 'visibility=1000&visibility=2000'])('refuses %s', (query) => {
    expect(codeOf(() => parseMessageQuery('lease', query, 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
  });

  it('takes visibility on leases only', () => {
    expect(codeOf(() => parseMessageQuery('get', 'visibility=5000', 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
    expect(codeOf(() => parseMessageQuery('subscription', 'wait=1', 'v3', limits))).toBe('ERR_GATEWAY_BAD_QUERY');
  });
});
