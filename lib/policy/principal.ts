// Principals that authorities are granted to: a peer's SPIFFE id (channel rule `allow`) or a
// name that a channel rule `map` gives (`settlement-apps`), like an MQ user or group.
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Why `principal` is not a valid principal, or undefined when it is. */
export function principalProblem(principal: unknown): string | undefined {
  if (typeof principal !== 'string' || principal.length === 0) return 'must be a non-empty string';
  if (principal.startsWith('spiffe://')) {
    return /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/.test(principal) && !principal.includes('*') ? undefined : 'is not a valid SPIFFE id';
  }
  if (!NAME_PATTERN.test(principal)) {
    return 'must be a SPIFFE id or a name of 1–64 characters from A-Z a-z 0-9 . _ @ - starting with a letter or digit';
  }
  return undefined;
}
