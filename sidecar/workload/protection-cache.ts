// The protection policies the workload's queues and topics carry, fetched from the gateway
// (`/qshield/v1/qmgr/{qm}/queue/{q}/protection`) with the recipients' message certificates, and
// kept for the refresh interval. Each recipient certificate is checked here again — a valid
// message certificate of the trust domain, for a recipient the policy names — so a wrong
// certificate from anywhere can never receive a message key.
import type { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import type { OpenPolicy } from '../../lib/envelope/index.ts';
import { AppError } from '../../lib/errors/index.ts';
import { certificateFingerprint, compileSpiffePattern, parseCertificatesPem, validateSvid, type TrustBundle } from '../../lib/identity/index.ts';
import { errorFromReply, type GatewayClient } from './gateway-client.ts';

/** A queue, or a topic string. */
export type ProtectionTarget = { readonly queue: string } | { readonly topic: string };

const PolicySchema = z.object({
  name: z.string(),
  qualityOfProtection: z.enum(['None', 'Integrity', 'Privacy', 'Confidentiality']),
  signatureAlgorithm: z.enum(['SHA256', 'SHA384', 'SHA512']).optional(),
  encryptionAlgorithm: z.enum(['AES128GCM', 'AES256GCM']).optional(),
  authorizedSigners: z.array(z.string()).default([]),
  recipients: z.array(z.string()).default([]),
  toleration: z.boolean().default(false),
  keyReuse: z.object({ count: z.number().int().min(1), maxAgeSeconds: z.number().int().min(1) }).optional(),
  minimumChannelStrength: z.string().optional(),
});

const ReplySchema = z.object({
  qmgr: z.string(),
  revision: z.string(),
  policy: PolicySchema.nullable(),
  recipientCertificates: z.array(z.object({ spiffeId: z.string(), chain: z.string() })).default([]),
});

export type PolicyInfo = z.infer<typeof PolicySchema>;

/** What the sidecar needs to seal for and open from one destination. */
export interface ProtectionEntry {
  readonly qmgr: string;
  readonly target: ProtectionTarget;
  /** The gateway's policy bundle revision the entry came from. */
  readonly revision: string;
  /** Undefined: the destination has no protection policy (messages pass unchanged). */
  readonly policy: PolicyInfo | undefined;
  /** Privacy / Confidentiality: one certificate per recipient workload, checked. */
  readonly recipients: readonly X509Certificate[];
  /** Why the entry cannot seal (recipients' certificates missing or invalid); opening is unaffected. */
  readonly recipientError: AppError | undefined;
  /** The recipients' fingerprints joined: one sealing context per distinct set. */
  readonly recipientsKey: string;
  /** What lib/envelope's open enforces; one object per entry (open caches by identity). */
  readonly openPolicy: OpenPolicy | undefined;
  readonly fetchedAt: number;
}

export interface ProtectionCacheOptions {
  readonly client: () => GatewayClient;
  readonly trustBundle: () => TrustBundle;
  readonly refreshIntervalMs: number;
  readonly now?: () => number;
}

const MIN_SIGNATURE = { SHA256: 'rsa-pkcs1-sha256', SHA384: 'rsa-pkcs1-sha384', SHA512: 'rsa-pkcs1-sha512' } as const;
const MIN_ENCRYPTION = { AES128GCM: 'aes128-gcm', AES256GCM: 'aes256-gcm' } as const;
const QOP = { Integrity: 'integrity', Privacy: 'privacy', Confidentiality: 'confidentiality' } as const;
const MAX_ENTRIES = 1024;
/** How long an entry without usable recipients' certificates is kept before it is fetched again. */
const RETRY_RECIPIENTS_MS = 1000;

function keyOf(qmgr: string, target: ProtectionTarget): string {
  return 'queue' in target ? `${qmgr}\u0000q\u0000${target.queue}` : `${qmgr}\u0000t\u0000${target.topic}`;
}

function pathOf(qmgr: string, target: ProtectionTarget): string {
  const base = `/qshield/v1/qmgr/${encodeURIComponent(qmgr)}`;
  return 'queue' in target
    ? `${base}/queue/${encodeURIComponent(target.queue)}/protection`
    : `${base}/topic/${target.topic.split('/').map(encodeURIComponent).join('/')}/protection`;
}

function openPolicyOf(policy: PolicyInfo | undefined): OpenPolicy | undefined {
  if (policy === undefined || policy.qualityOfProtection === 'None') return undefined;
  const signs = policy.qualityOfProtection !== 'Confidentiality';
  const encrypts = policy.qualityOfProtection !== 'Integrity';
  return Object.freeze({
    qop: QOP[policy.qualityOfProtection],
    ...(signs && policy.authorizedSigners.length > 0 ? { authorizedSigners: Object.freeze([...policy.authorizedSigners]) } : {}),
    toleration: policy.toleration,
    minimumStrength: {
      ...(signs ? { signature: MIN_SIGNATURE[policy.signatureAlgorithm ?? 'SHA256'] } : {}),
      ...(encrypts ? { encryption: MIN_ENCRYPTION[policy.encryptionAlgorithm ?? 'AES256GCM'] } : {}),
    },
  });
}

/**
 * Checks the recipients' certificates against the policy and the trust bundle: each one a valid
 * X.509-SVID now, for an id one of the policy's recipient patterns matches; and every pattern
 * matched by at least one certificate.
 * @throws AppError ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID, ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE.
 */
export function checkRecipients(policy: PolicyInfo, given: readonly { spiffeId: string; chain: string }[], bundle: TrustBundle, now: number): X509Certificate[] {
  const patterns = policy.recipients.map((p) => ({ text: p, pattern: compileSpiffePattern(p) }));
  const out: X509Certificate[] = [];
  const ids: string[] = [];
  for (const r of given) {
    let leaf: X509Certificate;
    let id: string;
    try {
      const validated = validateSvid(parseCertificatesPem(r.chain), bundle, { purpose: 'both', now });
      leaf = validated.leaf;
      id = validated.spiffeId.toString();
    } catch (err) {
      throw new AppError('ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID', `the message certificate handed over for ${r.spiffeId.slice(0, 256)} is not valid: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err, details: { recipient: r.spiffeId.slice(0, 256) },
      });
    }
    if (!patterns.some((p) => p.pattern.matches(id))) {
      throw new AppError('ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID', `the gateway handed over a certificate for ${id}, which is not a recipient of policy ${policy.name}`, { details: { recipient: id } });
    }
    out.push(leaf);
    ids.push(id);
  }
  for (const p of patterns) {
    if (!ids.some((id) => p.pattern.matches(id))) {
      throw new AppError('ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE', `no valid message certificate is published for recipient ${p.text} of policy ${policy.name}`, { details: { recipient: p.text, policy: policy.name } });
    }
  }
  return out;
}

export class ProtectionCache {
  readonly #o: ProtectionCacheOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, ProtectionEntry>();
  readonly #inflight = new Map<string, Promise<ProtectionEntry>>();

  constructor(options: ProtectionCacheOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The entry for a destination: cached while younger than the refresh interval (or `maxAgeMs`),
   * otherwise fetched (one fetch at a time per destination).
   * @throws the gateway's errors (not authorized 2035, unknown queue 2085 …), ERR_WORKLOAD_GATEWAY_*,
   *   ERR_WORKLOAD_RECIPIENT_CERTIFICATE_INVALID, ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE (sealing only).
   */
  async get(qmgr: string, target: ProtectionTarget, maxAgeMs = this.#o.refreshIntervalMs): Promise<ProtectionEntry> {
    const key = keyOf(qmgr, target);
    const cached = this.#entries.get(key);
    // An entry that cannot seal (recipients' certificates missing) is looked at again soon:
    // they are usually on their way.
    const limit = cached?.recipientError === undefined ? maxAgeMs : Math.min(maxAgeMs, RETRY_RECIPIENTS_MS);
    if (cached !== undefined && this.#now() - cached.fetchedAt < limit) return cached;
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#fetch(qmgr, target).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const entry = await pending;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    return entry;
  }

  /** Forgets every entry (a new policy revision was seen). */
  clear(): void {
    this.#entries.clear();
  }

  /** The revision of any cached entry (for the revision header check). */
  knownRevision(): string | undefined {
    return this.#entries.values().next().value?.revision;
  }

  async #fetch(qmgr: string, target: ProtectionTarget): Promise<ProtectionEntry> {
    // Certificate chains of many recipients can be a large answer: not pipelined (gateway-client.ts).
    const reply = await this.#o.client().request({ method: 'GET', path: pathOf(qmgr, target), answerMayBeLarge: true });
    if (reply.status !== 200) throw errorFromReply(reply);
    let parsed: z.infer<typeof ReplySchema>;
    try {
      parsed = ReplySchema.parse(JSON.parse(reply.body.toString('utf8')));
    } catch (err) {
      throw new AppError('ERR_WORKLOAD_GATEWAY_ERROR', 'the gateway\'s protection answer is not the expected JSON', { cause: err, details: { gatewayStatus: reply.status } });
    }
    const policy = parsed.policy ?? undefined;
    const now = this.#now();
    let recipients: X509Certificate[] = [];
    let recipientError: AppError | undefined;
    if (policy !== undefined && (policy.qualityOfProtection === 'Privacy' || policy.qualityOfProtection === 'Confidentiality')) {
      try {
        recipients = checkRecipients(policy, parsed.recipientCertificates, this.#o.trustBundle(), now);
      } catch (err) {
        // A consumer needs no recipients' certificates: the entry still opens; sealing refuses.
        if (!(err instanceof AppError)) throw err;
        recipientError = err;
      }
    }
    return Object.freeze({
      qmgr, target, revision: parsed.revision, policy, recipients, recipientError,
      recipientsKey: recipients.map((c) => certificateFingerprint(c)).sort().join(','),
      openPolicy: openPolicyOf(policy),
      fetchedAt: now,
    });
  }
}
