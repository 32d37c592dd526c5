// Readiness as a set of named checks (broker connected, policy loaded, identity valid …) run
// concurrently with a timeout. A check that throws, times out or says no fails; the report
// names each failure with a short reason, never an error message (which may hold internals).
import { AppError } from '../../lib/errors/index.ts';

export interface CheckResult {
  readonly ok: boolean;
  /** Short, safe to show on the admin port: `broker disconnected`. */
  readonly reason?: string;
}

/** Returns true/false or a result; may be async. Must not have side effects. */
export type ReadinessCheck = () => boolean | CheckResult | Promise<boolean | CheckResult>;

export interface ReadinessReport {
  readonly ready: boolean;
  readonly failed: string[];
  readonly body: {
    status: 'ready' | 'not-ready';
    failed?: string[];
    checks: Record<string, { ok: boolean; reason?: string }>;
  };
}

const MAX_REASON = 200;

async function runOne(check: ReadinessCheck, timeoutMs: number): Promise<{ ok: boolean; reason?: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<{ ok: boolean; reason: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `timed out after ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    const outcome = await Promise.race([
      Promise.resolve().then(check).then((value) => (typeof value === 'boolean' ? { ok: value } : value)),
      timeout,
    ]);
    if (outcome.ok) return { ok: true };
    return { ok: false, reason: (outcome.reason ?? 'check failed').slice(0, MAX_REASON) };
  } catch (err) {
    return { ok: false, reason: err instanceof AppError ? err.code : 'check threw' };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every check; ready only if all pass. No checks = ready. */
export async function runReadinessChecks(checks: Readonly<Record<string, ReadinessCheck>>, timeoutMs: number): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runOne(checks[name] as ReadinessCheck, timeoutMs)));
  const body: ReadinessReport['body'] = { status: 'ready', checks: {} };
  const failed: string[] = [];
  names.forEach((name, i) => {
    const result = results[i] as { ok: boolean; reason?: string };
    body.checks[name] = result;
    if (!result.ok) failed.push(name);
  });
  if (failed.length > 0) {
    body.status = 'not-ready';
    body.failed = failed;
  }
  return { ready: failed.length === 0, failed, body };
}
