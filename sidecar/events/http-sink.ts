// Batches security events to a SIEM over HTTPS. The request path only ever calls enqueue(),
// which is O(1) and never waits; one worker sends batches (by count, bytes or interval),
// retries 429/5xx/network failures with jittered backoff, and drops (counted) what a bounded
// buffer cannot hold, so a dead SIEM costs a fixed amount of memory and nothing else.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AppError } from '../../lib/errors/index.ts';
import type { Logger } from '../../lib/log/index.ts';
import { backoffDelay, parseRetryAfter } from './backoff.ts';
import { LineQueue } from './line-queue.ts';
import type { DropReason } from './schema.ts';
import type { EventSink } from './security-events.ts';
import { createUndiciTransport, type SinkTransport } from './undici-transport.ts';

export type SinkFormat = 'ecs' | 'ndjson';

export interface HttpSinkOptions {
  /** HTTPS endpoint; credentials in the URL are refused (use tokenFile). */
  url: string;
  /** `ecs`: one JSON array of ECS documents per request; `ndjson`: one document per line. Default `ecs`. */
  format?: SinkFormat;
  /** File holding the bearer token, re-read for every request so a rotated token is picked up. Never logged. */
  tokenFile?: string;
  /** Authorization scheme in front of the token. Default `Bearer` (Splunk HEC wants `Splunk`, Elastic `ApiKey`). */
  authScheme?: string;
  /** PEM CA bundle file the sink's certificate must chain to (replaces the system roots). */
  caFile?: string;
  /** PEM CA bundle given directly; wins over caFile. */
  ca?: string;
  /** Most events per request. Default 500. */
  maxBatchEvents?: number;
  /** Most body bytes per request; a larger single event is dropped as `too-large`. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Longest an event waits for its batch to fill. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Most events held, in flight included; beyond it new events are dropped (`buffer-full`). Default 10000. */
  maxBufferEvents?: number;
  /** Most bytes held, in flight included. Default 16 MiB. */
  maxBufferBytes?: number;
  /** Deadline of one request, headers and body. Default 10 s. */
  requestTimeoutMs?: number;
  /** Attempts per batch (first included) before it is dropped as `retries-exhausted`. Default 8. */
  maxAttempts?: number;
  /** Backoff: full jitter over min(maxDelayMs, initialDelayMs * 2^(attempt-1)). Defaults 250 ms and 30 s. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Operational log (sink failures); the events themselves never go here. */
  log: Logger;
  /** Replaces the undici transport (unit tests). */
  transport?: SinkTransport;
  /** Random source for the jitter, in [0, 1). */
  random?: () => number;
}

export interface HttpSinkStats {
  /** Events held, in flight included. */
  readonly bufferedEvents: number;
  readonly bufferedBytes: number;
  readonly sentEvents: number;
  readonly sentBatches: number;
  readonly failedAttempts: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  readonly droppedTotal: number;
}

export interface HttpSink extends EventSink {
  readonly destination: string;
  enqueue(line: string): boolean;
  onDrop(listener: (reason: DropReason, count: number) => void): void;
  /** Sends everything held now; resolves when the buffer is empty or the deadline (default 5 s) passes. */
  flush(options?: { deadlineMs?: number }): Promise<void>;
  /** Stops taking events, delivers within the deadline (default 5 s), drops the rest as `shutdown`. */
  close(options?: { deadlineMs?: number }): Promise<HttpSinkStats>;
  stats(): HttpSinkStats;
}

export const SINK_DEFAULTS = Object.freeze({
  format: 'ecs' as SinkFormat,
  authScheme: 'Bearer',
  maxBatchEvents: 500,
  maxBatchBytes: 1024 * 1024,
  flushIntervalMs: 1000,
  maxBufferEvents: 10_000,
  maxBufferBytes: 16 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  maxAttempts: 8,
  initialDelayMs: 250,
  maxDelayMs: 30_000,
});

const CONTENT_TYPES: Record<SinkFormat, string> = { ecs: 'application/json', ndjson: 'application/x-ndjson' };
/** A token must fit an HTTP header value: visible ASCII, no spaces (RFC 6750 b64token is narrower). */
const TOKEN_SYNTAX = /^[\x21-\x7e]+$/;

type Resolved = Required<Omit<HttpSinkOptions, 'tokenFile' | 'caFile' | 'ca' | 'transport' | 'random' | 'log'>>;

function resolveOptions(options: HttpSinkOptions): { resolved: Resolved; url: URL } {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(options.url);
    if (url.protocol !== 'https:') problems.push('url: must be an https:// URL');
    if (url.username !== '' || url.password !== '') problems.push('url: must not carry credentials (use tokenFile)');
  } catch {
    problems.push('url: is not a URL');
  }
  const resolved = { ...SINK_DEFAULTS } as Resolved;
  for (const key of Object.keys(SINK_DEFAULTS) as (keyof typeof SINK_DEFAULTS)[]) {
    const value = options[key];
    if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  }
  const positive = ['maxBatchEvents', 'maxBatchBytes', 'flushIntervalMs', 'maxBufferEvents', 'maxBufferBytes', 'requestTimeoutMs', 'maxAttempts', 'initialDelayMs', 'maxDelayMs'] as const;
  for (const key of positive) {
    const v = resolved[key];
    if (!Number.isSafeInteger(v) || v < 1) problems.push(`${key}: must be a positive integer`);
  }
  if (resolved.maxBufferBytes < resolved.maxBatchBytes) problems.push('maxBufferBytes: must be at least maxBatchBytes');
  if (resolved.maxBufferEvents < resolved.maxBatchEvents) problems.push('maxBufferEvents: must be at least maxBatchEvents');
  if (resolved.maxDelayMs < resolved.initialDelayMs) problems.push('maxDelayMs: must be at least initialDelayMs');
  if (resolved.format !== 'ecs' && resolved.format !== 'ndjson') problems.push('format: must be ecs or ndjson');
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(resolved.authScheme)) problems.push('authScheme: must be one token (Bearer, ApiKey, Splunk)');
  if (problems.length > 0 || url === undefined) {
    throw new AppError('ERR_CONFIG_INVALID', `security-event sink options are invalid: ${problems.join('; ')}`, { details: { problems } });
  }
  return { resolved, url };
}

/**
 * Creates the sink and its worker. Reads `caFile` now (startup), the token file per request.
 * @throws AppError ERR_CONFIG_INVALID listing every bad option; ERR_FILE_IO when caFile cannot be read.
 */
export function createHttpSink(options: HttpSinkOptions): HttpSink {
  const { resolved: o, url } = resolveOptions(options);
  let ca = options.ca;
  if (ca === undefined && options.caFile !== undefined) {
    try {
      ca = readFileSync(options.caFile, 'utf8');
    } catch (err) {
      throw new AppError('ERR_FILE_IO', `cannot read the sink CA bundle ${options.caFile}`, { cause: err, details: { path: options.caFile } });
    }
  }
  const transport = options.transport ?? createUndiciTransport({ url, ca, requestTimeoutMs: o.requestTimeoutMs });
  return new BatchingSink(o, url.origin, transport, options);
}

class BatchingSink implements HttpSink {
  readonly destination: string;
  readonly #o: Resolved;
  readonly #transport: SinkTransport;
  readonly #log: Logger;
  readonly #tokenFile: string | undefined;
  readonly #random: () => number;
  readonly #queue: LineQueue;
  readonly #listeners: ((reason: DropReason, count: number) => void)[] = [];
  readonly #dropped: Record<DropReason, number> = { 'buffer-full': 0, 'too-large': 0, rejected: 0, 'retries-exhausted': 0, shutdown: 0 };
  // In-flight batch: out of the queue, still counted against the buffer bounds.
  #inFlightEvents = 0;
  #inFlightBytes = 0;
  #sentEvents = 0;
  #sentBatches = 0;
  #failedAttempts = 0;
  #closing = false;
  #deadline = Infinity;
  #pastDeadline = false;
  // Wake-ups of the worker: a pending resolver and the interval timer.
  #wake: (() => void) | undefined;
  #intervalTimer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #flushRequested = false;
  #sleepTimer: ReturnType<typeof setTimeout> | undefined;
  #endSleep: (() => void) | undefined;
  #abort = new AbortController();
  #idle: (() => void)[] = [];
  readonly #worker: Promise<void>;
  #closed: Promise<HttpSinkStats> | undefined;

  constructor(o: Resolved, destination: string, transport: SinkTransport, options: HttpSinkOptions) {
    this.#o = o;
    this.destination = destination;
    this.#transport = transport;
    this.#log = options.log.child({ module: 'event-sink' });
    this.#tokenFile = options.tokenFile;
    this.#random = options.random ?? Math.random;
    this.#queue = new LineQueue(o.maxBufferEvents);
    this.#worker = this.#run().catch((err: unknown) => {
      // A fault in the worker must not take the process down: stop taking events and count
      // every later one as dropped, so the loss shows in the metrics and the log.
      this.#log.error({ err, code: 'ERR_INTERNAL', destination: this.destination }, 'security event sink stopped');
      this.#closing = true;
      const lost = this.#inFlightEvents + this.#queue.clear();
      this.#releaseBatch();
      this.#drop('shutdown', lost);
    });
  }

  onDrop(listener: (reason: DropReason, count: number) => void): void {
    this.#listeners.push(listener);
  }

  enqueue(line: string): boolean {
    if (this.#closing) return this.#drop('shutdown', 1);
    const bytes = Buffer.byteLength(line);
    if (bytes + 2 > this.#o.maxBatchBytes) return this.#drop('too-large', 1);
    if (this.#queue.size + this.#inFlightEvents >= this.#o.maxBufferEvents
      || this.#queue.bytes + this.#inFlightBytes + bytes > this.#o.maxBufferBytes) {
      return this.#drop('buffer-full', 1);
    }
    this.#queue.push(line, bytes);
    if (this.#batchReady()) this.#wakeSoon();
    else if (this.#intervalTimer === undefined) {
      this.#intervalTimer = setTimeout(() => {
        this.#intervalTimer = undefined;
        this.#flushRequested = true;
        this.#wakeNow();
      }, this.#o.flushIntervalMs);
      this.#intervalTimer.unref();
    }
    return true;
  }

  stats(): HttpSinkStats {
    return {
      bufferedEvents: this.#queue.size + this.#inFlightEvents,
      bufferedBytes: this.#queue.bytes + this.#inFlightBytes,
      sentEvents: this.#sentEvents,
      sentBatches: this.#sentBatches,
      failedAttempts: this.#failedAttempts,
      dropped: { ...this.#dropped },
      droppedTotal: Object.values(this.#dropped).reduce((a, b) => a + b, 0),
    };
  }

  async flush(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.#isIdle()) return;
    const deadlineMs = options.deadlineMs ?? 5000;
    this.#flushRequested = true;
    this.#cutSleep();
    this.#wakeNow();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, deadlineMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#idle.push(done);
    });
  }

  close(options: { deadlineMs?: number } = {}): Promise<HttpSinkStats> {
    this.#closed ??= this.#close(options.deadlineMs ?? 5000);
    return this.#closed;
  }

  async #close(deadlineMs: number): Promise<HttpSinkStats> {
    this.#closing = true;
    this.#deadline = Date.now() + deadlineMs;
    const deadlineTimer = setTimeout(() => {
      // Past the deadline: abort the request in flight and stop waiting on backoff.
      this.#pastDeadline = true;
      this.#abort.abort();
      this.#cutSleep();
    }, deadlineMs);
    this.#cutSleep();
    this.#wakeNow();
    await this.#worker;
    clearTimeout(deadlineTimer);
    if (this.#isPastDeadline()) await this.#transport.destroy();
    else await this.#transport.close();
    return this.stats();
  }

  // === worker ===

  async #run(): Promise<void> {
    for (;;) {
      if (this.#queue.size === 0 || (!this.#closing && !this.#flushRequested && !this.#batchReady())) {
        this.#notifyIdle();
        if (this.#closing) return;
        await new Promise<void>((resolve) => { this.#wake = resolve; });
        this.#wake = undefined;
        continue;
      }
      if (this.#closing && this.#isPastDeadline()) {
        this.#drop('shutdown', this.#queue.clear());
        continue;
      }
      const batch = this.#takeBatch();
      if (this.#queue.size === 0) this.#flushRequested = false;
      await this.#deliver(batch);
    }
  }

  #isPastDeadline(): boolean {
    return this.#pastDeadline || Date.now() >= this.#deadline;
  }

  #remaining(): number {
    return Math.max(0, this.#deadline - Date.now());
  }

  #batchReady(): boolean {
    return this.#queue.size >= this.#o.maxBatchEvents || this.#queue.bytes >= this.#o.maxBatchBytes;
  }

  #takeBatch(): string[] {
    const lines: string[] = [];
    let bytes = 0;
    // Each event costs its bytes plus a separator; the brackets of `ecs` fit the +2 slack of enqueue.
    while (lines.length < this.#o.maxBatchEvents) {
      const next = this.#queue.peekBytes();
      if (next === undefined || (lines.length > 0 && bytes + next + 1 > this.#o.maxBatchBytes - 2)) break;
      lines.push(this.#queue.shift() as string);
      bytes += next + 1;
    }
    this.#inFlightEvents = lines.length;
    this.#inFlightBytes = bytes - lines.length;
    return lines;
  }

  #releaseBatch(): void {
    this.#inFlightEvents = 0;
    this.#inFlightBytes = 0;
  }

  async #deliver(lines: string[]): Promise<void> {
    const body = this.#o.format === 'ecs' ? `[${lines.join(',')}]` : `${lines.join('\n')}\n`;
    for (let attempt = 1; ; attempt++) {
      if (this.#closing && this.#isPastDeadline()) {
        this.#releaseBatch();
        this.#drop('shutdown', lines.length);
        return;
      }
      const outcome = await this.#attempt(body, lines.length, attempt);
      if (outcome.kind === 'sent') {
        this.#releaseBatch();
        this.#sentEvents += lines.length;
        this.#sentBatches++;
        return;
      }
      this.#failedAttempts++;
      if (outcome.kind === 'rejected') {
        this.#releaseBatch();
        this.#drop('rejected', lines.length);
        return;
      }
      if (attempt >= this.#o.maxAttempts) {
        this.#log.error({ code: 'ERR_EVENT_SINK_UNAVAILABLE', destination: this.destination, attempts: attempt, events: lines.length },
          'security event sink unavailable; batch dropped after the last attempt');
        this.#releaseBatch();
        this.#drop('retries-exhausted', lines.length);
        return;
      }
      // Honour Retry-After, but never retry sooner than the backoff says.
      const backoff = backoffDelay(attempt, this.#o.initialDelayMs, this.#o.maxDelayMs, this.#random);
      const wait = Math.min(Math.max(backoff, outcome.retryAfterMs ?? 0), this.#o.maxDelayMs);
      this.#log.warn({ code: 'ERR_EVENT_SINK_UNAVAILABLE', destination: this.destination, attempt, delayMs: Math.round(wait), status: outcome.status, reason: outcome.reason },
        'security event sink unavailable; retrying');
      await this.#sleep(this.#closing ? Math.min(wait, this.#remaining()) : wait);
    }
  }

  async #attempt(body: string, events: number, attempt: number): Promise<
    | { kind: 'sent' }
    | { kind: 'rejected' }
    | { kind: 'retry'; status?: number; reason?: string; retryAfterMs?: number }
  > {
    let authorization: string | undefined;
    if (this.#tokenFile !== undefined) {
      try {
        authorization = `${this.#o.authScheme} ${await this.#readToken(this.#tokenFile)}`;
      } catch (err) {
        const code = err instanceof AppError ? err.code : 'ERR_FILE_IO';
        this.#log.warn({ code, path: this.#tokenFile, attempt }, 'security event sink token unavailable');
        return { kind: 'retry', reason: code };
      }
    }
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.requestTimeoutMs)]);
    try {
      const res = await this.#transport.send({ body, contentType: CONTENT_TYPES[this.#o.format], authorization, signal });
      if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
      if (res.status === 429 || res.status >= 500) {
        return { kind: 'retry', status: res.status, retryAfterMs: parseRetryAfter(res.retryAfter, Date.now()) };
      }
      this.#log.error({ code: 'ERR_EVENT_SINK_REJECTED', destination: this.destination, status: res.status, events },
        'security event sink rejected a batch; dropped');
      return { kind: 'rejected' };
    } catch (err) {
      // Network, TLS, timeout and abort errors: name and code only (messages may quote URLs).
      const e = err as { code?: unknown; name?: unknown };
      return { kind: 'retry', reason: typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'error' };
    }
  }

  async #readToken(path: string): Promise<string> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new AppError('ERR_FILE_IO', `cannot read the sink token file ${path}`, { cause: err, details: { path } });
    }
    const token = text.trim();
    if (!TOKEN_SYNTAX.test(token)) {
      throw new AppError('ERR_EVENT_SINK_TOKEN_INVALID', `the sink token file ${path} is empty or not a header-safe token`, { details: { path } });
    }
    return token;
  }

  #drop(reason: DropReason, count: number): false {
    if (count <= 0) return false;
    this.#dropped[reason] += count;
    for (const listener of this.#listeners) listener(reason, count);
    return false;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#endSleep = () => {
        clearTimeout(this.#sleepTimer);
        this.#sleepTimer = undefined;
        this.#endSleep = undefined;
        resolve();
      };
      this.#sleepTimer = setTimeout(this.#endSleep, ms);
      this.#sleepTimer.unref();
    });
  }

  #cutSleep(): void {
    this.#endSleep?.();
  }

  // The worker runs from a macrotask, never inside the caller's synchronous path.
  #wakeSoon(): void {
    if (this.#wake === undefined || this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#wakeNow();
    });
  }

  #wakeNow(): void {
    if (this.#intervalTimer !== undefined && (this.#closing || this.#flushRequested)) {
      clearTimeout(this.#intervalTimer);
      this.#intervalTimer = undefined;
    }
    this.#wake?.();
  }

  #isIdle(): boolean {
    return this.#queue.size === 0 && this.#inFlightEvents === 0;
  }

  #notifyIdle(): void {
    if (!this.#isIdle()) return;
    const waiters = this.#idle;
    this.#idle = [];
    for (const done of waiters) done();
  }
}
