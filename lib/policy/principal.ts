// Principals that authorities are granted to: a peer's SPIFFE id (channel rule `allow`) or a
// name that a channel rule `map` gives (`settlement-apps`), like an MQ user or group.
import { tryParseSpiffeId } from '../identity/index.ts';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Why `principal` is not a valid principal, or undefined when it is. A principal is exact, as
 * in the OAM: to grant to a family of workloads, map them to one name with a channel rule.
 */
export function principalProblem(principal: unknown): string | undefined {
  if (typeof principal !== 'string' || principal.length === 0) return 'must be a non-empty string';
  if (principal.startsWith('spiffe://')) {
    if (principal.includes('*')) {
      return 'must be one SPIFFE id, not a pattern: map a pattern of peers to a principal name with a channel rule';
    }
    const id = tryParseSpiffeId(principal, { workload: true });
    return id === undefined ? 'is not a valid workload SPIFFE id' : undefined;
  }
  if (!NAME_PATTERN.test(principal)) {
    return 'must be a SPIFFE id or a name of 1–64 characters from A-Z a-z 0-9 . _ @ - starting with a letter or digit';
  }
  return undefined;
}
