import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { decodePem, encodePem } from './pem.ts';

function reason(fn: () => unknown): unknown {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    if (hasCode(err, 'ERR_PEM_INVALID')) return err.details.reason;
    throw err;
  }
}

describe('PEM', () => {
  it('round-trips any bytes through any label (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom('CERTIFICATE', 'PRIVATE KEY', 'CERTIFICATE REQUEST'), (der, label) => {
      const text = encodePem(label, der);
      expect(text.split('\n').every((line) => line.length <= 64)).toBe(true);
      const [block] = decodePem(text);
      expect(block?.label).toBe(label);
      expect([...(block?.der ?? [])]).toEqual([...der]);
    }));
  });

  it('reads several blocks in order and ignores text around them', () => {
    const text = `leaf:\n${encodePem('CERTIFICATE', Buffer.from([1]))}intermediate:\r\n${encodePem('CERTIFICATE', Buffer.from([2]))}`.replaceAll('\n', '\r\n');
    expect(decodePem(text, ['CERTIFICATE']).map((b) => [...b.der])).toEqual([[1], [2]]);
  });

  it.each([
    ['no block', 'hello', 'no-block'],
    ['no END line', '-----BEGIN CERTIFICATE-----\nAQID\n', 'unterminated'],
    ['mismatched END', '-----BEGIN CERTIFICATE-----\nAQID\n-----END PRIVATE KEY-----\n', 'unterminated'],
    ['bad base64', '-----BEGIN CERTIFICATE-----\nAQ*D\n-----END CERTIFICATE-----\n', 'base64'],
    ['truncated base64', '-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----\n', 'base64'],
    ['empty block', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', 'empty'],
  ])('refuses %s', (_name, text, expected) => {
    expect(reason(() => decodePem(text))).toBe(expected);
  });

  it('refuses a block of another label when labels are given', () => {
    expect(reason(() => decodePem(encodePem('PRIVATE KEY', Buffer.from([1])), ['CERTIFICATE']))).toBe('label');
  });

  it('fails with ERR_PEM_INVALID, never anything else, on mangled PEM (property)', () => {
    const good = encodePem('CERTIFICATE', Buffer.alloc(90, 7));
    fc.assert(fc.property(fc.nat(good.length - 1), fc.string({ maxLength: 3 }), fc.nat(3), (at, insert, cut) => {
      const text = good.slice(0, at) + insert + good.slice(at + cut);
      const r = reason(() => decodePem(text, ['CERTIFICATE']));
      expect(typeof r).toBe('string');
    }), { numRuns: 2000 });
  });
});
