import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { parseRoute } from './route.ts';

const base = '/ibmmq/rest/v3/messaging/qmgr/QM1';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('parseRoute', () => {
  it.each([
    ['POST', `${base}/queue/Q1/message`, 'put'],
    ['DELETE', `${base}/queue/Q1/message?wait=10`, 'get'],
    ['GET', `${base}/queue/Q1/message`, 'browse'],
    ['GET', `${base}/queue/Q1/messagelist`, 'messagelist'],
  ])('maps %s %s to %s', (method, url, operation) => {
    const route = parseRoute(method, url);
    expect(route).toMatchObject({ kind: 'queue', version: 'v3', operation, qmgr: 'QM1', queue: 'Q1' });
  });

  it('keeps the query for the operation to parse', () => {
    expect(parseRoute('DELETE', `${base}/queue/Q1/message?wait=10&correlationId=x`)).toMatchObject({ query: 'wait=10&correlationId=x' });
  });

  it('accepts the v2 paths, which have the same shape', () => {
    expect(parseRoute('POST', '/ibmmq/rest/v2/messaging/qmgr/QM1/queue/Q1/message')).toMatchObject({ version: 'v2', operation: 'put' });
  });

  it('refuses v1 and unknown versions as not found', () => {
    expect(codeOf(() => parseRoute('POST', '/ibmmq/rest/v1/messaging/qmgr/QM1/queue/Q1/message'))).toBe('ERR_GATEWAY_NOT_FOUND');
    expect(codeOf(() => parseRoute('POST', '/ibmmq/rest/v4/messaging/qmgr/QM1/queue/Q1/message'))).toBe('ERR_GATEWAY_NOT_FOUND');
  });

  it('decodes percent-encoded names: a / in a queue name is written %2F', () => {
    expect(parseRoute('POST', `${base}/queue/A%2FB.C/message`)).toMatchObject({ queue: 'A/B.C' });
    expect(parseRoute('POST', '/ibmmq/rest/v3/messaging/qmgr/QM%2E1/queue/Q/message')).toMatchObject({ qmgr: 'QM.1' });
  });

  it('reads a topic string written as path levels or with %2F', () => {
    expect(parseRoute('POST', `${base}/topic/prices/fx/eur/message`)).toMatchObject({ kind: 'topic', operation: 'publish', topic: 'prices/fx/eur' });
    expect(parseRoute('POST', `${base}/topic/prices%2Ffx/message`)).toMatchObject({ topic: 'prices/fx' });
  });

  it('refuses wildcard levels in a publication topic', () => {
    expect(codeOf(() => parseRoute('POST', `${base}/topic/prices/%23/message`))).toBe('ERR_GATEWAY_BAD_PATH');
    expect(codeOf(() => parseRoute('POST', `${base}/topic/prices/+/message`))).toBe('ERR_GATEWAY_BAD_PATH');
  });

  it.each([
    [`${base}/queue/%ZZ/message`, 'bad escape'],
    [`${base}/queue/%C3%28/message`, 'invalid UTF-8'],
    [`${base}/queue/A%00B/message`, 'NUL'],
    [`${base}/queue/${'Q'.repeat(49)}/message`, 'too long'],
    [`${base}/queue/Q%20R/message`, 'space'],
    [`${base}/queue//message`, 'empty'],
  ])('refuses a bad queue name (%s: %s)', (url) => {
    expect(codeOf(() => parseRoute('POST', url))).toBe('ERR_GATEWAY_BAD_PATH');
  });

  it('answers 405 with the methods a resource takes', () => {
    try {
      parseRoute('PUT', `${base}/queue/Q1/message`);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_GATEWAY_METHOD_NOT_ALLOWED', details: { allow: ['POST', 'DELETE', 'GET'] } });
    }
    expect(codeOf(() => parseRoute('POST', `${base}/queue/Q1/messagelist`))).toBe('ERR_GATEWAY_METHOD_NOT_ALLOWED');
    expect(codeOf(() => parseRoute('DELETE', `${base}/topic/t/message`))).toBe('ERR_GATEWAY_METHOD_NOT_ALLOWED');
  });

  it('serves the qshield extensions under /qshield/v1', () => {
    expect(parseRoute('GET', '/qshield/v1/connection')).toMatchObject({ kind: 'connection' });
    expect(parseRoute('GET', '/qshield/v1/qmgr/QM1/queue/PAY.REQUEST/protection')).toMatchObject({ kind: 'protection', target: { queue: 'PAY.REQUEST' } });
    expect(parseRoute('GET', '/qshield/v1/qmgr/QM1/topic/prices/fx/protection')).toMatchObject({ kind: 'protection', target: { topic: 'prices/fx' } });
    expect(codeOf(() => parseRoute('POST', '/qshield/v1/connection'))).toBe('ERR_GATEWAY_METHOD_NOT_ALLOWED');
  });

  it.each(['/', '/ibmmq', '/ibmmq/rest/v3/messaging/qmgr/QM1/queue/Q1', `${base}/queue/Q1/other`, `${base}/channel/C/message`, '/qshield/v1/nothing'])('refuses %s as not found', (url) => {
    expect(codeOf(() => parseRoute('GET', url))).toBe('ERR_GATEWAY_NOT_FOUND');
  });

  it('refuses a huge request target before decoding it', () => {
    expect(codeOf(() => parseRoute('GET', `${base}/queue/${'%41'.repeat(10_000)}/message`))).toBe('ERR_GATEWAY_BAD_PATH');
  });

  it('never throws anything but a gateway AppError, whatever the method and target', () => {
    const segment = fc.oneof(fc.constantFrom('ibmmq', 'rest', 'v2', 'v3', 'messaging', 'qmgr', 'QM1', 'queue', 'topic', 'message', 'messagelist', 'qshield', 'v1', 'protection', '', '%', '%2F', '%00', '%E2%82'), fc.string());
    fc.assert(fc.property(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', ''), fc.array(segment, { maxLength: 12 }), fc.string(), (method, segments, query) => {
      try {
        const route = parseRoute(method, `/${segments.join('/')}?${query}`);
        expect(['queue', 'topic', 'protection', 'connection']).toContain(route.kind);
      } catch (err) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toMatch(/^ERR_GATEWAY_(NOT_FOUND|METHOD_NOT_ALLOWED|BAD_PATH)$/);
      }
    }), { numRuns: 2000 });
  });
});
