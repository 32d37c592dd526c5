// Protection policies (AMS): which quality of protection a queue or topic demands, with which
// algorithms, signers and recipients, and the minimum strength of the connection a message
// may travel over. Rules follow AMS: Confidentiality has no signature, encryption needs recipients.
import { compileSpiffePattern, SpiffeId, tryParseSpiffeId } from '../identity/index.ts';
import type { SpiffePattern } from '../identity/index.ts';
import type { RecordProblem } from './problem.ts';

export const QUALITIES_OF_PROTECTION = ['None', 'Integrity', 'Privacy', 'Confidentiality'] as const;
export type QualityOfProtection = (typeof QUALITIES_OF_PROTECTION)[number];
export type SignatureAlgorithm = 'SHA256' | 'SHA384' | 'SHA512';
export type EncryptionAlgorithm = 'AES128GCM' | 'AES256GCM';
export type ChannelStrength = 'TLSv1.2' | 'TLSv1.3' | 'HybridPostQuantum';

export const DEFAULT_SIGNATURE_ALGORITHM: SignatureAlgorithm = 'SHA256';
export const DEFAULT_ENCRYPTION_ALGORITHM: EncryptionAlgorithm = 'AES256GCM';

/** A protection policy as written in the bundle (after schema defaults). */
export interface ProtectionPolicyInput {
  readonly name: string;
  readonly queue?: string;
  readonly topic?: string;
  readonly qualityOfProtection: QualityOfProtection;
  readonly signatureAlgorithm?: SignatureAlgorithm;
  readonly encryptionAlgorithm?: EncryptionAlgorithm;
  readonly authorizedSigners?: readonly string[];
  readonly recipients?: readonly string[];
  readonly toleration: boolean;
  readonly keyReuse?: { readonly count: number; readonly maxAgeSeconds: number };
  readonly minimumChannelStrength?: ChannelStrength;
}

/** What a connection offers, as the gateway learns it from the TLS handshake. */
export interface ConnectionStrength {
  readonly tlsVersion: string;
  /** True when the key exchange group was a post-quantum hybrid (X25519MLKEM768). */
  readonly hybridKeyExchange: boolean;
}

export interface ProtectionPolicy {
  readonly name: string;
  readonly target: { readonly kind: 'queue' | 'topic'; readonly name: string };
  readonly qualityOfProtection: QualityOfProtection;
  /** Set when the QoP signs (Integrity, Privacy); the default applied. */
  readonly signatureAlgorithm?: SignatureAlgorithm;
  /** Set when the QoP encrypts (Privacy, Confidentiality); the default applied. */
  readonly encryptionAlgorithm?: EncryptionAlgorithm;
  /** Signer patterns as written; empty = any signer the trust bundle vouches for. */
  readonly authorizedSigners: readonly string[];
  readonly recipients: readonly string[];
  readonly toleration: boolean;
  readonly keyReuse?: { readonly count: number; readonly maxAgeSeconds: number };
  readonly minimumChannelStrength?: ChannelStrength;
  /** Whether a message signed by `signer` is acceptable (always false when the QoP does not sign). */
  isAuthorizedSigner(signer: SpiffeId | string): boolean;
  /** Whether a connection is strong enough to carry this queue's or topic's messages. */
  acceptsConnection(connection: ConnectionStrength): boolean;
}

const SIGNS: Readonly<Record<QualityOfProtection, boolean>> = { None: false, Integrity: true, Privacy: true, Confidentiality: false };
const ENCRYPTS: Readonly<Record<QualityOfProtection, boolean>> = { None: false, Integrity: false, Privacy: true, Confidentiality: true };

/** Every problem of one policy taken alone, paths relative to the policy. */
export function protectionPolicyProblems(p: ProtectionPolicyInput): RecordProblem[] {
  const problems: RecordProblem[] = [];
  const qop = p.qualityOfProtection;
  if ((p.queue === undefined) === (p.topic === undefined)) {
    problems.push({ path: [], message: 'must name exactly one of queue and topic' });
  }
  const absent = (field: keyof ProtectionPolicyInput, why: string) => {
    if (p[field] !== undefined) problems.push({ path: [field], message: `must be absent with qualityOfProtection ${qop}: ${why}` });
  };
  if (!SIGNS[qop]) {
    absent('signatureAlgorithm', qop === 'Confidentiality' ? 'Confidentiality encrypts without signing' : 'nothing is signed');
    absent('authorizedSigners', qop === 'Confidentiality' ? 'Confidentiality messages carry no signature to check' : 'nothing is signed');
  }
  if (!ENCRYPTS[qop]) {
    absent('encryptionAlgorithm', 'nothing is encrypted');
    absent('recipients', 'nothing is encrypted');
  } else if (p.recipients === undefined || p.recipients.length === 0) {
    problems.push({ path: ['recipients'], message: `must name at least one recipient: ${qop} encrypts every message for its recipients` });
  }
  if (qop !== 'Confidentiality') absent('keyReuse', 'only Confidentiality reuses content keys');
  for (const field of ['authorizedSigners', 'recipients'] as const) {
    const list = p[field] ?? [];
    list.forEach((text, i) => {
      if (list.indexOf(text) !== i) problems.push({ path: [field, i], message: `repeats entry ${list.indexOf(text)}` });
    });
  }
  return problems;
}

const STRENGTH_RANK: Readonly<Record<ChannelStrength, number>> = { 'TLSv1.2': 1, 'TLSv1.3': 2, HybridPostQuantum: 3 };

function connectionRank(c: ConnectionStrength): number {
  if (c.tlsVersion === 'TLSv1.3') return c.hybridKeyExchange ? 3 : 2;
  if (c.tlsVersion === 'TLSv1.2') return 1;
  return 0; // anything older or unknown meets no minimum
}

/**
 * Compiles one policy whose problems (protectionPolicyProblems) are already known to be none.
 * @throws AppError ERR_SPIFFE_PATTERN_INVALID if a signer pattern is invalid (bundles check first).
 */
export function compileProtectionPolicy(p: ProtectionPolicyInput): ProtectionPolicy {
  const signs = SIGNS[p.qualityOfProtection];
  const encrypts = ENCRYPTS[p.qualityOfProtection];
  const signers: readonly SpiffePattern[] = (p.authorizedSigners ?? []).map(compileSpiffePattern);
  const minimum = p.minimumChannelStrength === undefined ? 0 : STRENGTH_RANK[p.minimumChannelStrength];
  return Object.freeze({
    name: p.name,
    target: Object.freeze(p.queue !== undefined ? { kind: 'queue' as const, name: p.queue } : { kind: 'topic' as const, name: p.topic as string }),
    qualityOfProtection: p.qualityOfProtection,
    ...(signs ? { signatureAlgorithm: p.signatureAlgorithm ?? DEFAULT_SIGNATURE_ALGORITHM } : {}),
    ...(encrypts ? { encryptionAlgorithm: p.encryptionAlgorithm ?? DEFAULT_ENCRYPTION_ALGORITHM } : {}),
    authorizedSigners: Object.freeze([...(p.authorizedSigners ?? [])]),
    recipients: Object.freeze([...(p.recipients ?? [])]),
    toleration: p.toleration,
    ...(p.keyReuse === undefined ? {} : { keyReuse: Object.freeze({ ...p.keyReuse }) }),
    ...(p.minimumChannelStrength === undefined ? {} : { minimumChannelStrength: p.minimumChannelStrength }),
    isAuthorizedSigner(signer: SpiffeId | string): boolean {
      if (!signs) return false;
      const id = signer instanceof SpiffeId ? signer : tryParseSpiffeId(String(signer));
      if (id === undefined) return false;
      return signers.length === 0 || signers.some((s) => s.matches(id));
    },
    acceptsConnection: (connection: ConnectionStrength) => connectionRank(connection) >= minimum,
  });
}
