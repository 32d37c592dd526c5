// fast-check generators of SPIFFE ids, for property tests here and in other areas (policy,
// gateway). Test-only.
import fc from 'fast-check';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
export const TRUST_DOMAIN_CHARS = `${LOWER}${DIGITS}.-_`;
export const SEGMENT_CHARS = `${LOWER}${LOWER.toUpperCase()}${DIGITS}.-_`;

const chars = (set: string) => fc.constantFrom(...set.split(''));

/** A valid trust domain name. */
export const trustDomainArb = (maxLength = 24): fc.Arbitrary<string> =>
  fc.string({ unit: chars(TRUST_DOMAIN_CHARS), minLength: 1, maxLength });

/** A valid path segment (never `.` or `..`). */
export const segmentArb = (set = SEGMENT_CHARS, maxLength = 10): fc.Arbitrary<string> =>
  fc.string({ unit: chars(set), minLength: 1, maxLength }).filter((s) => s !== '.' && s !== '..');

/** A valid SPIFFE id as text; `minSegments: 1` for workload ids. */
export const spiffeIdTextArb = (options: { minSegments?: number; maxSegments?: number; trustDomain?: fc.Arbitrary<string>; segment?: fc.Arbitrary<string> } = {}): fc.Arbitrary<string> =>
  fc.tuple(options.trustDomain ?? trustDomainArb(), fc.array(options.segment ?? segmentArb(), { minLength: options.minSegments ?? 0, maxLength: options.maxSegments ?? 6 }))
    .map(([td, segments]) => `spiffe://${td}${segments.map((s) => `/${s}`).join('')}`);
