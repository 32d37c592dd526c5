import { describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors/index.ts';
import { runReadinessChecks } from './readiness.ts';

describe('runReadinessChecks', () => {
  it('is ready when every check passes, sync or async, boolean or result', async () => {
    const report = await runReadinessChecks({ broker: () => true, policy: async () => ({ ok: true }), identity: () => ({ ok: true, reason: 'ignored' }) }, 100);
    expect(report).toEqual({ ready: true, failed: [], body: { status: 'ready', checks: { broker: { ok: true }, policy: { ok: true }, identity: { ok: true } } } });
  });

  it('is ready with no checks at all', async () => {
    expect((await runReadinessChecks({}, 100)).ready).toBe(true);
  });

  it('names each failed check with a reason', async () => {
    const report = await runReadinessChecks({
      broker: () => ({ ok: false, reason: 'broker disconnected' }),
      policy: () => false,
      identity: () => true,
    }, 100);
    expect(report.ready).toBe(false);
    expect(report.body).toEqual({
      status: 'not-ready', failed: ['broker', 'policy'],
      checks: { broker: { ok: false, reason: 'broker disconnected' }, policy: { ok: false, reason: 'check failed' }, identity: { ok: true } },
    });
  });

  it('fails a check that throws, showing an AppError code but never a message', async () => {
    const report = await runReadinessChecks({
      coded: () => { throw new AppError('ERR_FILE_IO', 'cannot read /secret/path/key.pem'); },
      plain: async () => { throw new Error('password=hunter2'); },
    }, 100);
    expect(report.body.checks).toEqual({ coded: { ok: false, reason: 'ERR_FILE_IO' }, plain: { ok: false, reason: 'check threw' } });
    expect(JSON.stringify(report)).not.toMatch(/hunter2|secret/);
  });

  it('fails a check that does not settle in time, without waiting for it', async () => {
    const started = Date.now();
    const report = await runReadinessChecks({ slow: () => new Promise<boolean>(() => {}) }, 30);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.body.checks.slow).toEqual({ ok: false, reason: 'timed out after 30 ms' });
  });

  it('cuts long reasons', async () => {
    const report = await runReadinessChecks({ x: () => ({ ok: false, reason: 'r'.repeat(10_000) }) }, 100);
    expect(report.body.checks.x?.reason).toHaveLength(200);
  });
});
