import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { decodeErrorQueueMessage, encodeErrorQueueMessage, ERROR_MESSAGE_PREFIX_BYTES, MAX_ERROR_HEADER_BYTES, type ErrorHeader } from './error-queue-message.ts';

const body = Buffer.from([0x30, 0x82, 0x01, 0x00, 1, 2, 3]);
const header: ErrorHeader = {
  reason: 'decryption-failed',
  errorCode: 'ERR_ENVELOPE_DECRYPTION_FAILED',
  reasonCode: 2063,
  explanation: 'the content failed its authentication tag',
  destination: { qmgr: 'QM1', queue: 'PAY.REQUEST' },
  policy: { name: 'pay-request', qualityOfProtection: 'Privacy', revision: 'r/7' },
  original: { messageId: `ID:${'ab'.repeat(24)}`, persistence: 'persistent', expiry: 'unlimited', priority: 4, contentType: 'text/plain; charset=utf-8', size: body.length },
  detectedBy: { spiffeId: 'spiffe://example.org/ns/app/sa/consumer', operation: 'get' },
  detectedAt: '2026-11-23T10:00:00.000Z',
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not-an-AppError';
  }
}

describe('the error-queue message (QDLH v1)', () => {
  it('is QDLH, version 1, a big-endian header length, the JSON header, then the original body', () => {
    const bytes = encodeErrorQueueMessage(header, body);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('QDLH');
    expect(bytes[4]).toBe(1);
    const n = bytes.readUInt32BE(5);
    expect(JSON.parse(bytes.subarray(ERROR_MESSAGE_PREFIX_BYTES, ERROR_MESSAGE_PREFIX_BYTES + n).toString('utf8'))).toEqual(header);
    expect(bytes.subarray(ERROR_MESSAGE_PREFIX_BYTES + n).equals(body)).toBe(true);
  });

  it('decodes what it encodes, topic destinations included', () => {
    const topical: ErrorHeader = { ...header, destination: { qmgr: 'QM1', topic: 'prices/fx' } };
    const decoded = decodeErrorQueueMessage(encodeErrorQueueMessage(topical, body));
    expect(decoded.header).toEqual(topical);
    expect(decoded.body.equals(body)).toBe(true);
  });

  it('ignores header fields it does not know (forward compatible within version 1)', () => {
    const bytes = encodeErrorQueueMessage({ ...header, future: { x: 1 } } as ErrorHeader, body);
    expect(decodeErrorQueueMessage(bytes).header.reason).toBe('decryption-failed');
  });

  it.each([
    ['no prefix', Buffer.from('hello world')],
    ['too short', Buffer.from('QDLH')],
    ['another version', (() => { const b = encodeErrorQueueMessage(header, body); b[4] = 2; return b; })()],
    ['a header longer than the message', (() => { const b = encodeErrorQueueMessage(header, body); b.writeUInt32BE(1_000, 5); return b; })()],
    ['a header length over the limit', (() => { const b = encodeErrorQueueMessage(header, body); b.writeUInt32BE(MAX_ERROR_HEADER_BYTES + 1, 5); return b; })()],
    ['a body of another size than original.size', Buffer.concat([encodeErrorQueueMessage(header, body), Buffer.from([9])])],
    ['a header that is not JSON', Buffer.concat([Buffer.from('QDLH\x01\x00\x00\x00\x02{x', 'latin1')])],
    ['a header that is not an object', Buffer.concat([Buffer.from('QDLH\x01\x00\x00\x00\x02[]', 'latin1')])],
    ['a header that is not UTF-8', Buffer.concat([Buffer.from('QDLH\x01\x00\x00\x00\x01', 'latin1'), Buffer.from([0xff])])],
  ])('refuses %s', (_what, bytes) => {
    expect(codeOf(() => decodeErrorQueueMessage(bytes))).toBe('ERR_ERROR_QUEUE_MESSAGE_INVALID');
  });

  it.each(['reason', 'reasonCode', 'explanation', 'destination', 'original', 'detectedBy', 'detectedAt'] as const)('refuses a header without %s', (field) => {
    const { [field]: _dropped, ...rest } = header;
    const bytes = encodeErrorQueueMessage(rest as ErrorHeader, body);
    const err = (() => { try { decodeErrorQueueMessage(bytes); return undefined; } catch (e) { return e as AppError; } })();
    expect(err?.code).toBe('ERR_ERROR_QUEUE_MESSAGE_INVALID');
    expect(err?.details.fields).toContain(field);
  });

  it('refuses a destination with both a queue and a topic', () => {
    const bytes = encodeErrorQueueMessage({ ...header, destination: { qmgr: 'QM1', queue: 'Q', topic: 't' } as unknown as ErrorHeader['destination'] }, body);
    expect(codeOf(() => decodeErrorQueueMessage(bytes))).toBe('ERR_ERROR_QUEUE_MESSAGE_INVALID');
  });

  it('refuses to encode a header over 64 KiB', () => {
    expect(codeOf(() => encodeErrorQueueMessage({ ...header, explanation: 'x'.repeat(MAX_ERROR_HEADER_BYTES) }, body))).toBe('ERR_ERROR_QUEUE_MESSAGE_INVALID');
  });

  it('round-trips any body and header text (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string({ minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 9 }), (raw, explanation, priority) => {
      const b = Buffer.from(raw);
      const h: ErrorHeader = { ...header, explanation, original: { ...header.original, priority, size: b.length } };
      const decoded = decodeErrorQueueMessage(encodeErrorQueueMessage(h, b));
      expect(decoded.header).toEqual(h);
      expect(decoded.body.equals(b)).toBe(true);
    }), { numRuns: 300 });
  });

  it('answers random and mutated bytes with the message or ERR_ERROR_QUEUE_MESSAGE_INVALID only (fuzz)', () => {
    const valid = encodeErrorQueueMessage(header, body);
    const mutated = fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat({ max: valid.length })).map(([at, value, cut]) => {
      const b = Buffer.from(valid);
      b[at] = value;
      return b.subarray(0, Math.max(cut, 1));
    });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)), mutated), (bytes) => {
      const code = codeOf(() => decodeErrorQueueMessage(bytes));
      expect(code === undefined || code === 'ERR_ERROR_QUEUE_MESSAGE_INVALID').toBe(true);
    }), { numRuns: 3000 });
  });
});
