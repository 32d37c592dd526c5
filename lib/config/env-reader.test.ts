import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors/index.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { EnvReader } from './env-reader.ts';

describe('EnvReader', () => {
  it('reads typed values with a prefix and applies defaults', () => {
    const r = new EnvReader({ APP_PORT: '8443', APP_DEBUG: 'yes', APP_MODE: 'b', APP_TTL: '1h30m', APP_LIST: 'a, b,,c' }, 'APP_');
    const cfg = r.finish({
      port: r.port('PORT'),
      debug: r.bool('DEBUG'),
      mode: r.oneOf('MODE', ['a', 'b'] as const),
      ttl: r.durationMs('TTL'),
      list: r.list('LIST'),
      host: r.string('HOST', { default: '127.0.0.1' }),
    });
    expect(cfg).toEqual({ port: 8443, debug: true, mode: 'b', ttl: 5_400_000, list: ['a', 'b', 'c'], host: '127.0.0.1' });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.list)).toBe(true);
  });

  it('reports every problem at once, naming each variable', () => {
    const r = new EnvReader({ X_PORT: '70000', X_DEBUG: 'maybe', X_TTL: '10' }, 'X_');
    r.port('PORT');
    r.bool('DEBUG');
    r.durationMs('TTL');
    r.string('REQUIRED', { description: 'path to the policy bundle' });
    let thrown: unknown;
    try {
      r.finish({});
    } catch (err) {
      thrown = err;
    }
    expect(hasCode(thrown, 'ERR_CONFIG_INVALID')).toBe(true);
    const problems = (thrown as { details: { problems: string[] } }).details.problems;
    expect(problems).toEqual([
      'X_PORT must be at most 65535',
      'X_DEBUG must be true or false',
      expect.stringMatching(/^X_TTL "10" is not a duration/),
      'X_REQUIRED is required (path to the policy bundle)',
    ]);
  });

  it('never echoes a rejected value that is not a duration', () => {
    const r = new EnvReader({ S: 'hunter2hunter2' });
    r.int('S');
    expect(r.problems.join()).not.toContain('hunter2');
  });
});

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', '1x', '-5s', '1.5h', 'h', '1h ', '99999999999999999999d'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow();
  });

  it('round-trips whatever formatDuration prints', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });
});
