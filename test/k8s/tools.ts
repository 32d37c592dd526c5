// Runs the built kubectl or helm and collects their output. Their caches and helm's
// configuration go under .cache/k8s/home, never into the user's ~/.kube or ~/.config/helm.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The outcome of one tool run; a non-zero exit is a result, not an exception. */
export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ToolOptions {
  /** Written to the tool's stdin. */
  readonly input?: string;
  /** Extra environment, e.g. KUBECONFIG. */
  readonly env?: Record<string, string>;
  /** Killed after this long; 120 s by default. */
  readonly timeoutMs?: number;
}

/**
 * Runs `tool` from the directory `bin` with `args`.
 * @throws Error when the tool cannot be started at all.
 */
export function runTool(bin: string, tool: 'kubectl' | 'helm', args: readonly string[], options: ToolOptions = {}): Promise<ToolResult> {
  const home = join(bin, '..', 'home');
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    KUBECACHEDIR: join(home, 'kube-cache'),
    HELM_CACHE_HOME: join(home, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(home, 'helm', 'config'),
    HELM_DATA_HOME: join(home, 'helm', 'data'),
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, tool), args, { env, timeout: options.timeoutMs ?? 120_000 });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}
