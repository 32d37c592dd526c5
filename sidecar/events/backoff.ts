// Retry timing of the event sink: exponential backoff with full jitter (spreads retries of
// many gateways after a SIEM outage) and the server's Retry-After when it gives one.

/**
 * Delay before retry number `attempt` (1 = after the first failure): a uniform draw over
 * [0, min(maxMs, initialMs * 2^(attempt-1))).
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined
 * when absent or unreadable. A date in the past means 0.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
