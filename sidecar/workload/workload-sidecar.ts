// Workload mode: the sidecar in every application pod. Starts everything from a configuration —
// the workload's SVID and message keyring (both re-read and swapped when their files change),
// the mTLS client of the gateway, the protection-policy cache, observability, and the
// app-facing listener on loopback or a Unix socket — and shuts it all down in order.
import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../lib/errors/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import { startObservability, type Observability } from '../observability/index.ts';
import { startPoller, type Poller } from '../gateway/poller.ts';
import { AppHandler } from './app-handler.ts';
import { buildClientIdentity, readIdentityFiles, sameIdentityFiles, type ClientIdentity, type IdentityFileSet } from './client-identity.ts';
import type { SidecarConfig } from './config.ts';
import { GatewayClient } from './gateway-client.ts';
import { buildMessageKeyring, readKeyringFiles, type KeyringFiles, type MessageKeyring } from './message-keyring.ts';
import { ProtectionCache } from './protection-cache.ts';
import { Protector } from './protector.ts';
import { Quarantiner } from './quarantine.ts';
import { createWorkloadMetrics } from './workload-metrics.ts';

export interface WorkloadSidecarOptions {
  readonly config: SidecarConfig;
  readonly log: Logger;
  readonly version?: string;
  readonly now?: () => number;
  /** Export process_* and nodejs_* metrics; default true (turn off for a second component in one process). */
  readonly processMetrics?: boolean;
  /** Offer HTTP/2 to the gateway (benchmarks); default false. */
  readonly allowH2?: boolean;
}

export interface WorkloadSidecar {
  /** `http://127.0.0.1:port` of the app-facing API, for a TCP listener. */
  readonly url: string | undefined;
  /** The Unix socket of the app-facing API, for a socket listener. */
  readonly socketPath: string | undefined;
  /** `http://host:port` of /healthz, /readyz, /metrics. */
  readonly adminUrl: string;
  /** The workload's SPIFFE id (from its SVID). */
  readonly spiffeId: string;
  readonly observability: Observability;
  /** The message keyring in force. */
  keyring(): MessageKeyring;
  /** The transport identity in force. */
  identity(): ClientIdentity;
  /** Re-reads the identity files and the keyring directory now (they are also polled). */
  reload(): Promise<void>;
  /**
   * Drains: stops accepting, lets requests in progress finish until the deadline (default
   * config.drainTimeoutMs), then cuts what remains and closes the gateway connections.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

/** Longest a drain waits for the last lease acks and releases. */
const SETTLE_DRAIN_MS = 2000;
/** How long a successful gateway round trip vouches for readiness. */
const GATEWAY_CHECK_MS = 5000;

/**
 * Starts a workload sidecar.
 * @throws AppError ERR_WORKLOAD_IDENTITY_INVALID, ERR_WORKLOAD_KEYRING_INVALID, ERR_FILE_IO,
 *   ERR_ADMIN_LISTEN_FAILED, ERR_WORKLOAD_LISTEN_FAILED (nothing is left running then).
 */
export async function startWorkloadSidecar(options: WorkloadSidecarOptions): Promise<WorkloadSidecar> {
  const { config } = options;
  const now = options.now ?? Date.now;
  // Components bind their own `module`: they get options.log, since pino repeats a key bound twice.
  const log = options.log.child({ module: 'sidecar' });

  // --- identity and keyring, both required to start ---
  let identityFiles: IdentityFileSet = await readIdentityFiles(config.identity);
  let identity = buildClientIdentity(identityFiles, { now: now() });
  const spiffeId = identity.spiffeId;
  const keyringOptions = () => ({ spiffeId, trustBundle: identity.bundle, now: now(), ...(config.messageKeyring.keyCacheSize === undefined ? {} : { keyCacheSize: config.messageKeyring.keyCacheSize }) });
  let keyring = buildMessageKeyring(config.messageKeyring.dir, await readKeyringFiles(config.messageKeyring.dir), keyringOptions());

  const sink = config.securityEvents.sink;
  const observability = await startObservability({
    log: options.log,
    service: { name: 'qshield-sidecar', ...(options.version === undefined ? {} : { version: options.version }), ...(config.securityEvents.nodeName === undefined ? {} : { nodeName: config.securityEvents.nodeName }) },
    ...(sink === undefined ? {} : { sink }),
    admin: { host: config.admin.host, port: config.admin.port },
    processMetrics: options.processMetrics ?? true,
  });
  const { events, metrics } = observability;
  const workloadMetrics = createWorkloadMetrics(observability.registry);

  const client = new GatewayClient({
    url: config.gateway.url, spiffeId: config.gateway.spiffeId, channel: config.gateway.channel,
    connections: config.gateway.connections, pipelining: config.gateway.pipelining, longPollConnections: config.gateway.longPollConnections,
    connectTimeoutMs: config.gateway.connectTimeoutMs, requestTimeoutMs: config.gateway.requestTimeoutMs, keepAliveTimeoutMs: config.gateway.keepAliveTimeoutMs,
    identity, log: options.log, ...(options.allowH2 === undefined ? {} : { allowH2: options.allowH2 }),
  });
  const cache = new ProtectionCache({ client: () => client, trustBundle: () => identity.bundle, refreshIntervalMs: config.policyRefreshIntervalMs, now });
  const protector = new Protector({ keyring: () => keyring, trustBundle: () => identity.bundle, clock: () => new Date(now()) });
  const quarantiner = new Quarantiner({ client: () => client, events, log: options.log, spiffeId: () => spiffeId, putRetries: config.gateway.putRetries, now });

  // --- rotation: identity files and the keyring directory, polled ---
  let refusedIdentity: IdentityFileSet | undefined;
  let refusedKeyringDigest: string | undefined;

  async function checkIdentity(): Promise<void> {
    let files: IdentityFileSet;
    try {
      files = await readIdentityFiles(config.identity);
    } catch (err) {
      if (refusedIdentity !== undefined) return;
      refusedIdentity = { cert: Buffer.alloc(0), key: Buffer.alloc(0), bundle: Buffer.alloc(0) };
      events.identityRotationFailed({ code: 'files-unreadable', kind: 'svid', spiffeId, activeSha256: identity.fingerprint, notAfter: identity.svid.notAfter, errorCode: err instanceof AppError ? err.code : 'ERR_FILE_IO', reason: err instanceof Error ? err.message : 'unreadable' });
      return;
    }
    if (sameIdentityFiles(files, identityFiles)) {
      refusedIdentity = undefined;
      return;
    }
    if (refusedIdentity !== undefined && sameIdentityFiles(files, refusedIdentity)) return;
    let next: ClientIdentity;
    try {
      next = buildClientIdentity(files, { now: now() });
      if (next.spiffeId !== spiffeId) throw new AppError('ERR_WORKLOAD_IDENTITY_INVALID', `the new SVID is for ${next.spiffeId}; this sidecar is ${spiffeId}`, { details: { kind: 'identity-invalid', subject: 'svid' } });
    } catch (err) {
      refusedIdentity = files;
      const details = err instanceof AppError ? err.details : {};
      const kind = details.subject === 'trust-bundle' ? 'trust-bundle' : 'svid';
      events.identityRotationFailed({
        code: details.kind === 'key-mismatch' ? 'key-mismatch' : 'identity-invalid', kind, spiffeId,
        activeSha256: kind === 'svid' ? identity.fingerprint : identity.bundleSha256, notAfter: identity.svid.notAfter,
        errorCode: typeof details.errorCode === 'string' ? details.errorCode : err instanceof AppError ? err.code : 'ERR_INTERNAL',
        path: kind === 'svid' ? config.identity.certificateFile : config.identity.trustBundleFile, reason: err instanceof Error ? err.message : 'invalid',
      });
      return;
    }
    const previous = identity;
    identity = next;
    identityFiles = files;
    refusedIdentity = undefined;
    client.setIdentity(next);
    if (next.fingerprint !== previous.fingerprint) events.identityRotated({ kind: 'svid', spiffeId, sha256: next.fingerprint, previousSha256: previous.fingerprint, notAfter: next.svid.notAfter });
    if (next.bundleSha256 !== previous.bundleSha256) events.identityRotated({ kind: 'trust-bundle', sha256: next.bundleSha256, previousSha256: previous.bundleSha256 });
  }

  /** Reports a keyring that cannot be taken, once per failure (`marker`: the digest, or why it was unreadable). */
  function keyringRefused(marker: string, err: unknown): void {
    if (refusedKeyringDigest === marker) return;
    refusedKeyringDigest = marker;
    const details = err instanceof AppError ? err.details : {};
    events.identityRotationFailed({
      code: err instanceof AppError && err.code === 'ERR_FILE_IO' ? 'files-unreadable' : details.kind === 'key-mismatch' ? 'key-mismatch' : 'identity-invalid',
      kind: 'message-keyring', spiffeId, activeSha256: keyring.current.fingerprint, notAfter: keyring.current.notAfter,
      errorCode: err instanceof AppError ? err.code : 'ERR_INTERNAL', path: config.messageKeyring.dir, reason: err instanceof Error ? err.message : 'invalid',
    });
  }

  /** Re-reads the keyring directory; true when a new keyring took effect. */
  async function checkKeyring(): Promise<boolean> {
    const dir = config.messageKeyring.dir;
    let files: KeyringFiles;
    try {
      files = await readKeyringFiles(dir);
    } catch (err) {
      // Unreadable, or a generation half-written (a certificate without its key yet).
      keyringRefused(err instanceof AppError ? `listing:${err.code}` : 'listing', err);
      return false;
    }
    if (files.digest === keyring.digest) {
      refusedKeyringDigest = undefined;
      // The same files, but time moves: a generation published ahead of its validity signs from
      // its start, and a current one that has ended stops signing.
      const t = now();
      const due = keyring.generations.find((g) => g.notBefore.getTime() <= t && t <= g.notAfter.getTime());
      if (due === undefined || due.generation === keyring.current.generation) return false;
    }
    if (files.digest === refusedKeyringDigest) return false;
    let next: MessageKeyring;
    try {
      next = buildMessageKeyring(dir, files, keyringOptions());
    } catch (err) {
      keyringRefused(files.digest, err);
      return false;
    }
    const previous = keyring;
    keyring = next;
    refusedKeyringDigest = undefined;
    if (next.current.fingerprint !== previous.current.fingerprint) {
      events.identityRotated({ kind: 'message-keyring', spiffeId, sha256: next.current.fingerprint, previousSha256: previous.current.fingerprint, notAfter: next.current.notAfter });
    }
    log.info({ generations: next.generations.map((g) => g.generation), current: next.current.generation, [F.fingerprint]: next.current.fingerprint }, 'message keyring loaded');
    return true;
  }

  let keyringCheck: Promise<boolean> | undefined;
  const refreshKeyring = (): Promise<boolean> => {
    keyringCheck ??= checkKeyring().finally(() => {
      keyringCheck = undefined;
    });
    return keyringCheck;
  };

  const poller: Poller = startPoller(config.reloadIntervalMs, async () => {
    await checkIdentity();
    await refreshKeyring();
  }, log);

  // --- readiness: a recent successful round trip to the gateway ---
  let gatewayOkAt = -Infinity;
  let gatewayCheck: Promise<{ ok: boolean; reason?: string }> | undefined;
  const gatewayReady = async (): Promise<{ ok: boolean; reason?: string }> => {
    if (now() - gatewayOkAt < GATEWAY_CHECK_MS) return { ok: true };
    gatewayCheck ??= client.request({ method: 'GET', path: '/qshield/v1/connection' })
      .then((reply) => {
        if (reply.status !== 200) return { ok: false, reason: `gateway answered ${reply.status}` };
        gatewayOkAt = now();
        return { ok: true };
      }, (err: unknown) => ({ ok: false, reason: err instanceof AppError ? err.code : 'gateway unreachable' }))
      .finally(() => {
        gatewayCheck = undefined;
      });
    return gatewayCheck;
  };
  observability.addReadinessCheck('gateway', gatewayReady);
  observability.addReadinessCheck('identity', () => (now() < identity.svid.notAfter.getTime() ? true : { ok: false, reason: 'SVID expired' }));

  // --- the app-facing listener ---
  let draining = false;
  const handler = new AppHandler({
    log: options.log, client: () => client, cache, protector, quarantiner, events, metrics, workloadMetrics,
    limits: {
      maxBodyBytes: config.limits.maxBodyBytes, maxWaitMs: config.limits.maxWaitMs,
      getVisibilityMs: config.delivery.getVisibilityMs, defaultLeaseVisibilityMs: config.delivery.defaultLeaseVisibilityMs,
      maxLeaseVisibilityMs: config.delivery.maxLeaseVisibilityMs, putRetries: config.gateway.putRetries,
    },
    spiffeId: () => spiffeId,
    draining: () => draining,
    refreshKeyring,
  });
  const server: Server = createServer({ maxHeaderSize: config.limits.maxHeaderBytes, keepAliveTimeout: 30_000, requestTimeout: 0 }, handler.handle);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const listen = config.listen;
  try {
    if (listen.kind === 'unix') await rm(listen.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      const done = () => {
        server.off('error', onError);
        resolve();
      };
      if (listen.kind === 'unix') server.listen(listen.socketPath, done);
      else server.listen(listen.port, listen.host, done);
    });
    // The socket is the app's way in: the pod's own users only.
    if (listen.kind === 'unix') await chmod(listen.socketPath, 0o660);
  } catch (err) {
    poller.stop();
    await client.close({ force: true });
    await observability.close({ deadlineMs: 0 });
    throw new AppError('ERR_WORKLOAD_LISTEN_FAILED', `the sidecar cannot listen on ${listen.kind === 'unix' ? listen.socketPath : `${listen.host}:${listen.port}`}`, {
      cause: err, details: listen.kind === 'unix' ? { socketPath: listen.socketPath } : { host: listen.host, port: listen.port },
    });
  }
  server.on('error', (err) => log.error({ err }, 'listener error'));
  let url: string | undefined;
  if (listen.kind === 'tcp') {
    const address = server.address() as AddressInfo;
    url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }
  log.info({ url, socketPath: listen.kind === 'unix' ? listen.socketPath : undefined, spiffeId, gateway: config.gateway.url, keyringGeneration: keyring.current.generation }, 'sidecar listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    socketPath: listen.kind === 'unix' ? listen.socketPath : undefined,
    adminUrl: observability.admin.url,
    spiffeId,
    observability,
    keyring: () => keyring,
    identity: () => identity,
    reload: () => poller.runNow(),
    close(closeOptions = {}) {
      closing ??= (async () => {
        draining = true;
        observability.startDraining();
        poller.stop();
        const deadline = closeOptions.deadlineMs ?? config.drainTimeoutMs;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        let timer: NodeJS.Timeout | undefined;
        const cut = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            server.closeAllConnections();
            for (const s of sockets) s.destroy();
            resolve();
          }, deadline);
        });
        await Promise.race([closed, cut]);
        clearTimeout(timer);
        clearInterval(idle);
        // Acks and releases of the last answers go out before the connections close: otherwise
        // those messages would wait out their visibility timeout (and acked ones come again).
        await Promise.race([handler.settled(), sleep(SETTLE_DRAIN_MS)]);
        await client.close({ force: true });
        if (listen.kind === 'unix') await rm(listen.socketPath, { force: true });
        await observability.close({ deadlineMs: 5000 });
        log.info('sidecar closed');
      })();
      return closing;
    },
  };
}
