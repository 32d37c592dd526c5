// Process plumbing for the test cluster: free loopback ports, services whose output goes to a
// log file, liveness by pid, and stopping a pid only when it still runs the binary we started.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A free TCP port on 127.0.0.1 (the OS picks it; there is a short window before reuse). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** A started service: its pid and whether (and how) it has exited. */
export interface Service {
  readonly pid: number;
  /** Set once the process has exited. */
  exited(): { code: number | null; signal: string | null } | undefined;
}

/**
 * Starts `binary` with its stdout and stderr appended to `logFile`. A detached service runs in
 * its own process group and outlives this process (npm run k8s:up); otherwise it is this
 * process's child and gets killed when this process exits.
 * @throws Error when the process cannot be spawned.
 */
export function startService(binary: string, args: readonly string[], logFile: string, detached: boolean): Service {
  const fd = openSync(logFile, 'a');
  let exit: { code: number | null; signal: string | null } | undefined;
  try {
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd], detached });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.on('exit', (code, signal) => {
      exit = { code, signal };
    });
    child.on('error', () => {
      exit ??= { code: null, signal: null };
    });
    if (detached) child.unref();
    else killOnExit(child.pid);
    return { pid: child.pid, exited: () => exit };
  } finally {
    closeSync(fd);
  }
}

const ownChildren = new Set<number>();
let exitHookInstalled = false;

// A test run that ends without its teardown (a crash, process.exit) must not leave an API
// server behind; stopPid removes the pid from this set when it stops it properly.
function killOnExit(pid: number): void {
  ownChildren.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of ownChildren) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/** Whether `pid` is a live (not zombie) process; with `binary`, also whether it runs that file. */
export function isAlive(pid: number, binary?: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    if (binary === undefined) return true;
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
    return argv0 === binary;
  } catch {
    return false;
  }
}

/**
 * Stops `pid` if it still runs `binary`: SIGTERM, then SIGKILL after `graceMs`. Resolves once
 * the process is gone (or was never ours: a reused pid is left alone).
 */
export async function stopPid(pid: number, binary: string, graceMs = 10_000): Promise<void> {
  ownChildren.delete(pid);
  if (!isAlive(pid, binary)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      await waitUntil(() => !isAlive(pid), 5_000, `process ${pid} (${binary}) survived SIGKILL`);
      return;
    }
    await sleep(50);
  }
}

/**
 * Polls `check` every `intervalMs` until it returns true.
 * @throws Error with `message` after `timeoutMs`; rethrows what `check` throws.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: string,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${message} (waited ${timeoutMs} ms)`);
    await sleep(intervalMs);
  }
}
