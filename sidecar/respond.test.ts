import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES, type ErrorCode } from '../lib/errors/index.ts';
import { ERROR_CODE_HEADER, errorReply } from './respond.ts';

const body = (reply: { body: string }) => (JSON.parse(reply.body) as { error: Record<string, unknown>[] }).error;

describe('errorReply', () => {
  it.each([
    ['ERR_GATEWAY_NOT_AUTHORIZED', 403, 2035],
    ['ERR_GATEWAY_CHANNEL_BLOCKED', 403, 2035],
    ['ERR_GATEWAY_UNKNOWN_OBJECT', 404, 2085],
    ['ERR_GATEWAY_MESSAGE_TOO_BIG', 413, 2030],
    ['ERR_BROKER_UNAVAILABLE', 503, 2059],
    ['ERR_ENVELOPE_SIGNER_NOT_AUTHORIZED', 403, 2063],
    ['ERR_GATEWAY_CHANNEL_TOO_WEAK', 403, 2063],
    ['ERR_GATEWAY_BAD_HEADER', 400, undefined],
  ] as const)('maps %s to %i with reason code %s', (code, status, mqrc) => {
    const reply = errorReply(new AppError(code, 'why'));
    expect(reply.status).toBe(status);
    expect(reply.headers[ERROR_CODE_HEADER]).toBe(code);
    const [entry] = body(reply);
    expect(entry).toMatchObject({ type: 'rest', messageId: expect.stringMatching(/^(MQWB|QSH)\d{4}E$/) });
    if (mqrc === undefined) {
      expect(entry).not.toHaveProperty('reasonCode');
      expect(entry).not.toHaveProperty('completionCode');
    } else {
      expect(entry).toMatchObject({ completionCode: 2, reasonCode: mqrc });
    }
  });

  it('gives every registered code a reply with IBM\'s fields', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const reply = errorReply(new AppError(code, 'm'));
      const [entry] = body(reply);
      expect(Object.keys(entry ?? {}).slice(0, 5), code).toEqual(['type', 'messageId', 'message', 'explanation', 'action']);
      expect(reply.status, code).toBe(ERROR_CODES[code].status);
    }
  });

  it('keeps our own message on 4xx and never the error\'s message on 5xx', () => {
    expect(body(errorReply(new AppError('ERR_GATEWAY_BAD_HEADER', 'header x is wrong')))[0]?.message).toContain('header x is wrong');
    const internal = errorReply(new AppError('ERR_BROKER_UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.7:5672 user=admin'));
    expect(internal.body).not.toContain('10.0.0.7');
    expect(internal.body).not.toContain('admin');
  });

  it('turns anything that is not an AppError into a generic 500', () => {
    const reply = errorReply(new TypeError('secret internals'));
    expect(reply.status).toBe(500);
    expect(reply.code).toBe('ERR_INTERNAL');
    expect(reply.body).not.toContain('secret internals');
  });

  it('says when to retry on 429 and 503', () => {
    expect(errorReply(new AppError('ERR_GATEWAY_RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 0.2 } })).headers['retry-after']).toBe('1');
    expect(errorReply(new AppError('ERR_GATEWAY_RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 2.5 } })).headers['retry-after']).toBe('3');
    expect(errorReply(new AppError('ERR_BROKER_UNAVAILABLE', 'down')).headers['retry-after']).toBe('1');
  });

  it('lists the allowed methods on 405 and closes the connection after connection-level refusals', () => {
    expect(errorReply(new AppError('ERR_GATEWAY_METHOD_NOT_ALLOWED', 'no', { details: { allow: ['GET', 'POST'] } })).headers.allow).toBe('GET, POST');
    expect(errorReply(new AppError('ERR_GATEWAY_CHANNEL_BLOCKED', 'no'))).toMatchObject({ closeConnection: true, headers: { connection: 'close' } });
    expect(errorReply(new AppError('ERR_GATEWAY_NOT_AUTHORIZED', 'no')).closeConnection).toBe(false);
  });

  it('uses IBM\'s message ids where IBM\'s message means the same', () => {
    expect(body(errorReply(new AppError('ERR_GATEWAY_BAD_HEADER', 'x')))[0]?.messageId).toBe('MQWB0302E');
    expect(body(errorReply(new AppError('ERR_GATEWAY_MEDIA_TYPE', 'x', { details: { charset: 'latin1' } })))[0]?.messageId).toBe('MQWB0305E');
    expect(body(errorReply(new AppError('ERR_GATEWAY_MEDIA_TYPE', 'x')))[0]?.messageId).toBe('MQWB0306E');
    expect(body(errorReply(new AppError('ERR_BROKER_UNAVAILABLE', 'x')))[0]?.messageId).toBe('MQWB0300E');
  });
});
