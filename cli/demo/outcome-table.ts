// The demo's outcome table: one row per scenario step, printed as each step ends, so the columns
// are sized from the step titles known in advance; the detail column runs to the end of the line.

export interface StepOutcome {
  readonly title: string;
  readonly ok: boolean;
  /** One line: what was checked and what was seen. */
  readonly detail: string;
}

export const OUTCOME = { ok: 'ok', failed: 'FAILED' } as const;

export interface TableLayout {
  readonly numberWidth: number;
  readonly titleWidth: number;
}

const STATUS_WIDTH = Math.max('outcome'.length, OUTCOME.failed.length);

export function tableLayout(titles: readonly string[]): TableLayout {
  return {
    numberWidth: Math.max(1, String(titles.length).length),
    titleWidth: Math.max('step'.length, ...titles.map((t) => t.length)),
  };
}

export function renderHeader(layout: TableLayout): string {
  const head = `${'#'.padStart(layout.numberWidth)}  ${'step'.padEnd(layout.titleWidth)}  ${'outcome'.padEnd(STATUS_WIDTH)}  detail`;
  return `${head}\n${'-'.repeat(head.length + 40)}\n`;
}

/** One row; a detail spanning lines is folded onto one, so every row is one line. */
export function renderRow(layout: TableLayout, index: number, outcome: StepOutcome): string {
  const status = outcome.ok ? OUTCOME.ok : OUTCOME.failed;
  const detail = outcome.detail.replace(/\s*\n\s*/g, ' ').trim();
  return `${String(index + 1).padStart(layout.numberWidth)}  ${outcome.title.padEnd(layout.titleWidth)}  ${status.padEnd(STATUS_WIDTH)}  ${detail}\n`;
}

/** The closing line, and whether the scenario passed: every step ran and every step is ok. */
export function verdict(outcomes: readonly StepOutcome[], expected: number): { passed: boolean; line: string } {
  const passed = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.length - passed;
  const missing = expected - outcomes.length;
  const ok = failed === 0 && missing <= 0;
  const parts = [`${passed} of ${expected} steps passed`];
  if (failed > 0) parts.push(`${failed} FAILED`);
  if (missing > 0) parts.push(`${missing} not run`);
  return { passed: ok, line: `${parts.join(', ')}.\n` };
}
