import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError, hasCode } from '../../lib/errors/index.ts';
import { generateMessageId, normalizeId } from './message-id.ts';
import { prepareMessage, toMessage } from './message.ts';
import { resolveQueueSpecs } from './queue-spec.ts';

const now = new Date('2026-11-23T10:00:00Z');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
}

describe('message ids', () => {
  it('generates distinct 48-hex-digit ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, generateMessageId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{48}$/);
  });

  it('lower-cases ids and treats all zeros as none', () => {
    expect(normalizeId('AB'.repeat(24), 'messageId')).toBe('ab'.repeat(24));
    expect(normalizeId('0'.repeat(48), 'correlationId')).toBeUndefined();
    expect(normalizeId(undefined, 'messageId')).toBeUndefined();
  });

  it('accepts exactly the 48-hex-digit strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const ok = /^[0-9a-fA-F]{48}$/.test(s);
        expect(codeOf(() => normalizeId(s, 'messageId'))).toBe(ok ? undefined : 'ERR_BROKER_BAD_MESSAGE_ID');
        expect(codeOf(() => normalizeId(s, 'correlationId'))).toBe(ok ? undefined : 'ERR_BROKER_BAD_CORREL_ID');
      }),
    );
  });
});

describe('prepareMessage', () => {
  it('completes a message with defaults and the put time', () => {
    const stored = prepareMessage({ body: Buffer.from('x') }, 10, now);
    expect(stored).toMatchObject({ persistence: 'nonPersistent', priority: 0, expiryMs: undefined, putTime: now, properties: {} });
    expect(stored.messageId).toMatch(/^[0-9a-f]{48}$/);
  });

  it('reports the remaining expiry, never less than 1 ms while readable', () => {
    const stored = prepareMessage({ body: Buffer.from('x'), expiryMs: 1000 }, 10, now);
    expect(toMessage(stored, now.getTime() + 250).expiryMs).toBe(750);
    expect(toMessage(stored, now.getTime() + 5000).expiryMs).toBe(1);
  });

  it.each([
    [{ body: 'text' }, 'ERR_BROKER_BAD_MESSAGE'],
    [{ body: Buffer.alloc(11) }, 'ERR_BROKER_MESSAGE_TOO_BIG'],
    [{ body: Buffer.alloc(1), expiryMs: Number.MAX_SAFE_INTEGER }, 'ERR_BROKER_BAD_EXPIRY'],
    [{ body: Buffer.alloc(1), properties: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, ''])) }, 'ERR_BROKER_BAD_PROPERTY'],
    [{ body: Buffer.alloc(1), properties: { big: 'x'.repeat(8193) } }, 'ERR_BROKER_BAD_PROPERTY'],
    [{ body: Buffer.alloc(1), properties: { ['p'.repeat(129)]: '' } }, 'ERR_BROKER_BAD_PROPERTY'],
    [{ body: Buffer.alloc(1), replyTo: 'Q@' }, 'ERR_BROKER_BAD_MESSAGE'],
    [{ body: Buffer.alloc(1), replyTo: 'Q'.repeat(49) }, 'ERR_BROKER_BAD_MESSAGE'],
    [{ body: Buffer.alloc(1), contentType: 'é/x' }, 'ERR_BROKER_BAD_MESSAGE'],
  ])('refuses %o with %s', (message, code) => {
    expect(codeOf(() => prepareMessage(message as never, 10, now))).toBe(code);
  });

  it('accepts the reply-to and content type forms of the MQ REST API', () => {
    expect(() => prepareMessage({ body: Buffer.alloc(1), replyTo: 'REPLY.Q@QM1', contentType: 'text/plain;charset=utf-8' }, 10, now)).not.toThrow();
    expect(() => prepareMessage({ body: Buffer.alloc(1), contentType: 'application/json; charset=utf-8' }, 10, now)).not.toThrow();
  });
});

describe('resolveQueueSpecs', () => {
  it('applies the MQ defaults', () => {
    expect(resolveQueueSpecs([{ name: 'PAY.REQUEST' }]).get('PAY.REQUEST')).toEqual({ name: 'PAY.REQUEST', maxDepth: 5000, maxMessageLength: 4194304 });
  });

  it.each([
    [[{ name: '' }], 'ERR_BROKER_BAD_QUEUE_NAME'],
    [[{ name: 'Q'.repeat(49) }], 'ERR_BROKER_BAD_QUEUE_NAME'],
    [[{ name: 'amq.gen' }], 'ERR_BROKER_BAD_QUEUE_NAME'],
    [[{ name: 'A' }, { name: 'A' }], 'ERR_BROKER_BAD_QUEUE_NAME'],
    [[{ name: 'A', maxDepth: 0 }], 'ERR_INVALID_ARGUMENT'],
    [[{ name: 'A', maxMessageLength: 200 * 1024 * 1024 }], 'ERR_INVALID_ARGUMENT'],
  ])('refuses %o', (specs, code) => {
    expect(codeOf(() => resolveQueueSpecs(specs))).toBe(code);
  });

  it('never throws anything but a coded error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: fc.string(), maxDepth: fc.option(fc.integer(), { nil: undefined }) })), (specs) => {
        try {
          resolveQueueSpecs(specs);
        } catch (err) {
          expect(hasCode(err, 'ERR_BROKER_BAD_QUEUE_NAME') || hasCode(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
        }
      }),
    );
  });
});
