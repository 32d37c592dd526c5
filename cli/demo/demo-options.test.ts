import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { parseDemoOptions, redactUrl } from './demo-options.ts';

describe('parseDemoOptions', () => {
  it('defaults to a temporary directory, the memory broker, running until stopped', () => {
    expect(parseDemoOptions([], '/work')).toEqual({ dir: undefined, broker: undefined, once: false, verbose: false });
  });

  it('resolves --dir against the working directory and keeps the broker URL as given', () => {
    expect(parseDemoOptions(['--dir', 'demo', '--broker', 'amqp://u:p@rabbit:5672', '--once', '--verbose'], '/work')).toEqual({
      dir: '/work/demo', broker: 'amqp://u:p@rabbit:5672', once: true, verbose: true,
    });
    expect(parseDemoOptions(['--dir=/abs/d'], '/work').dir).toBe('/abs/d');
  });

  it.each([
    [['--nope'], /Unknown option '--nope'/],
    [['--dir'], /--dir/],
    [['--dir', ''], /--dir needs a directory/],
    [['--broker', 'not a url'], /--broker must be a URL/],
    [['--broker', 'http://rabbit:5672'], /amqp:\/\/ or amqps:\/\/ URL, not http:/],
    [['--broker', 'amqp://'], /names no host/],
    [['--once=yes'], /--once/],
    [['stray'], /unexpected argument 'stray'/],
  ])('refuses %j as a usage error', (args, message) => {
    expect(() => parseDemoOptions(args, '/work')).toThrow(UsageError);
    expect(() => parseDemoOptions(args, '/work')).toThrow(message);
  });
});

describe('redactUrl', () => {
  it('drops the credentials of a broker URL', () => {
    expect(redactUrl('amqp://user:s3cret@rabbit:5672/vh')).toBe('amqp://rabbit:5672/vh');
    expect(redactUrl('::')).not.toContain(':');
  });
});
