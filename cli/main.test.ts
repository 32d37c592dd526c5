import { describe, expect, it } from 'vitest';
import { runCli } from './testing.ts';

describe('qshield command dispatch', () => {
  it('prints an overview and exits 2 without a command', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: qshield <command>');
  });

  it('prints the overview on --help with exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('demo');
  });

  it('refuses an unknown command with exit 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'frobnicate'");
  });
});
