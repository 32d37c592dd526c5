// The gateway configuration file as written (docs/gateway-config.md): JSON, versioned by
// `apiVersion`, with durations as text (`30s`) and paths relative to the file. This is the file
// shape only; config.ts converts it into the runtime GatewayConfig and reports every problem.
import { z } from 'zod';

export const GATEWAY_CONFIG_API_VERSION = 'qshield.io/gateway-config/v1alpha1';
export const GATEWAY_CONFIG_KIND = 'GatewayConfig';

const path = z.string().min(1).max(4096);
const duration = z.string().min(1).max(32);
const host = z.string().min(1).max(255);
const port = z.number().int().min(0).max(65535);

export const ListenSchema = z.strictObject({
  host: host.default('0.0.0.0'),
  port: port.default(9443),
});

export const IdentitySchema = z.strictObject({
  /** The gateway's X.509-SVID chain, PEM, leaf first. */
  certificateFile: path,
  /** Its private key, PEM (PKCS#8 or SEC1 / PKCS#1). */
  keyFile: path,
  /** The trust bundle: PEM roots or a SPIFFE JWKS bundle. */
  trustBundleFile: path,
});

export const BrokerSchema = z.strictObject({
  driver: z.enum(['amqp', 'memory']),
  /** amqp: `amqp://host:port/vhost` or `amqps://…`, without credentials. */
  url: z.string().min(1).max(2048).optional(),
  usernameFile: path.optional(),
  passwordFile: path.optional(),
  /** Deadline of one broker operation. */
  operationTimeout: duration.optional(),
  /** AMQP channels gets run on in parallel (a basic.get holds its channel for a round trip). */
  getChannels: z.number().int().min(1).max(256).optional(),
  /** Read-ahead for plain gets on hot queues (off when absent). */
  readAhead: z.strictObject({
    prefetch: z.number().int().min(1).max(1000).default(16),
    hotGetsPerSecond: z.number().int().min(1).max(1_000_000).default(20),
    idle: duration.default('1s'),
  }).optional(),
});

export const AdminSchema = z.strictObject({
  host: host.default('127.0.0.1'),
  port: port.default(9090),
});

export const SinkSchema = z.strictObject({
  url: z.string().min(1).max(2048),
  format: z.enum(['ecs', 'ndjson']).default('ecs'),
  tokenFile: path.optional(),
  authScheme: z.string().min(1).max(32).optional(),
  caFile: path.optional(),
});

export const SecurityEventsSchema = z.strictObject({
  sink: SinkSchema.optional(),
  /** `service.node.name` of every event: the pod name. */
  nodeName: z.string().min(1).max(253).optional(),
});

export const LimitsSchema = z.strictObject({
  maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
  maxBodyBytes: z.number().int().min(1).max(104_857_600).default(104_857_600),
  maxWait: duration.default('60s'),
  maxLongPollsPerPeer: z.number().int().min(1).max(10_000).default(16),
  maxConnections: z.number().int().min(1).max(1_000_000).default(10_000),
  maxMessageListLength: z.number().int().min(1).max(100_000).default(1000),
  handshakeTimeout: duration.default('10s'),
  headersTimeout: duration.default('10s'),
  requestTimeout: duration.default('60s'),
  keepAliveTimeout: duration.default('30s'),
});

export const IdempotencySchema = z.strictObject({
  window: duration.default('10m'),
  maxEntries: z.number().int().min(0).max(10_000_000).default(100_000),
});

export const LeasesSchema = z.strictObject({
  /** Visibility timeout of a lease that names none. */
  defaultVisibility: duration.default('30s'),
  /** Longest visibility timeout a lease may ask for (at most 30m: RabbitMQ's delivery timeout). */
  maxVisibility: duration.default('15m'),
  /** Leases one peer may hold at once. */
  maxPerPeer: z.number().int().min(1).max(1_000_000).default(10_000),
});

export const GatewayConfigFileSchema = z.strictObject({
  apiVersion: z.literal(GATEWAY_CONFIG_API_VERSION),
  kind: z.literal(GATEWAY_CONFIG_KIND),
  listen: ListenSchema.default({ host: '0.0.0.0', port: 9443 }),
  identity: IdentitySchema,
  policyBundleFile: path,
  /** Recipients' message certificates (PEM chains) handed to senders' sidecars (docs/message-keyring.md). */
  messageCertificatesDir: path.optional(),
  leases: LeasesSchema.default(LeasesSchema.parse({})),
  /** The channel of connections whose TLS server name names none. */
  defaultChannel: z.string().min(1).max(63).optional(),
  broker: BrokerSchema,
  admin: AdminSchema.default({ host: '127.0.0.1', port: 9090 }),
  securityEvents: SecurityEventsSchema.default({}),
  limits: LimitsSchema.default(LimitsSchema.parse({})),
  idempotency: IdempotencySchema.default(IdempotencySchema.parse({})),
  /** How often identity and policy files are re-read for changes. */
  reloadInterval: duration.default('1s'),
  /** Longest a shutdown waits for requests in progress. */
  drainTimeout: duration.default('20s'),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).default({ level: 'info' }),
});

export type GatewayConfigFile = z.infer<typeof GatewayConfigFileSchema>;
