// `qshield demo` as a user runs it: a child process on Node 24. The scenario with the in-process
// broker and with the test RabbitMQ, the files it writes (CA directory, identities, endpoints),
// the running demo driven with the very curl commands it prints, a clean stop on SIGINT, usage
// errors, an unreachable broker, and a step that fails for real (a full error queue) turning the
// verdict into exit 1.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../cli/testing.ts';
import { ERROR_QUEUE } from '../../sidecar/error-queue/error-queue-message.ts';
import { RabbitMqBroker } from '../harness/rabbitmq.ts';

const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const QUEUES = ['DEMO.PLAIN', 'DEMO.INTEGRITY', 'DEMO.PRIVACY', 'DEMO.CONFIDENTIALITY'];
const STEPS = [
  'round trip DEMO.PLAIN (None)',
  'round trip DEMO.INTEGRITY (Integrity)',
  'round trip DEMO.PRIVACY (Privacy)',
  'round trip DEMO.CONFIDENTIALITY (Confidentiality)',
  'unauthorized identity refused',
  'tampered message quarantined',
  'message key rotation under traffic',
  'SVID rotation under traffic',
];

const broker = new RabbitMqBroker(inject('rabbitmq'));
const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qshield-demo-test-'));
  dirs.push(dir);
  return join(dir, 'demo'); // not there yet: the demo creates it
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

function demo(args: string[], options: { timeoutMs?: number } = {}): Promise<Run> {
  const started = Date.now();
  const child = spawn(process.execPath, [join(REPO, 'cli/qshield.ts'), 'demo', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => child.once('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, out, err, ms: Date.now() - started });
  }));
}

/** The table's rows: step title → [outcome, detail]. */
function rows(out: string): Map<string, [string, string]> {
  const found = new Map<string, [string, string]>();
  for (const line of out.split('\n')) {
    const m = /^\s*\d+ {2}(.+?) {2,}(ok|FAILED) {2,}(.*)$/.exec(line);
    if (m !== null) found.set((m[1] as string).trim(), [m[2] as string, m[3] as string]);
  }
  return found;
}

function expectAllPassed(run: Run): void {
  const table = rows(run.out);
  expect([...table.keys()], run.out + run.err).toEqual(STEPS);
  for (const [title, [outcome, detail]] of table) expect(outcome, `${title}: ${detail}`).toBe('ok');
  expect(run.out).toContain(`${STEPS.length} of ${STEPS.length} steps passed.`);
  expect(run.code, run.err).toBe(0);
}

function readEndpoints(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'endpoints.json'), 'utf8')) as Record<string, unknown>;
}

function expectEndpointsShape(e: Record<string, unknown>): void {
  expect(Object.keys(e).sort()).toEqual(['gateway', 'qmgr', 'queues', 'sidecars', 'trustDomain']);
  expect(e.qmgr).toBe('DEMO');
  expect(e.trustDomain).toBe('demo.qshield.local');
  expect(e.gateway).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(Object.keys(e.sidecars as object).sort()).toEqual(['consumer', 'producer']);
  for (const url of Object.values(e.sidecars as Record<string, string>)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(e.queues).toEqual({ plain: 'DEMO.PLAIN', integrity: 'DEMO.INTEGRITY', privacy: 'DEMO.PRIVACY', confidentiality: 'DEMO.CONFIDENTIALITY' });
}

/** The URL the start banner printed for a component. */
function printed(out: string, component: string): string | undefined {
  return new RegExp(`^ {2}${component} +(https?://127\\.0\\.0\\.1:\\d+)`, 'm').exec(out)?.[1];
}

function portClosed(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Messages on a queue, read over AMQP without taking them. */
async function depth(queue: string): Promise<number> {
  const conn = await broker.connect();
  try {
    const ch = await conn.createChannel();
    return (await ch.checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

beforeAll(async () => {
  await broker.deleteQueues([...QUEUES, ERROR_QUEUE]);
});

afterAll(async () => {
  await broker.deleteQueues([...QUEUES, ERROR_QUEUE]);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('qshield demo --once', () => {
  it('runs the whole scenario on the in-process broker and leaves a CA, identities and endpoints.json in --dir', async () => {
    const dir = newDir();
    const run = await demo(['--once', '--dir', dir]);
    expectAllPassed(run);
    expect(run.out).toContain('in-process memory broker');
    expect(rows(run.out).get('unauthorized identity refused')?.[1]).toContain('403 MQRC 2035 (ERR_GATEWAY_NOT_AUTHORIZED)');
    expect(rows(run.out).get('tampered message quarantined')?.[1]).toContain('SYSTEM.PROTECTION.ERROR.QUEUE: decryption-failed (ERR_ENVELOPE_DECRYPTION_FAILED, MQRC 2063)');
    expect(rows(run.out).get('round trip DEMO.PRIVACY (Privacy)')?.[1]).toMatch(/CMS AuthEnvelopedData .* payload not visible/);

    const endpoints = readEndpoints(dir);
    expectEndpointsShape(endpoints);
    // The URLs are those the process listened on (its start banner), and it closed them at exit.
    expect(printed(run.out, 'gateway')).toBe(endpoints.gateway);
    const sidecars = endpoints.sidecars as Record<string, string>;
    expect(printed(run.out, 'producer')).toBe(sidecars.producer);
    expect(printed(run.out, 'consumer')).toBe(sidecars.consumer);
    for (const url of [endpoints.gateway as string, ...Object.values(sidecars)]) expect(await portClosed(url)).toBe(true);

    // A CA directory that the CLI reads like any other, and identities that verify against its bundle.
    expect((await runCli(['bundle', '--ca-dir', join(dir, 'ca')])).code).toBe(0);
    const bundle = join(dir, 'ca', 'bundle.pem');
    for (const name of ['gateway', 'producer', 'consumer', 'intruder']) {
      const cert = join(dir, 'identities', `${name}.crt`);
      const key = join(dir, 'identities', `${name}.key`);
      expect(statSync(key).mode & 0o777, key).toBe(0o600);
      const verified = await runCli(['svid', 'verify', '--bundle', bundle, cert]);
      expect(verified.code, verified.err).toBe(0);
      expect(verified.out.trim()).toMatch(new RegExp(`^spiffe://demo\\.qshield\\.local/ns/[a-z]+/sa/${name}$`));
      // openssl, independently: leaf then intermediate in the chain file, root in the bundle.
      const { stdout } = await exec('openssl', ['verify', '-CAfile', bundle, '-untrusted', cert, cert]);
      expect(stdout).toContain(': OK');
      const modulus = async (args: string[]) => (await exec('openssl', args)).stdout;
      expect(await modulus(['pkey', '-in', key, '-pubout'])).toBe(await modulus(['x509', '-in', cert, '-noout', '-pubkey']));
    }
    for (const key of ['root.key', 'intermediate.key']) expect(statSync(join(dir, 'ca', key)).mode & 0o777).toBe(0o600);
    // The components' log: the security events of the scenario, and never key material.
    const log = readFileSync(join(dir, 'demo.log'), 'utf8');
    expect(statSync(join(dir, 'demo.log')).mode & 0o777).toBe(0o600);
    const actions = log.trim().split('\n').map((l) => (JSON.parse(l) as { event?: { action?: string } }).event?.action);
    expect(actions).toEqual(expect.arrayContaining(['authorization-denied', 'protection-violation', 'identity-rotated']));
    expect(log).not.toContain('PRIVATE KEY');
    // Each key once per line: nested loggers must not repeat a binding such as `module`.
    const repeated = log.trim().split('\n').filter((l) => new Set(topLevelKeys(l)).size !== topLevelKeys(l).length);
    expect(repeated).toEqual([]);
    // The keyrings hold the generation the rotation added.
    expect(statSync(join(dir, 'workloads', 'consumer', 'message-keyring', 'gen-2.key')).mode & 0o777).toBe(0o600);
  });

  it('runs the whole scenario against RabbitMQ (--broker) and leaves its queues empty', async () => {
    const run = await demo(['--once', '--broker', broker.url]);
    expectAllPassed(run);
    expect(run.out).toMatch(/RabbitMQ at amqps?:\/\/[^\s@]+:\d+/);
    const { username, password } = new URL(broker.url);
    if (password !== '') expect(run.out + run.err).not.toContain(`${username}:${password}@`);
    for (const queue of [...QUEUES, ERROR_QUEUE]) expect(await depth(queue), queue).toBe(0);
  });

  it('a step that fails for real fails the run: with the error queue full, the tampered message cannot be moved aside', async () => {
    // The error queue as the demo's bundle and the amqp driver declare it (depth 1000), filled up.
    const conn = await broker.connect();
    try {
      const ch = await conn.createConfirmChannel();
      await ch.assertQueue(ERROR_QUEUE, { durable: true, arguments: { 'x-max-priority': 9, 'x-max-length': 1000, 'x-overflow': 'reject-publish' } });
      for (let i = 0; i < 1000; i++) ch.sendToQueue(ERROR_QUEUE, Buffer.from(`filler ${i}`));
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    try {
      expect(await depth(ERROR_QUEUE)).toBe(1000);
      const run = await demo(['--once', '--broker', broker.url]);
      expect(run.code, run.out + run.err).toBe(1);
      const table = rows(run.out);
      expect([...table.keys()]).toEqual(STEPS);
      expect(table.get('tampered message quarantined')?.[0]).toBe('FAILED');
      expect(table.get('tampered message quarantined')?.[1]).toContain('503');
      for (const title of STEPS.filter((t) => t !== 'tampered message quarantined')) expect(table.get(title)?.[0], title).toBe('ok');
      expect(run.out).toContain(`7 of ${STEPS.length} steps passed, 1 FAILED.`);
    } finally {
      // The filled queue must not outlive the test: the next ones declare it themselves.
      await broker.deleteQueues([...QUEUES, ERROR_QUEUE]);
    }
  });
});

describe('qshield demo, running', () => {
  it('serves the printed curl commands until SIGINT, then exits 0 with its ports closed (--verbose: logs on stderr)', async () => {
    const dir = newDir();
    const child = spawn(process.execPath, [join(REPO, 'cli/qshield.ts'), 'demo', '--dir', dir, '--verbose'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 120_000;
      while (!out.includes('Ctrl-C stops it')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the demo did not get to its running state:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(rows(out).size).toBe(STEPS.length);
      // --verbose: the logs on stderr, none in the directory; the table alone on stdout.
      expect(err).toContain('"action":"authorization-denied"');
      expect(existsSync(join(dir, 'demo.log'))).toBe(false);
      expect(out).not.toContain('"level"');
      const endpoints = readEndpoints(dir);
      expectEndpointsShape(endpoints);
      const sidecars = endpoints.sidecars as Record<string, string>;
      const commands = out.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
      expect(commands).toHaveLength(6);
      const targets = [sidecars.producer, endpoints.gateway, sidecars.consumer, sidecars.consumer, sidecars.producer, sidecars.consumer].map((u) => `:${new URL(String(u)).port}/`); // the gateway is addressed as localhost, by its SVID's DNS name
      commands.forEach((c, i) => expect(c, c).toContain(targets[i]));

      // Run each command as printed (curl, and openssl behind a pipe), in order.
      const outputs: string[] = [];
      for (const command of commands) outputs.push((await exec('sh', ['-c', command], { timeout: 30_000 })).stdout);
      const reply = (i: number) => {
        const [head, ...rest] = (outputs[i] ?? '').split('\r\n\r\n');
        return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1]), body: rest.join('\r\n\r\n') };
      };
      expect(reply(0).status).toBe(201);
      // The gateway, over mTLS with the producer's SVID, hands out the stored envelope: encrypted CMS.
      expect(outputs[1]).toContain('id-smime-ct-authEnvelopedData');
      expect(outputs[1]).not.toContain('hello from the producer');
      expect(reply(2)).toEqual({ status: 200, body: 'hello from the producer' });
      expect(reply(3).status).toBe(403);
      expect(JSON.parse(reply(3).body)).toMatchObject({ error: [{ reasonCode: 2063 }] });
      expect(reply(4).status).toBe(201);
      expect(reply(5)).toEqual({ status: 200, body: 'for the consumer\'s eyes only' });

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('SIGINT: stopping.');
      for (const url of [endpoints.gateway as string, ...Object.values(sidecars)]) expect(await portClosed(url), url).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('qshield demo, refused', () => {
  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--broker'], /--broker/],
    [['--broker', 'http://127.0.0.1:5672'], /amqp:\/\/ or amqps:\/\//],
    [['positional'], /unexpected argument 'positional'/],
  ])('%j is a usage error: exit 2', async (args, message) => {
    const run = await demo(args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.err).toContain('qshield demo --help');
  });

  it('an unreachable broker ends the demo at once with a clear reason, exit 1, and --dir left empty', async () => {
    const dir = newDir();
    const run = await demo(['--once', '--dir', dir, '--broker', 'amqp://demo:s3cret@127.0.0.1:1'], { timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.err).toContain('cannot connect to the broker at amqp://127.0.0.1:1');
    expect(run.err).toContain('ERR_BROKER_UNAVAILABLE');
    expect(run.out + run.err).not.toContain('s3cret');
    expect(run.ms).toBeLessThan(20_000);
    // Nothing of the failed start remains, so the same command can run again once the broker is up.
    expect((await exec('ls', ['-A', dir])).stdout).toBe('');
  });

  it('a broker holding the error queue with other attributes: exit 1 naming the queue', async () => {
    await broker.deleteQueues([ERROR_QUEUE]);
    const conn = await broker.connect();
    try {
      const ch = await conn.createChannel();
      await ch.assertQueue(ERROR_QUEUE, { durable: true, arguments: { 'x-max-priority': 9, 'x-max-length': 50_000, 'x-overflow': 'reject-publish' } });
    } finally {
      await conn.close();
    }
    try {
      const run = await demo(['--once', '--broker', broker.url]);
      expect(run.code, run.out + run.err).toBe(1);
      expect(run.err).toContain('ERR_DEMO_NOT_READY');
      expect(run.err).toContain(`${ERROR_QUEUE} with other attributes`);
      // Waiting would not cure it: the demo says so at once, not at its 20 s readiness deadline.
      expect(run.ms).toBeLessThan(15_000);
    } finally {
      await broker.deleteQueues([...QUEUES, ERROR_QUEUE]);
    }
  });

  it('refuses a --dir that is not empty, touching nothing in it', async () => {
    const dir = newDir();
    await exec('mkdir', ['-p', join(dir, 'ca')]);
    await exec('sh', ['-c', `echo keep > ${join(dir, 'ca', 'root.key')}`]);
    const run = await demo(['--once', '--dir', dir]);
    expect(run.code).toBe(1);
    expect(run.err).toContain('ERR_DEMO_DIR_IN_USE');
    expect(readFileSync(join(dir, 'ca', 'root.key'), 'utf8')).toBe('keep\n');
  });
});

/** The keys of a JSON object text at its top level, repeats included (JSON.parse keeps only the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(json.slice(i + 1, j));
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}
