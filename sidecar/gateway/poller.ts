// Runs a check every interval, never two at once: how the gateway notices rotated identity files
// and a changed policy bundle. Polling the file contents (not fs.watch) is what survives
// Kubernetes' atomic symlink swaps of mounted Secrets and ConfigMaps on every file system.
import type { Logger } from '../../lib/log/index.ts';

export interface Poller {
  /** Runs the check now (or waits for the one in progress); resolves when it is done. */
  runNow(): Promise<void>;
  stop(): void;
}

/** Starts polling. `check` must not throw (failures are its own to report); if it does, it is logged. */
export function startPoller(intervalMs: number, check: () => Promise<void>, log: Logger): Poller {
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): Promise<void> => {
    running ??= check()
      .catch((err: unknown) => log.error({ err }, 'reload check failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped && running === undefined) void run();
  }, intervalMs);
  timer.unref();
  return {
    runNow: async () => {
      if (running !== undefined) await running;
      return run();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
