import { describe, expect, it } from 'vitest';
import { captureLogs } from './capture.ts';
import { createLogger, REDACTED } from './create-logger.ts';

const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';

describe('createLogger', () => {
  it('writes structured JSON lines with component, level name and ISO time', () => {
    const sink = captureLogs();
    createLogger({ component: 'gateway', version: '1.2.3', destination: sink }).info({ queue: 'Q1' }, 'started');
    expect(sink.lines).toHaveLength(1);
    const [line] = sink.lines;
    expect(line).toMatchObject({ component: 'gateway', version: '1.2.3', level: 'info', queue: 'Q1', msg: 'started' });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('redacts a private key and an authorization header wherever they appear', () => {
    const sink = captureLogs();
    const log = createLogger({ component: 'test', destination: sink });
    log.info({ privateKey: PEM_KEY, headers: { authorization: 'Bearer abc.def' } }, 'x');
    log.child({ module: 'm' }).warn({ req: { headers: { authorization: 'Basic dXNlcjpwYXNz' } } }, 'y');
    const text = sink.raw.join('\n');
    expect(text).not.toContain('BEGIN PRIVATE KEY');
    expect(text).not.toContain('abc.def');
    expect(sink.lines[0]).toMatchObject({ privateKey: REDACTED, headers: { authorization: REDACTED } });
  });

  it('logs requests through an allow-list: never headers or bodies', () => {
    const sink = captureLogs();
    createLogger({ component: 'test', destination: sink }).info(
      { req: { method: 'POST', url: '/q', headers: { authorization: 'Basic secret' }, body: 'payload', remoteAddress: '127.0.0.1' } },
      'request',
    );
    expect(sink.lines[0]?.req).toEqual({ method: 'POST', url: '/q', remoteAddress: '127.0.0.1' });
    expect(sink.raw[0]).not.toContain('secret');
  });

  it('redacts payloads and tokens', () => {
    const sink = captureLogs();
    createLogger({ component: 'test', destination: sink }).info({ payload: 'card 4111', token: 'eyJ.x.y' }, 'z');
    expect(sink.raw[0]).not.toContain('4111');
    expect(sink.raw[0]).not.toContain('eyJ');
  });

  it('honours the level', () => {
    const sink = captureLogs();
    const log = createLogger({ component: 'test', level: 'warn', destination: sink });
    log.info('hidden');
    log.warn('shown');
    expect(sink.lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
