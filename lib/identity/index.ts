// Workload identity: SPIFFE ids and patterns, the CA, X.509-SVIDs, trust bundles.
export {
  SpiffeId, parseSpiffeId, tryParseSpiffeId, parseTrustDomain, trustDomainId, spiffeIdFromParts, workloadSpiffeId,
  MAX_SPIFFE_ID_BYTES, MAX_TRUST_DOMAIN_BYTES, type ParseSpiffeIdOptions, type SpiffeIdReason,
} from './spiffe-id.ts';
export { compileSpiffePattern, compareSpecificity, type SpiffePattern, type PatternSegment, type SpiffePatternReason } from './spiffe-pattern.ts';
