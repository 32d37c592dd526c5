// The workload sidecar's configuration file as written (docs/sidecar-config.md): JSON, versioned
// by `apiVersion`, durations as text (`30s`), paths relative to the file. The file shape only;
// config.ts converts it into the runtime SidecarConfig and reports every problem at once.
import { z } from 'zod';

export const SIDECAR_CONFIG_API_VERSION = 'qshield.io/sidecar-config/v1alpha1';
export const SIDECAR_CONFIG_KIND = 'SidecarConfig';

const path = z.string().min(1).max(4096);
const duration = z.string().min(1).max(32);
const host = z.string().min(1).max(255);
const port = z.number().int().min(0).max(65535);

export const ListenSchema = z.strictObject({
  /** Loopback only: 127.0.0.1 or ::1 (the app is in the same pod). */
  host: host.optional(),
  port: port.optional(),
  /** A Unix socket instead of TCP. */
  socketPath: path.optional(),
});

export const GatewaySchema = z.strictObject({
  /** `https://host:port` of the queue manager's gateway. */
  url: z.string().min(1).max(2048),
  /** The gateway's SPIFFE id, or a pattern its SVID must match. */
  spiffeId: z.string().min(1).max(2048),
  /** The channel to use (sent as the TLS server name); absent = the gateway's default channel. */
  channel: z.string().min(1).max(63).optional(),
  /** Connections of the pool. */
  connections: z.number().int().min(1).max(256).default(4),
  /** Requests sent on one connection before the first answer (HTTP/1.1 pipelining); 1 = none. */
  pipelining: z.number().int().min(1).max(128).default(8),
  /** Connections for gets and browses that wait (one long-poll each); keep at or below the gateway's maxLongPollsPerPeer. */
  longPollConnections: z.number().int().min(1).max(1024).default(16),
  connectTimeout: duration.default('5s'),
  /** Deadline of one request to the gateway, besides a get's own `wait`. */
  requestTimeout: duration.default('30s'),
  /** Idle connections are closed after this long. */
  keepAliveTimeout: duration.default('20s'),
  /** How many times a put is resent after a connection failure (same message id and bytes: stored once). */
  putRetries: z.number().int().min(0).max(10).default(2),
});

export const IdentitySchema = z.strictObject({
  /** The workload's X.509-SVID chain, PEM, leaf first. */
  certificateFile: path,
  keyFile: path,
  /** PEM roots or a SPIFFE JWKS bundle. */
  trustBundleFile: path,
});

export const MessageKeyringSchema = z.strictObject({
  /** The directory holding `gen-<N>.crt` / `gen-<N>.key` (docs/message-keyring.md). */
  dir: path,
  /** Content keys cached for Confidentiality with key reuse. */
  keyCacheSize: z.number().int().min(0).max(1_000_000).optional(),
});

export const DeliverySchema = z.strictObject({
  /** How long a message taken by a plain get is held for the app before it returns to the queue. */
  getVisibilityTimeout: duration.default('30s'),
  /** The visibility timeout of a lease when the app names none. */
  defaultLeaseVisibility: duration.default('30s'),
  /** Longest visibility timeout an app may ask for. */
  maxLeaseVisibility: duration.default('15m'),
});

export const AdminSchema = z.strictObject({
  host: host.default('127.0.0.1'),
  port: port.default(9091),
});

export const SinkSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  format: z.enum(['ecs', 'ndjson']).default('ecs'),
  tokenFile: path.optional(),
  authScheme: z.string().min(1).max(32).optional(),
  caFile: path.optional(),
});

export const LimitsSchema = z.strictObject({
  maxBodyBytes: z.number().int().min(1).max(104_857_600).default(4_194_304),
  maxWait: duration.default('60s'),
  maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
});

export const SidecarConfigFileSchema = z.strictObject({
  apiVersion: z.literal(SIDECAR_CONFIG_API_VERSION),
  kind: z.literal(SIDECAR_CONFIG_KIND),
  listen: ListenSchema.default({}),
  gateway: GatewaySchema,
  identity: IdentitySchema,
  messageKeyring: MessageKeyringSchema,
  delivery: DeliverySchema.default(DeliverySchema.parse({})),
  /** How long protection policies and recipients' certificates are used before they are fetched again. */
  policyRefreshInterval: duration.default('10s'),
  /** How often identity and keyring files are re-read for changes. */
  reloadInterval: duration.default('1s'),
  admin: AdminSchema.default({ host: '127.0.0.1', port: 9091 }),
  securityEvents: z.strictObject({ sink: SinkSchema.optional(), nodeName: z.string().min(1).max(253).optional() }).default({}),
  limits: LimitsSchema.default(LimitsSchema.parse({})),
  /** Longest a shutdown waits for requests in progress. */
  drainTimeout: duration.default('10s'),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
});

export type SidecarConfigFile = z.infer<typeof SidecarConfigFileSchema>;
