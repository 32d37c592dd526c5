// Reconnect delays: exponential growth up to a cap, with jitter so that many gateways that lost
// the same broker do not reconnect in lock-step.
export interface BackoffOptions {
  /** First delay; default 100 ms. */
  readonly initialDelayMs: number;
  /** Cap; default 10 s. */
  readonly maxDelayMs: number;
  /** Growth per attempt; default 2. */
  readonly factor: number;
  /** Fraction of the delay that is random, 0–1; default 0.5 (delay in [base/2, base]). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.5 };

/** The delay before reconnect attempt `attempt` (0-based); `random` returns [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.min(attempt, 64));
  return Math.round(base * (1 - options.jitter * random()));
}
