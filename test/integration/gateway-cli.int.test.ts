// `npx qshield gateway --config FILE` as a real process: it starts from the files a deployment
// would mount, serves a put and a get over mTLS, answers /readyz and /metrics on its admin port,
// and drains and exits 0 on SIGTERM; a wrong configuration is refused with every problem listed.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { issueLeaf, sharedCa } from '../pki/index.ts';
import { app, call, connectOptions, GATEWAY_ID, Q, TD, testBundle } from '../support/gateway-fixture.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'qshield-gateway-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  // npx runs the gateway through a shell: a failed test must not leave it running.
  for (const child of children) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    try {
      process.kill(gatewayProcess(child.pid), 'SIGKILL');
    } catch {
      // already gone
    }
    child.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

function qshield(args: string[]): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn('npx', ['--no-install', 'qshield', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout?.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exit };
}

/** The gateway's own process below npx (npx may run it through a shell). */
function gatewayProcess(root: number): number {
  // ps exits 1 when it lists nothing (a process without children).
  const ps = (...args: string[]) => {
    try {
      return execFileSync('ps', args, { encoding: 'utf8' });
    } catch {
      return '';
    }
  };
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.shift() as number;
    const command = ps('-o', 'args=', '-p', String(pid)).trim();
    if (pid !== root && /^node .*qshield(\.ts)? gateway --config/.test(command)) return pid;
    const children = ps('-o', 'pid=', '--ppid', String(pid)).split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
    pending.push(...children);
  }
  throw new Error('no gateway process below npx');
}

async function waitFor(read: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const match = pattern.exec(read());
    if (match) return match;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${pattern} in: ${read()}`);
}

describe('qshield gateway --config', () => {
  it('serves the MQ REST API from a real process and drains on SIGTERM', async () => {
    const ca = sharedCa(TD);
    const leaf = issueLeaf(GATEWAY_ID, { ca });
    writeFileSync(join(dir, 'svid.crt'), leaf.chainPem);
    writeFileSync(join(dir, 'svid.key'), leaf.keyPem);
    writeFileSync(join(dir, 'bundle.pem'), ca.bundlePem);
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(testBundle()));
    writeFileSync(join(dir, 'gateway.json'), JSON.stringify({
      apiVersion: 'qshield.io/gateway-config/v1alpha1', kind: 'GatewayConfig',
      listen: { host: '127.0.0.1', port: 0 },
      identity: { certificateFile: 'svid.crt', keyFile: 'svid.key', trustBundleFile: 'bundle.pem' },
      policyBundleFile: 'policy.json', defaultChannel: 'apps',
      broker: { driver: 'memory' },
      admin: { host: '127.0.0.1', port: 0 },
      log: { level: 'warn' },
    }));
    const run = qshield(['gateway', '--config', join(dir, 'gateway.json')]);
    const [, url, admin] = await waitFor(run.stderr, /listening on (https:\/\/\S+), admin on (http:\/\/\S+)/);
    const client = new Pool(url as string, { connect: connectOptions(ca, issueLeaf(app('producer'))) });
    try {
      expect((await call(client, 'POST', Q('APP.IN'), { body: 'from a process' })).status).toBe(201);
      expect((await call(client, 'DELETE', Q('APP.IN'))).text).toBe('from a process');
      const ready = await fetch(`${admin as string}/readyz`);
      expect(ready.status).toBe(200);
      expect(await (await fetch(`${admin as string}/metrics`)).text()).toMatch(/qshield_requests_total\{operation="put",outcome="success"\} 1/);
    } finally {
      await client.close();
    }
    // SIGTERM to the gateway itself, as the kubelet sends it; npx then exits with its code.
    process.kill(gatewayProcess(run.child.pid as number), 'SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.stderr()).toContain('SIGTERM: draining');
  });

  it('refuses a wrong configuration with every problem listed and exit code 1', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({
      apiVersion: 'qshield.io/gateway-config/v1alpha1', kind: 'GatewayConfig',
      identity: { certificateFile: 'svid.crt' }, policyBundleFile: 'policy.json',
      broker: { driver: 'amqp', url: 'amqp://guest:guest@localhost/' }, limits: { maxWait: 'forever' },
    }));
    const run = qshield(['gateway', '--config', join(dir, 'bad.json')]);
    expect(await run.exit).toBe(1);
    const err = run.stderr();
    expect(err).toContain('[ERR_CONFIG_INVALID]');
    for (const path of ['$.identity.keyFile', '$.identity.trustBundleFile']) expect(err).toContain(path);
  });

  it('exits 2 on a wrong command line', async () => {
    const run = qshield(['gateway']);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain('--config FILE is required');
  });
});
