// The gateway: the mTLS listener in front of the broker. Each connection's peer is validated
// (X.509-SVID against the trust bundle), its channel chosen and its admission decided; admitted
// peers get the MQ REST API (request-handler.ts). Identity files and the policy bundle are
// polled and swapped atomically without dropping connections; a bad new file is refused with an
// event and the last good one stays.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AppError, hasCode } from '../../lib/errors/index.ts';
import { tryParseSpiffeId } from '../../lib/identity/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import { parsePolicyBundle, type CompiledPolicy } from '../../lib/policy/index.ts';
import type { BrokerDriver } from '../drivers/driver.ts';
import type { PeerInfo, SecurityEvents, TlsInfo } from '../events/index.ts';
import type { GatewayMetrics } from '../metrics/index.ts';
import { listenerMinVersion } from '../pipeline/admission.ts';
import { IdempotentPuts } from '../pipeline/idempotent-puts.ts';
import { LongPollLimiter } from '../pipeline/long-poll-limiter.ts';
import { RateLimiter } from '../pipeline/rate-limiter.ts';
import { errorReply } from '../respond.ts';
import { parseFromDataEventsOncePaused } from '../server/http-pipelining.ts';
import { orderedClientErrorReplies } from '../server/ordered-client-errors.ts';
import { PeerValidator } from '../server/peer-validator.ts';
import { buildServerIdentity, readIdentityFiles, sameFiles, type IdentityFileSet, type ServerIdentity } from '../server/server-identity.ts';
import { isHybridGroup, negotiatedGroup } from '../server/tls-groups.ts';
import { secureContextOptions, serverTlsOptions, type TlsMinVersion } from '../server/tls-options.ts';
import type { GatewayConfig } from './config.ts';
import { errorQueueSpec } from './extensions.ts';
import { LeaseTable } from './leases.ts';
import { buildMessageCertificates, MessageCertificates, readMessageCertificateFiles } from './message-certificates.ts';
import { decideAdmission, strengthOf, type PeerConnection } from './peer-connection.ts';
import { startPoller, type Poller } from './poller.ts';
import { RequestHandler } from './request-handler.ts';

export interface GatewayOptions {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly driver: BrokerDriver;
  readonly events: SecurityEvents;
  readonly metrics: GatewayMetrics;
  readonly now?: () => number;
}

export interface Gateway {
  readonly host: string;
  readonly port: number;
  /** `https://host:port` */
  readonly url: string;
  /** The policy in force. */
  policy(): CompiledPolicy;
  /** The identity in force. */
  identity(): ServerIdentity;
  /** Checks the identity files and the policy bundle now (they are also polled). */
  reload(): Promise<void>;
  /** Open client connections. */
  connectionCount(): number;
  /**
   * Readiness: the broker is connected, the queues are declared, the gateway's SVID is valid.
   * `code` names an error that waiting will not cure (ERR_BROKER_QUEUE_MISMATCH: somebody must
   * reconcile the queue), so that a caller with a deadline can stop at once.
   */
  readiness(): { ok: boolean; reason?: string; code?: string };
  /**
   * Drains: stops accepting, ends waiting gets with 503, lets requests in progress finish until
   * the deadline (default config.drainTimeoutMs), then cuts what remains.
   */
  close(options?: { deadlineMs?: number }): Promise<void>;
}

interface PolicyFile {
  readonly bytes: Buffer;
  readonly sha256: string;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readPolicyFile(path: string): Promise<PolicyFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new AppError('ERR_FILE_IO', `cannot read the policy bundle ${path}`, { cause: err, details: { path } });
  }
  return { bytes, sha256: sha256(bytes) };
}

function countsOf(policy: CompiledPolicy) {
  const b = policy.bundle;
  return { queues: b.queues.length, topics: b.topics.length, authorities: b.authorities.length, channels: b.channels.length, protectionPolicies: b.protectionPolicies.length };
}

function claimedSpiffeId(socket: TLSSocket): string | undefined {
  const san = socket.getPeerX509Certificate()?.subjectAltName ?? '';
  const uri = /URI:([^,\s]+)/.exec(san)?.[1];
  return uri === undefined ? undefined : tryParseSpiffeId(uri)?.toString();
}

/**
 * Starts the gateway: reads and checks the policy bundle and identity files, declares the queues,
 * and listens.
 * @throws AppError ERR_FILE_IO, ERR_POLICY_BUNDLE_INVALID, ERR_GATEWAY_IDENTITY_INVALID (nothing
 *   is left running then), ERR_GATEWAY_LISTEN_FAILED.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, driver, events, metrics } = options;
  // Components bind their own `module`: they get options.log, since pino repeats a key bound twice.
  const log = options.log.child({ module: 'gateway' });
  const now = options.now ?? Date.now;

  // --- policy and identity, both required to start ---
  let policyFile = await readPolicyFile(config.policyBundleFile);
  let policy = parsePolicyBundle(policyFile.bytes);
  let identityFiles = await readIdentityFiles(config.identity);
  let identity = buildServerIdentity(identityFiles, { now: now(), expectedTrustDomain: policy.trustDomain });
  let minVersion: TlsMinVersion = listenerMinVersion(policy);
  events.policyBundleLoaded({ revision: policy.revision, sha256: policyFile.sha256, path: config.policyBundleFile, counts: countsOf(policy) });
  metrics.policyBundleLoaded(policy.revision, now());
  for (const w of policy.warnings) log.warn({ path: w.path }, `policy bundle: ${w.message}`);

  // Refused file contents we already reported, so a bad file is one event, not one per poll.
  let refusedPolicySha: string | undefined;
  let refusedIdentity: IdentityFileSet | undefined;
  let queuesConfiguredFor: CompiledPolicy | undefined;
  /** Why the last declaration failed, for /readyz (a queue the broker holds with other attributes). */
  let queueError: { message: string; code: string } | undefined;

  async function configureQueues(): Promise<void> {
    if (queuesConfiguredFor === policy) return;
    const target = policy;
    try {
      // SYSTEM.PROTECTION.ERROR.QUEUE exists on every queue manager, declared or not.
      const errorQueue = errorQueueSpec(target);
      const queues = target.bundle.queues.filter((q) => q.name !== errorQueue.name).map((q) => ({ name: q.name, maxDepth: q.maxDepth, maxMessageLength: q.maxMessageLength }));
      await driver.configureQueues([...queues, errorQueue]);
      queuesConfiguredFor = target;
      queueError = undefined;
    } catch (err) {
      queueError = { message: err instanceof Error ? err.message : String(err), code: err instanceof AppError ? err.code : 'ERR_INTERNAL' };
      log.warn({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', err }, 'declaring the queues failed; retrying');
    }
  }

  // --- recipients' message certificates: optional; a bad file is left out with a warning ---
  let messageCertificates = MessageCertificates.empty();
  async function checkMessageCertificates(): Promise<void> {
    const dir = config.messageCertificatesDir;
    if (dir === undefined) return;
    try {
      const files = await readMessageCertificateFiles(dir);
      if (files.digest === messageCertificates.digest) return;
      const next = buildMessageCertificates(files, identity.bundle, now());
      for (const skipped of next.skipped) log.warn({ file: skipped.file, reason: skipped.reason }, 'message certificate left out');
      messageCertificates = next;
      log.info({ certificates: next.size, skipped: next.skipped.length }, 'message certificates loaded');
    } catch (err) {
      log.warn({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', reason: err instanceof Error ? err.message : '' }, 'message certificates unreadable; the last ones stay');
    }
  }
  await checkMessageCertificates();
  const leases = new LeaseTable({ maxPerOwner: config.leases.maxPerPeer, log: options.log, now });
  metrics.trackLeases(leases);

  // --- connections ---
  const connections = new WeakMap<TLSSocket, PeerConnection>();
  const sockets = new Set<Socket>();
  const peerValidator = new PeerValidator({ now });
  let nextConnId = 1;
  let draining = false;

  function readmit(conn: PeerConnection): void {
    if (conn.policy === policy) return;
    conn.policy = policy;
    conn.admission = decideAdmission(policy, { peer: conn.peer, tls: conn.tls, servername: conn.servername, spiffeId: conn.spiffeId, group: conn.tls.group }, config.defaultChannel, events);
  }

  function connectionOf(req: IncomingMessage): PeerConnection | undefined {
    const conn = connections.get(req.socket as TLSSocket);
    if (conn === undefined) return undefined;
    if (now() >= conn.notAfterMs && conn.admission.admitted) {
      // The peer's SVID expired on a kept-alive connection: it must reconnect with a fresh one.
      conn.admission = { admitted: false, stage: 'tls', error: new AppError('ERR_GATEWAY_TLS_TOO_WEAK', 'the peer\'s certificate expired during the connection; reconnect with a current SVID') };
      events.connectionRefused({ code: 'identity-invalid', peer: conn.peer, errorCode: 'ERR_SVID_EXPIRED', reason: 'the peer\'s certificate expired during the connection', tls: conn.tls });
      return conn;
    }
    readmit(conn);
    return conn;
  }

  function onSecureConnection(socket: TLSSocket): void {
    const address = socket.remoteAddress ?? '';
    const tlsBase = { protocol: socket.getProtocol() ?? undefined, cipher: socket.getCipher()?.standardName, group: negotiatedGroup(socket) };
    metrics.tlsHandshake(tlsBase.protocol, tlsBase.group);
    let svid;
    try {
      svid = peerValidator.validate(socket, identity.bundle);
    } catch (err) {
      const missing = hasCode(err, 'ERR_SVID_MISSING');
      const claimed = missing ? undefined : claimedSpiffeId(socket);
      const peer: PeerInfo = { address, ...(socket.remotePort === undefined ? {} : { port: socket.remotePort }), ...(claimed === undefined ? {} : { spiffeId: claimed }) };
      events.connectionRefused({
        code: missing ? 'no-client-certificate' : 'identity-invalid', peer, tls: tlsBase,
        errorCode: err instanceof AppError ? err.code : 'ERR_INTERNAL', reason: err instanceof Error ? err.message : 'certificate refused',
      });
      metrics.tlsHandshakeFailed(missing ? 'no_client_certificate' : 'certificate_invalid');
      socket.destroy();
      return;
    }
    const peer: PeerInfo = { address, ...(socket.remotePort === undefined ? {} : { port: socket.remotePort }), spiffeId: svid.spiffeId.toString() };
    const tls: TlsInfo = { ...tlsBase, peerCertificateSha256: createHash('sha256').update(svid.leaf.raw).digest('hex'), peerCertificateNotAfter: svid.leaf.validToDate };
    const servername = typeof socket.servername === 'string' ? socket.servername : undefined;
    const admission = decideAdmission(policy, { peer, tls, servername, spiffeId: svid.spiffeId, group: tlsBase.group }, config.defaultChannel, events);
    const conn: PeerConnection = {
      id: nextConnId++, socket, peer, tls, servername, spiffeId: svid.spiffeId,
      strength: strengthOf(tlsBase.protocol, isHybridGroup(tlsBase.group)),
      notAfterMs: svid.notAfter.getTime(),
      channelLabel: admission.admitted ? admission.channel.name : 'refused',
      policy, admission,
    };
    connections.set(socket, conn);
    metrics.connectionOpened(conn.channelLabel);
    socket.once('close', () => metrics.connectionClosed(conn.channelLabel));
    if (!admission.admitted && socket.readableLength === 0) {
      // The peer is authenticated, so it is told why (one reply, then the connection closes);
      // if it sends nothing within the handshake timeout, the connection just closes.
      socket.setTimeout(config.limits.handshakeTimeoutMs, () => socket.destroy());
    }
  }

  const handler = new RequestHandler({
    log: options.log, driver, events, metrics,
    rateLimiter: new RateLimiter(),
    longPolls: new LongPollLimiter(config.limits.maxLongPollsPerPeer),
    idempotency: new IdempotentPuts({ windowMs: config.idempotency.windowMs, maxEntries: config.idempotency.maxEntries, now }),
    limits: config.limits,
    leases,
    leaseLimits: { defaultVisibilityMs: config.leases.defaultVisibilityMs, maxVisibilityMs: config.leases.maxVisibilityMs },
    messageCertificates: () => messageCertificates,
    policy: () => policy,
    identity: () => identity,
    connection: connectionOf,
    draining: () => draining,
  });

  const server: Server = createServer({
    ...serverTlsOptions(identity, minVersion, config.limits.handshakeTimeoutMs),
    maxHeaderSize: config.limits.maxHeaderBytes,
    headersTimeout: config.limits.headersTimeoutMs,
    requestTimeout: config.limits.requestTimeoutMs,
    keepAliveTimeout: config.limits.keepAliveTimeoutMs,
  }, handler.handle);
  server.maxConnections = config.limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', onSecureConnection);
  // Pipelined requests behind a response written under backpressure wait instead of failing
  // as HPE_PAUSED (why: http-pipelining.ts). After the HTTP server's own listener, as it needs.
  server.on('secureConnection', parseFromDataEventsOncePaused);
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    const code = err.code ?? '';
    const timeout = code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
    const protocol = /PROTOCOL|VERSION|NO_SHARED|NO_SUITABLE|CIPHER|GROUP|KEY_SHARE/i.test(code);
    metrics.tlsHandshakeFailed(timeout ? 'timeout' : protocol ? 'protocol' : 'other');
    if (protocol) {
      events.connectionRefused({
        code: 'tls-too-weak', peer: { address: socket.remoteAddress ?? '', ...(socket.remotePort === undefined ? {} : { port: socket.remotePort }) },
        reason: `the TLS handshake failed: ${err.message.slice(0, 200)}`, errorCode: 'ERR_GATEWAY_TLS_TOO_WEAK',
      });
    } else {
      log.debug({ tlsError: code }, 'TLS handshake failed');
    }
  });
  const replyInOrder = orderedClientErrorReplies(server, writeClientErrorReply);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // After the answers to the whole requests before it (why: ordered-client-errors.ts).
    replyInOrder(err, socket);
  });

  function writeClientErrorReply(err: NodeJS.ErrnoException, socket: Socket): void {
    const code = err.code === 'HPE_HEADER_OVERFLOW' ? 'ERR_GATEWAY_HEADERS_TOO_LARGE'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'ERR_GATEWAY_REQUEST_TIMEOUT' : 'ERR_GATEWAY_BAD_REQUEST';
    const message = code === 'ERR_GATEWAY_HEADERS_TOO_LARGE' ? `the request headers exceed ${config.limits.maxHeaderBytes} bytes`
      : code === 'ERR_GATEWAY_REQUEST_TIMEOUT' ? 'the request did not arrive in time' : 'the HTTP request is malformed';
    const reply = errorReply(new AppError(code, message, { details: { httpError: err.code } }));
    const body = Buffer.from(reply.body, 'utf8');
    const head = [`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`, ...Object.entries({ ...reply.headers, connection: 'close', 'content-length': String(body.length) }).map(([k, v]) => `${k}: ${v}`)];
    socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      reject(new AppError('ERR_GATEWAY_LISTEN_FAILED', `the gateway cannot listen on ${config.listen.host}:${config.listen.port}`, {
        cause: err, details: { host: config.listen.host, port: config.listen.port },
      }));
    };
    server.once('error', onError);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'listener error'));
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  // --- the broker: started without waiting, so an outage at start means 503s, not no gateway ---
  driver.onEvent((event) => {
    if (event.kind === 'state') {
      metrics.setBrokerUp(driver.kind, event.state === 'connected');
      if (event.state === 'connected') {
        // A new connection declares the queues itself, and a clash it meets is not thrown to
        // anybody: check them all again, so that readiness says so.
        queuesConfiguredFor = undefined;
        void configureQueues();
      }
    }
  });
  await driver.start({ waitForConnection: false });
  metrics.setBrokerUp(driver.kind, driver.health().state === 'connected');
  await configureQueues();

  // --- rotation ---
  function applyIdentity(next: ServerIdentity, files: IdentityFileSet): void {
    const previous = identity;
    server.setSecureContext(secureContextOptions(next, minVersion));
    identity = next;
    identityFiles = files;
    if (next.fingerprint !== previous.fingerprint) {
      events.identityRotated({ kind: 'svid', spiffeId: next.svid.spiffeId.toString(), sha256: next.fingerprint, previousSha256: previous.fingerprint, notAfter: next.svid.notAfter });
    }
    if (next.bundleSha256 !== previous.bundleSha256) {
      events.identityRotated({ kind: 'trust-bundle', sha256: next.bundleSha256, previousSha256: previous.bundleSha256 });
    }
    log.info({ [F.fingerprint]: next.fingerprint, notAfter: next.svid.notAfter.toISOString() }, 'identity rotated');
  }

  async function checkIdentity(): Promise<void> {
    let files: IdentityFileSet;
    try {
      files = await readIdentityFiles(config.identity);
    } catch (err) {
      if (refusedIdentity !== undefined) return; // reported already; files are being rewritten
      refusedIdentity = { cert: Buffer.alloc(0), key: Buffer.alloc(0), bundle: Buffer.alloc(0) };
      events.identityRotationFailed({
        code: 'files-unreadable', kind: 'svid', errorCode: err instanceof AppError ? err.code : 'ERR_FILE_IO',
        activeSha256: identity.fingerprint, notAfter: identity.svid.notAfter, reason: err instanceof Error ? err.message : 'unreadable',
      });
      return;
    }
    if (sameFiles(files, identityFiles)) {
      refusedIdentity = undefined;
      return;
    }
    if (refusedIdentity !== undefined && sameFiles(files, refusedIdentity)) return;
    try {
      applyIdentity(buildServerIdentity(files, { now: now(), expectedTrustDomain: policy.trustDomain }), files);
      refusedIdentity = undefined;
    } catch (err) {
      refusedIdentity = files;
      const details = err instanceof AppError ? err.details : {};
      const kind = details.subject === 'trust-bundle' ? 'trust-bundle' : 'svid';
      const code = details.kind === 'key-mismatch' ? 'key-mismatch' : details.kind === 'files-unreadable' ? 'files-unreadable' : 'identity-invalid';
      events.identityRotationFailed({
        code, kind, activeSha256: kind === 'svid' ? identity.fingerprint : identity.bundleSha256, notAfter: identity.svid.notAfter,
        errorCode: typeof details.errorCode === 'string' ? details.errorCode : err instanceof AppError ? err.code : 'ERR_INTERNAL',
        path: kind === 'svid' ? config.identity.certificateFile : config.identity.trustBundleFile,
        reason: err instanceof Error ? err.message : 'invalid',
      });
      log.warn({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', reason: err instanceof Error ? err.message : '' }, 'new identity refused; the current one stays');
    }
  }

  async function checkPolicy(): Promise<void> {
    let file: PolicyFile;
    try {
      file = await readPolicyFile(config.policyBundleFile);
    } catch (err) {
      if (refusedPolicySha === 'unreadable') return;
      refusedPolicySha = 'unreadable';
      events.policyBundleRefused({ code: 'bundle-unreadable', activeRevision: policy.revision, path: config.policyBundleFile, errorCode: 'ERR_FILE_IO', reason: err instanceof Error ? err.message : 'unreadable' });
      metrics.policyBundleReloadFailed();
      return;
    }
    if (file.sha256 === policyFile.sha256) {
      refusedPolicySha = undefined;
      return;
    }
    if (file.sha256 === refusedPolicySha) return;
    let next: CompiledPolicy;
    try {
      next = parsePolicyBundle(file.bytes);
      if (next.trustDomain !== policy.trustDomain) {
        throw new AppError('ERR_POLICY_BUNDLE_INVALID', `the new bundle is for trust domain ${next.trustDomain}; this gateway serves ${policy.trustDomain}`, {
          details: { problems: [{ path: '$.trustDomain', message: `must stay ${policy.trustDomain} (restart the gateway to move it)` }], revision: next.revision },
        });
      }
    } catch (err) {
      refusedPolicySha = file.sha256;
      const details = err instanceof AppError ? err.details : {};
      const problems = Array.isArray(details.problems) ? details.problems as { path: string; message: string }[] : [];
      events.policyBundleRefused({
        code: 'bundle-invalid', activeRevision: policy.revision, sha256: file.sha256, path: config.policyBundleFile, problems,
        ...(typeof details.revision === 'string' ? { revision: details.revision } : {}),
        errorCode: err instanceof AppError ? err.code : 'ERR_INTERNAL', reason: err instanceof Error ? err.message : 'invalid',
      });
      metrics.policyBundleReloadFailed();
      return;
    }
    const previous = policy;
    policy = next;
    policyFile = file;
    refusedPolicySha = undefined;
    const nextMin = listenerMinVersion(next);
    if (nextMin !== minVersion) {
      minVersion = nextMin;
      server.setSecureContext(secureContextOptions(identity, minVersion));
    }
    await configureQueues();
    events.policyBundleLoaded({ revision: next.revision, previousRevision: previous.revision, sha256: file.sha256, path: config.policyBundleFile, counts: countsOf(next) });
    metrics.policyBundleLoaded(next.revision, now());
    for (const w of next.warnings) log.warn({ path: w.path }, `policy bundle: ${w.message}`);
  }

  const poller: Poller = startPoller(config.reloadIntervalMs, async () => {
    await checkIdentity();
    await checkPolicy();
    await configureQueues();
    await checkMessageCertificates();
  }, log);

  log.info({ url: `https://${urlHost}:${address.port}`, revision: policy.revision, [F.fingerprint]: identity.fingerprint, minVersion }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    url: `https://${urlHost}:${address.port}`,
    policy: () => policy,
    identity: () => identity,
    reload: () => poller.runNow(),
    connectionCount: () => sockets.size,
    readiness() {
      if (draining) return { ok: false, reason: 'draining' };
      if (!driver.health().ready) return { ok: false, reason: `broker ${driver.health().state}` };
      if (queuesConfiguredFor !== policy) {
        return queueError === undefined ? { ok: false, reason: 'queues not declared' } : { ok: false, reason: `queues not declared: ${queueError.message}`, code: queueError.code };
      }
      if (now() >= identity.svid.notAfter.getTime()) return { ok: false, reason: 'gateway SVID expired' };
      return { ok: true };
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        draining = true;
        poller.stop();
        const deadline = closeOptions.deadlineMs ?? config.drainTimeoutMs;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        handler.abortWaiting();
        // Connections become idle as their last response goes out: close them as they do.
        server.closeIdleConnections();
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        let timer: ReturnType<typeof setTimeout> | undefined;
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
        // Leased messages go back to their queues now rather than at their timeouts.
        await leases.releaseAll();
        log.info('gateway closed');
      })();
      return closing;
    },
  };
}
