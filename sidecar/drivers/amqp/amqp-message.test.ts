import type { Message as AmqpMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { prepareMessage } from '../message.ts';
import { fromAmqp, PUT_TIME_HEADER, toPublishOptions } from './amqp-message.ts';

function asDelivered(content: Buffer, properties: Record<string, unknown>): AmqpMessage {
  return { content, fields: {} as never, properties: { headers: {}, ...properties } as never };
}

describe('AMQP message mapping', () => {
  it('carries every descriptor field through publish options and back', () => {
    const stored = prepareMessage(
      {
        body: Buffer.from([0, 1, 2, 255]),
        messageId: 'ab'.repeat(24),
        correlationId: 'cd'.repeat(24),
        persistence: 'persistent',
        expiryMs: 5000,
        priority: 3,
        replyTo: 'R@QM',
        contentType: 'application/pkcs7-mime',
        properties: { a: '1', 'b.c': 'two' },
      },
      100,
      new Date(1_790_000_000_123),
    );
    const options = toPublishOptions(stored, true);
    expect(options).toMatchObject({ mandatory: true, deliveryMode: 2, expiration: '5000', timestamp: 1_790_000_000 });
    expect(fromAmqp(asDelivered(stored.body, options as Record<string, unknown>))).toEqual(stored);
  });

  it('reads a message that another AMQP client published', () => {
    const foreign = asDelivered(Buffer.from('raw'), {
      messageId: 'order-17',
      correlationId: 'not-hex',
      priority: 200,
      timestamp: 1_790_000_000,
      headers: { 'x-death': [{ count: 1 }], valid_name: 'v', 'bad-name': 'x', num: 5 },
    });
    const stored = fromAmqp(foreign);
    expect(stored.messageId).toMatch(/^[0-9a-f]{48}$/);
    expect(fromAmqp(foreign).messageId).toBe(stored.messageId);
    expect(stored.correlationId).toBeUndefined();
    expect(stored.priority).toBe(9);
    expect(stored.persistence).toBe('nonPersistent');
    expect(stored.putTime?.getTime()).toBe(1_790_000_000_000);
    expect(stored.properties).toEqual({ valid_name: 'v' });
  });

  it('derives distinct ids for distinct foreign bodies without a message id', () => {
    const a = fromAmqp(asDelivered(Buffer.from('a'), {}));
    const b = fromAmqp(asDelivered(Buffer.from('b'), {}));
    expect(a.messageId).not.toBe(b.messageId);
    expect(a.putTime).toBeUndefined();
  });

  it('reads the put time header however the codec decoded it', () => {
    const stored = fromAmqp(asDelivered(Buffer.alloc(0), { headers: { [PUT_TIME_HEADER]: 1_790_000_000_123n } }));
    expect(stored.putTime?.getTime()).toBe(1_790_000_000_123);
  });
});
