// Qualities of protection, as AMS names them (REFERENCE-ibmmq.md 2).

/** integrity = signed; privacy = signed then encrypted; confidentiality = encrypted only. */
export const QOPS = ['integrity', 'privacy', 'confidentiality'] as const;

export type Qop = (typeof QOPS)[number];

/** What open reports: one of the three, or `none` for an unprotected message let through by toleration. */
export type OpenedQop = Qop | 'none';

export function isQop(value: unknown): value is Qop {
  return typeof value === 'string' && (QOPS as readonly string[]).includes(value);
}
