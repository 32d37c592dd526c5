// A RabbitMQ node of our own for the integration tests: its own node name, ports, Erlang cookie
// and data under .cache/rabbitmq, so that it can clash with no other broker on the machine.
// Tests can stop, kill and restart it mid-traffic, and talk AMQP to it directly.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import amqp, { type ChannelModel } from 'amqplib';

const run = promisify(execFile);

/** What the global setup hands to test files (through vitest's provide/inject). */
export interface RabbitMqEnv {
  /** amqp://… URL of the broker. */
  readonly url: string;
  /** False for an outside broker (QSHIELD_TEST_AMQP_URL): it cannot be stopped or restarted. */
  readonly managed: boolean;
  readonly nodeName: string;
  readonly amqpPort: number;
  readonly distPort: number;
  readonly epmdPort: number;
  readonly baseDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rabbitmq: RabbitMqEnv;
  }
}

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASE_DIR = `${REPO_ROOT}.cache/rabbitmq`;
const STATE_FILE = `${BASE_DIR}/harness.json`;
const STARTUP_TIMEOUT_S = 180;

/** The packaged scripts under /usr/lib/rabbitmq/bin run as the caller (those in /usr/sbin switch user). */
function tool(name: 'rabbitmq-server' | 'rabbitmqctl'): string {
  const packaged = `/usr/lib/rabbitmq/bin/${name}`;
  return existsSync(packaged) ? packaged : name;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class RabbitMqBroker {
  readonly env: RabbitMqEnv;
  /** Starts, stops and kills in progress: a test may start one without awaiting it, and fail. */
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(env: RabbitMqEnv) {
    this.env = env;
  }

  get url(): string {
    return this.env.url;
  }

  /**
   * The harness's node for this checkout: the running one if the state file names a live
   * node, otherwise a fresh configuration on free ports (not started).
   */
  static async forCheckout(): Promise<RabbitMqBroker> {
    const outside = process.env.QSHIELD_TEST_AMQP_URL;
    if (outside) {
      return new RabbitMqBroker({ url: outside, managed: false, nodeName: '', amqpPort: 0, distPort: 0, epmdPort: 0, baseDir: '' });
    }
    if (existsSync(STATE_FILE)) {
      const previous = new RabbitMqBroker(JSON.parse(await readFile(STATE_FILE, 'utf8')) as RabbitMqEnv);
      if (await previous.isRunning()) return previous;
    }
    const hash = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 8);
    const [amqpPort, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
    return new RabbitMqBroker({
      url: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
      managed: true,
      nodeName: `qshield-${hash}@localhost`,
      amqpPort,
      distPort,
      epmdPort,
      baseDir: BASE_DIR,
    });
  }

  /** Environment for rabbitmq-server and rabbitmqctl: everything under baseDir, nothing from /etc. */
  #processEnv(): NodeJS.ProcessEnv {
    const { baseDir: dir } = this.env;
    return {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: `${dir}/home`,
      ERL_EPMD_PORT: String(this.env.epmdPort),
      RABBITMQ_NODENAME: this.env.nodeName,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.env.amqpPort),
      RABBITMQ_DIST_PORT: String(this.env.distPort),
      RABBITMQ_MNESIA_BASE: `${dir}/data`,
      RABBITMQ_LOG_BASE: `${dir}/log`,
      RABBITMQ_PID_FILE: `${dir}/node.pid`,
      RABBITMQ_ENABLED_PLUGINS_FILE: `${dir}/enabled_plugins`,
      RABBITMQ_CONFIG_FILE: `${dir}/rabbitmq.conf`,
      RABBITMQ_ADVANCED_CONFIG_FILE: `${dir}/advanced.config`,
      RABBITMQ_CONF_ENV_FILE: `${dir}/rabbitmq-env.conf`,
    };
  }

  #requireManaged(what: string): void {
    if (!this.env.managed) throw new Error(`cannot ${what} an outside broker (QSHIELD_TEST_AMQP_URL); run without it to use the harness's node`);
  }

  /** Runs rabbitmqctl against this node. */
  async ctl(args: string[], timeoutMs = 120_000): Promise<string> {
    this.#requireManaged('control');
    const { stdout } = await run(tool('rabbitmqctl'), ['-n', this.env.nodeName, ...args], {
      env: this.#processEnv(),
      timeout: timeoutMs,
      cwd: this.env.baseDir,
    });
    return stdout;
  }

  /** True when the node answers (the AMQP port accepts a connection). */
  async isRunning(): Promise<boolean> {
    try {
      const conn = await amqp.connect(this.url, { timeout: 2_000 });
      await conn.close();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Starts the node detached and waits until it accepts AMQP connections.
   * @param fresh wipe the node's data first (a new test run), instead of keeping it (a restart).
   */
  start(options: { fresh?: boolean } = {}): Promise<void> {
    return this.#track(this.#start(options));
  }

  #track<T>(operation: Promise<T>): Promise<T> {
    this.#inFlight.add(operation);
    const done = (): void => {
      this.#inFlight.delete(operation);
    };
    operation.then(done, done);
    return operation;
  }

  /**
   * Brings the node back if a test left it stopped or killed (say, one that failed before it
   * restarted it), once whatever that test set going has finished: one test's failure then does
   * not fail the tests after it.
   */
  async ensureRunning(): Promise<void> {
    if (!this.env.managed) return;
    await Promise.allSettled([...this.#inFlight]);
    if (!(await this.isRunning())) await this.start();
  }

  async #start(options: { fresh?: boolean }): Promise<void> {
    this.#requireManaged('start');
    const dir = this.env.baseDir;
    if (options.fresh) await rm(`${dir}/data`, { recursive: true, force: true });
    await mkdir(`${dir}/home`, { recursive: true });
    await mkdir(`${dir}/log`, { recursive: true });
    await writeFile(`${dir}/enabled_plugins`, '[].\n');
    await writeFile(`${dir}/rabbitmq-env.conf`, '');
    await writeFile(`${dir}/advanced.config`, '[].\n');
    // guest may log in over 127.0.0.1 only (the default); statistics rarely, to spare the 2 cores.
    await writeFile(`${dir}/rabbitmq.conf`, 'loopback_users.guest = true\ncollect_statistics_interval = 60000\n');
    await writeFile(STATE_FILE, JSON.stringify(this.env, null, 2));
    await rm(`${dir}/node.pid`, { force: true });
    await run(tool('rabbitmq-server'), ['-detached'], { env: this.#processEnv(), cwd: dir, timeout: 60_000 });
    await this.ctl(['wait', `${dir}/node.pid`, '--timeout', String(STARTUP_TIMEOUT_S)], (STARTUP_TIMEOUT_S + 30) * 1000);
    const deadline = Date.now() + 30_000;
    while (!(await this.isRunning())) {
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${this.env.nodeName} started but does not accept AMQP on ${this.env.amqpPort}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Stops the node (it keeps its data) and waits for the process to exit. */
  stop(): Promise<void> {
    return this.#track(this.#stop());
  }

  async #stop(): Promise<void> {
    this.#requireManaged('stop');
    const pidFile = `${this.env.baseDir}/node.pid`;
    await this.ctl(existsSync(pidFile) ? ['stop', pidFile] : ['stop']);
  }

  /** Kills the node's OS process outright (a crash): confirmed persistent messages must survive it. */
  kill(): Promise<void> {
    return this.#track(this.#kill());
  }

  async #kill(): Promise<void> {
    this.#requireManaged('kill');
    const pid = Number((await readFile(`${this.env.baseDir}/node.pid`, 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`RabbitMQ process ${pid} did not exit`);
  }

  /**
   * Writes the node's definitions (queues, exchanges) from Mnesia's transaction log into its
   * table files. RabbitMQ 3.10 was seen to forget a durable queue declared moments before the
   * node was killed, although the declaration had reached the log; tests that kill the node
   * call this first, so that what they check is the client, not that window.
   */
  async persistDefinitions(): Promise<void> {
    await this.ctl(['eval', 'mnesia:dump_log().']);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the node and the epmd it started (epmd listens on our own port, so it is ours). */
  async shutdown(): Promise<void> {
    if (!this.env.managed) return;
    if (await this.isRunning()) await this.stop();
    await run('epmd', ['-kill'], { env: { PATH: process.env.PATH, ERL_EPMD_PORT: String(this.env.epmdPort) }, timeout: 10_000 }).catch(() => undefined);
    await rm(STATE_FILE, { force: true });
  }

  /** A direct amqplib connection, for tests that publish, inspect or tamper behind the driver's back. */
  async connect(): Promise<ChannelModel> {
    return amqp.connect(this.url, { noDelay: true });
  }

  /** Deletes queues (test cleanup); missing ones are fine. */
  async deleteQueues(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    const conn = await this.connect();
    try {
      const ch = await conn.createChannel();
      for (const name of names) await ch.deleteQueue(name);
    } finally {
      await conn.close();
    }
  }
}
