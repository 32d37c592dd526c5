import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './codes.ts';

const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
// A documented code is a table row whose first cell is the code in backticks.
const documented = [...docs.matchAll(/^\|\s*`(ERR_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1] as string);

describe('error registry', () => {
  it('documents every registered code in docs/errors.md', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !documented.includes(code));
    expect(missing).toEqual([]);
  });

  it('registers every code that docs/errors.md documents (no stale docs)', () => {
    const stale = documented.filter((code) => !(code in ERROR_CODES));
    expect(stale).toEqual([]);
  });

  it('documents each code once', () => {
    const dupes = documented.filter((code, i) => documented.indexOf(code) !== i);
    expect(dupes).toEqual([]);
  });

  it.each(Object.entries(ERROR_CODES))('%s has a well-formed entry', (code, spec) => {
    expect(code).toMatch(/^ERR_[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    expect(spec.status).toBeGreaterThanOrEqual(400);
    expect(spec.status).toBeLessThan(600);
    expect(spec.summary).toMatch(/^[A-Z].*\.$/);
  });

  it('documents the HTTP status and MQ reason code that the registry gives', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${code}\``));
      const cells = row?.split('|').map((c) => c.trim()) ?? [];
      expect(cells[2], code).toBe(String(spec.status));
      expect(cells[3], code).toBe('mqrc' in spec ? String(spec.mqrc) : '');
    }
  });
});
