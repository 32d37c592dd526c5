// The `qshield` command as users run it: a real process on Node 24, started through npx.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

describe('qshield binary', () => {
  it('runs on Node 24 or later', async () => {
    const { stdout } = await run('npx', ['--no-install', 'node', '-p', 'process.versions.node'], { cwd: root });
    expect(Number(stdout.trim().split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('prints its overview through npx', async () => {
    const { stdout } = await run('npx', ['--no-install', 'qshield', '--help'], { cwd: root });
    expect(stdout).toContain('Usage: qshield <command>');
  });

  it('exits 2 on an unknown command', async () => {
    await expect(run('npx', ['--no-install', 'qshield', 'nope'], { cwd: root })).rejects.toMatchObject({ code: 2 });
  });
});
