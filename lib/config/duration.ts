// Durations as people write them in configuration and on the command line.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/**
 * Parses `250ms`, `30s`, `5m`, `1h30m`, `90d` into milliseconds.
 * @throws Error with a readable message for anything else (bare numbers included: units are required).
 */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new Error(`"${text.slice(0, 40)}" is not a duration (use e.g. 30s, 5m, 1h30m)`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * (UNIT_MS[unit as string] ?? NaN);
  if (!Number.isSafeInteger(total)) throw new Error(`duration "${text.slice(0, 40)}" is too large`);
  return total;
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
