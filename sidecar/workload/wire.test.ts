import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorFromReply, type GatewayReply } from './gateway-client.ts';
import { leaseFromReply, messageFromReply, putHeaders, query } from './wire.ts';

const id = 'ab'.repeat(24);
const reply = (status: number, headers: Record<string, string>, body = ''): GatewayReply => ({ status, headers, body: Buffer.from(body) });

describe('between the app and the gateway', () => {
  it('writes a put\'s descriptor as the gateway takes it, v3 ids, with the chosen message id', () => {
    expect(putHeaders({ persistence: 'persistent', contentType: 'application/json; charset=utf-8', correlationId: 'cd'.repeat(24), expiryMs: 60_000, replyTo: 'R@QM', priority: 7 }, id)).toEqual({
      'ibm-mq-rest-csrf-token': 'qshield-sidecar',
      'ibm-mq-md-messageid': `ID:${id}`,
      'ibm-mq-md-persistence': 'persistent',
      'content-type': 'application/json; charset=utf-8',
      'ibm-mq-md-correlationid': `ID:${'cd'.repeat(24)}`,
      'ibm-mq-md-expiry': '60000',
      'ibm-mq-md-replyto': 'R@QM',
      'ibm-mq-md-priority': '7',
    });
    expect(putHeaders({}, id)).toMatchObject({ 'ibm-mq-md-persistence': 'nonPersistent', 'content-type': 'text/plain; charset=utf-8' });
  });

  it('reads a got message back from the gateway\'s headers', () => {
    const m = messageFromReply(reply(200, {
      'ibm-mq-md-messageid': `ID:${id.toUpperCase()}`, 'ibm-mq-md-correlationid': `ID:${'cd'.repeat(24)}`, 'ibm-mq-md-persistence': 'persistent',
      'ibm-mq-md-expiry': '1500', 'ibm-mq-md-priority': '3', 'ibm-mq-md-replyto': 'R', 'content-type': 'text/xml; charset=utf-8',
    }, 'body'));
    expect(m).toMatchObject({ messageId: id, correlationId: 'cd'.repeat(24), persistence: 'persistent', expiryMs: 1500, priority: 3, replyTo: 'R', contentType: 'text/xml; charset=utf-8' });
    expect(m.body.toString()).toBe('body');
    expect(messageFromReply(reply(200, { 'ibm-mq-md-messageid': id, 'ibm-mq-md-expiry': 'unlimited', 'ibm-mq-md-priority': '99' })).expiryMs).toBeUndefined();
    expect(() => messageFromReply(reply(200, {}))).toThrow(expect.objectContaining({ code: 'ERR_WORKLOAD_GATEWAY_ERROR' }));
  });

  it('reads the lease of a lease answer', () => {
    expect(leaseFromReply(reply(200, { 'qshield-lease-id': 'L1', 'qshield-lease-expires': '2026-11-23T10:00:00.000Z' }))).toEqual({ id: 'L1', expires: '2026-11-23T10:00:00.000Z' });
    expect(() => leaseFromReply(reply(200, {}))).toThrow(expect.objectContaining({ code: 'ERR_WORKLOAD_GATEWAY_ERROR' }));
  });

  it('builds query strings, leaving out what is undefined', () => {
    expect(query({ wait: 100, visibility: undefined, messageId: `ID:${id}` })).toBe(`?wait=100&messageId=ID%3A${id}`);
    expect(query({})).toBe('');
  });
});

describe('errorFromReply: the gateway\'s error, the same for the app', () => {
  it('keeps the gateway\'s code, its message without IBM\'s message id, and Retry-After', () => {
    const err = errorFromReply(reply(429, { 'qshield-error-code': 'ERR_GATEWAY_RATE_LIMITED', 'retry-after': '2' }, JSON.stringify({ error: [{ message: 'QSH0429E: the peer exceeds the 5 messages per second' }] })));
    expect(err.code).toBe('ERR_GATEWAY_RATE_LIMITED');
    expect(err.message).toBe('the peer exceeds the 5 messages per second');
    expect(err.details).toMatchObject({ retryAfterSeconds: 2, gatewayStatus: 429 });
  });

  it('turns an unknown code or no code into ERR_WORKLOAD_GATEWAY_ERROR', () => {
    expect(errorFromReply(reply(500, { 'qshield-error-code': 'ERR_FROM_THE_FUTURE' })).code).toBe('ERR_WORKLOAD_GATEWAY_ERROR');
    expect(errorFromReply(reply(502, {}, '<html>')).code).toBe('ERR_WORKLOAD_GATEWAY_ERROR');
  });

  it('never throws, whatever the body (fuzz)', () => {
    fc.assert(fc.property(fc.integer({ min: 400, max: 599 }), fc.option(fc.string()), fc.string(), (status, code, body) => {
      const err = errorFromReply(reply(status, code === null ? {} : { 'qshield-error-code': code }, body));
      expect(err.code.startsWith('ERR_')).toBe(true);
    }), { numRuns: 500 });
  });
});
