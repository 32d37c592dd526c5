import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import type { Message } from '../drivers/driver.ts';
import { messageHeaders, parseContentType, parsePutHeaders } from './md-headers.ts';

const hex = '0123456789abcdef'.repeat(3);
const h = (record: Record<string, string | string[]>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('parsePutHeaders', () => {
  it('defaults to a non-persistent UTF-8 text message, as the MQ REST API does', () => {
    expect(parsePutHeaders({}, 'v3')).toEqual({ persistence: 'nonPersistent', contentType: 'text/plain; charset=utf-8' });
  });

  it('reads every descriptor header of a v3 put', () => {
    expect(parsePutHeaders(h({
      'ibm-mq-md-messageid': `ID:${hex}`, 'ibm-mq-md-correlationid': `ID:${hex.toUpperCase()}`, 'ibm-mq-md-persistence': 'persistent',
      'ibm-mq-md-expiry': '60000', 'ibm-mq-md-replyto': 'REPLY.Q@QM2', 'ibm-mq-md-priority': '7', 'content-type': 'application/json;charset=UTF-8',
    }), 'v3')).toEqual({
      messageId: hex, correlationId: hex, persistence: 'persistent', expiryMs: 60_000, replyTo: 'REPLY.Q@QM2', priority: 7, contentType: 'application/json; charset=utf-8',
    });
  });

  it('reads v2 ids as bare hex and refuses the priority header there', () => {
    expect(parsePutHeaders(h({ 'ibm-mq-md-correlationid': hex }), 'v2')).toMatchObject({ correlationId: hex });
    expect(codeOf(() => parsePutHeaders(h({ 'ibm-mq-md-priority': '1' }), 'v2'))).toBe('ERR_GATEWAY_BAD_HEADER');
  });

  it('takes unlimited expiry as none', () => {
    expect(parsePutHeaders(h({ 'ibm-mq-md-expiry': 'unlimited' }), 'v3')).not.toHaveProperty('expiryMs');
  });

  it.each([
    [{ 'ibm-mq-md-persistence': 'PERSISTENT' }],
    [{ 'ibm-mq-md-expiry': '0' }],
    [{ 'ibm-mq-md-expiry': '-5' }],
    [{ 'ibm-mq-md-expiry': '1e3' }],
    [{ 'ibm-mq-md-priority': '10' }],
    [{ 'ibm-mq-md-replyto': 'bad queue' }],
    [{ 'ibm-mq-md-messageid': 'ID:1234' }],
    [{ 'ibm-mq-md-correlationid': `ID:${'z'.repeat(48)}` }],
    [{ 'ibm-mq-md-format': 'MQSTR' }],
    [{ 'ibm-mq-md-persistence': ['persistent', 'persistent'] }],
  ])('refuses %o with the header named', (headers) => {
    try {
      parsePutHeaders(h(headers), 'v3');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_GATEWAY_BAD_HEADER', details: { header: expect.stringMatching(/^ibm-mq-md-/i) } });
    }
  });

  it('refuses user properties and string correlation ids as unsupported, not silently', () => {
    expect(codeOf(() => parsePutHeaders(h({ 'ibm-mq-usr': 'a=b' }), 'v3'))).toBe('ERR_GATEWAY_UNSUPPORTED');
    expect(codeOf(() => parsePutHeaders(h({ 'ibm-mq-md-correlationid': 'order-17' }), 'v3'))).toBe('ERR_GATEWAY_UNSUPPORTED');
  });

  it('only ever returns a descriptor or throws a gateway AppError, whatever the header values', () => {
    const names = fc.constantFrom('ibm-mq-md-messageid', 'ibm-mq-md-correlationid', 'ibm-mq-md-persistence', 'ibm-mq-md-expiry', 'ibm-mq-md-replyto', 'ibm-mq-md-priority', 'content-type', 'ibm-mq-md-x');
    fc.assert(fc.property(fc.dictionary(names, fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 2 })), fc.constantFrom('v2', 'v3') as fc.Arbitrary<'v3'>, (headers, version) => {
      try {
        const md = parsePutHeaders(headers, version);
        expect(['persistent', 'nonPersistent']).toContain(md.persistence);
      } catch (err) {
        expect((err as AppError).code).toMatch(/^ERR_GATEWAY_(BAD_HEADER|UNSUPPORTED|MEDIA_TYPE)$/);
      }
    }), { numRuns: 2000 });
  });
});

describe('parseContentType', () => {
  it.each([
    ['text/plain', 'text/plain; charset=utf-8'],
    ['TEXT/XML; charset="utf-8"', 'text/xml; charset=utf-8'],
    ['application/octet-stream', 'application/octet-stream'],
    ['application/pkcs7-mime; smime-type=enveloped-data', 'application/pkcs7-mime; smime-type=enveloped-data'],
  ])('takes %s as %s', (value, normalised) => {
    expect(parseContentType(value)).toBe(normalised);
  });

  it('refuses other media types and non-UTF-8 text (415)', () => {
    expect(codeOf(() => parseContentType('image/png'))).toBe('ERR_GATEWAY_MEDIA_TYPE');
    expect(codeOf(() => parseContentType('application/x-www-form-urlencoded'))).toBe('ERR_GATEWAY_MEDIA_TYPE');
    expect(() => parseContentType('text/plain; charset=iso-8859-1')).toThrow(expect.objectContaining({ code: 'ERR_GATEWAY_MEDIA_TYPE', details: expect.objectContaining({ charset: 'iso-8859-1' }) }));
  });
});

describe('messageHeaders', () => {
  const message: Message = {
    messageId: hex, correlationId: hex, body: Buffer.from('x'), persistence: 'persistent', expiryMs: 5000, priority: 4,
    replyTo: 'R@QM', putTime: new Date(), contentType: undefined, properties: {},
  };

  it('writes v3 ids with ID: and the priority', () => {
    expect(messageHeaders(message, 'v3')).toEqual({
      'content-type': 'text/plain; charset=utf-8', 'ibm-mq-md-messageId': `ID:${hex}`, 'ibm-mq-md-correlationId': `ID:${hex}`,
      'ibm-mq-md-persistence': 'persistent', 'ibm-mq-md-expiry': '5000', 'ibm-mq-md-replyTo': 'R@QM', 'ibm-mq-md-priority': '4',
    });
  });

  it('writes v2 ids bare, without a priority, and unlimited expiry as such', () => {
    const headers = messageHeaders({ ...message, expiryMs: undefined, correlationId: undefined, replyTo: undefined }, 'v2');
    expect(headers).toEqual({ 'content-type': 'text/plain; charset=utf-8', 'ibm-mq-md-messageId': hex, 'ibm-mq-md-persistence': 'persistent', 'ibm-mq-md-expiry': 'unlimited' });
  });
});
