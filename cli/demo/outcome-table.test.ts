import { describe, expect, it } from 'vitest';
import { renderHeader, renderRow, tableLayout, verdict, type StepOutcome } from './outcome-table.ts';

const titles = ['round trip DEMO.PLAIN (None)', 'tampered message quarantined'];
const layout = tableLayout(titles);

describe('the outcome table', () => {
  it('aligns the columns on the longest title, whatever the outcome', () => {
    const header = renderHeader(layout).split('\n')[0] as string;
    const ok = renderRow(layout, 0, { title: titles[0] as string, ok: true, detail: 'payload equal' });
    const bad = renderRow(layout, 1, { title: titles[1] as string, ok: false, detail: 'the consumer\'s get answered 503' });
    expect(ok).toBe('1  round trip DEMO.PLAIN (None)  ok       payload equal\n');
    expect(bad).toBe('2  tampered message quarantined  FAILED   the consumer\'s get answered 503\n');
    expect(header.indexOf('outcome')).toBe(ok.indexOf('ok'));
    expect(header.indexOf('detail')).toBe(ok.indexOf('payload'));
    expect(bad.indexOf('the consumer')).toBe(ok.indexOf('payload'));
  });

  it('keeps a row on one line when the detail spans several', () => {
    expect(renderRow(layout, 0, { title: 'x', ok: false, detail: 'error: first\n   second\n' })).toMatch(/FAILED {3}error: first second\n$/);
  });

  it('pads the step number for ten steps or more', () => {
    const wide = tableLayout(Array.from({ length: 12 }, (_, i) => `step ${i}`));
    expect(renderRow(wide, 0, { title: 'step 0', ok: true, detail: '' }).startsWith(' 1  step 0')).toBe(true);
  });
});

describe('the verdict', () => {
  const ok: StepOutcome = { title: 'a', ok: true, detail: '' };
  const bad: StepOutcome = { title: 'b', ok: false, detail: '' };

  it.each([
    [[ok, ok], 2, true, '2 of 2 steps passed.\n'],
    [[ok, bad], 2, false, '1 of 2 steps passed, 1 FAILED.\n'],
    [[ok], 2, false, '1 of 2 steps passed, 1 not run.\n'],
    [[], 0, true, '0 of 0 steps passed.\n'],
  ])('%j of %i expected: passed %s', (outcomes, expected, passed, line) => {
    expect(verdict(outcomes, expected)).toEqual({ passed, line });
  });
});
