import { describe, expect, it } from 'vitest';
import { AppError, findCause, findCode, hasCode } from './app-error.ts';

describe('AppError', () => {
  it('carries its code, details, status and MQ reason code', () => {
    const err = new AppError('ERR_INTERNAL', 'boom', { details: { step: 'x' } });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AppError');
    expect(err.code).toBe('ERR_INTERNAL');
    expect(err.details).toEqual({ step: 'x' });
    expect(Object.isFrozen(err.details)).toBe(true);
    expect(err.status).toBe(500);
    expect(err.reasonCode).toBe(2195);
  });

  it('has no MQ reason code where the registry gives none', () => {
    expect(new AppError('ERR_CONFIG_INVALID', 'bad').reasonCode).toBeUndefined();
  });

  it('keeps the subclass name', () => {
    class KubeError extends AppError {}
    expect(new KubeError('ERR_INTERNAL', 'x').name).toBe('KubeError');
  });

  it('matches on code, not message', () => {
    const err = new AppError('ERR_INVALID_ARGUMENT', 'whatever the words');
    expect(hasCode(err, 'ERR_INVALID_ARGUMENT')).toBe(true);
    expect(hasCode(err, 'ERR_INTERNAL')).toBe(false);
    expect(hasCode(new Error('ERR_INVALID_ARGUMENT'), 'ERR_INVALID_ARGUMENT')).toBe(false);
  });

  it('finds causes through a chain, and survives a cycle', () => {
    const root = new AppError('ERR_FILE_IO', 'disk');
    const mid = new Error('mid', { cause: root });
    const top = new AppError('ERR_INTERNAL', 'top', { cause: mid });
    expect(findCode(top, 'ERR_FILE_IO')).toBe(root);
    expect(findCause(top, TypeError)).toBeUndefined();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(findCode(a, 'ERR_FILE_IO')).toBeUndefined();
  });
});
