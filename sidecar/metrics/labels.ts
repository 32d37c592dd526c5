// Label values the metrics accept. Every label is a closed set or capped, checked at run time
// too, so no caller (typed or not) can create unbounded series: unknown values become `other`.

export const OTHER = 'other';

/** REST operations of the gateway (DESIGN.md's API), `other` for anything else. */
export const OPERATIONS = ['put', 'get', 'browse', 'messagelist', 'publish', 'subscribe', 'other'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Request outcomes, derived from the HTTP status by outcomeForStatus. */
export const OUTCOMES = ['success', 'no_message', 'denied', 'rejected', 'unavailable', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

/** Key-exchange groups by their IANA/OpenSSL names; aliases fold into one value. */
const GROUP_ALIASES: Readonly<Record<string, string>> = {
  X25519MLKEM768: 'X25519MLKEM768',
  SecP256r1MLKEM768: 'SecP256r1MLKEM768',
  SecP384r1MLKEM1024: 'SecP384r1MLKEM1024',
  X25519: 'X25519',
  X448: 'X448',
  'P-256': 'P-256', prime256v1: 'P-256', secp256r1: 'P-256',
  'P-384': 'P-384', secp384r1: 'P-384',
  'P-521': 'P-521', secp521r1: 'P-521',
  ffdhe2048: 'ffdhe2048', ffdhe3072: 'ffdhe3072', ffdhe4096: 'ffdhe4096',
};
export const TLS_GROUPS: readonly string[] = [...new Set(Object.values(GROUP_ALIASES))];

/** Reasons a TLS handshake failed, as the gateway classifies them. */
export const HANDSHAKE_FAILURES = ['no_client_certificate', 'certificate_invalid', 'protocol', 'timeout', 'other'] as const;
export type HandshakeFailure = (typeof HANDSHAKE_FAILURES)[number];

export const BROKER_DRIVERS = ['amqp', 'memory', 'ibmmq', 'nats'] as const;

/** Maps an HTTP status of the REST API to the `outcome` label. */
export function outcomeForStatus(status: number): Outcome {
  if (status === 204) return 'no_message';
  if (status >= 200 && status < 300) return 'success';
  if (status === 401 || status === 403) return 'denied';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'rejected';
  return 'error';
}

/** `value` if it is one of `allowed`, else `other`. */
export function oneOf(value: string | undefined, allowed: ReadonlySet<string>): string {
  return value !== undefined && allowed.has(value) ? value : OTHER;
}

/** Normalizes a negotiated group name (`prime256v1` → `P-256`); unknown → `other`, none → `none`. */
export function tlsGroupLabel(group: string | undefined): string {
  if (group === undefined || group === '') return 'none';
  return GROUP_ALIASES[group] ?? OTHER;
}

/**
 * A label whose values come from configuration (channel names): the first `max` distinct
 * values are kept, later ones become `other`. Bounded even if configuration churns.
 */
export class CappedLabel {
  readonly max: number;
  readonly #seen = new Set<string>();

  constructor(max: number) {
    this.max = max;
  }

  value(raw: string | undefined): string {
    if (raw === undefined || raw === '') return 'none';
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.max) return OTHER;
    this.#seen.add(raw);
    return raw;
  }
}
