// Workload identity: SPIFFE ids and patterns, the CA, X.509-SVIDs, trust bundles.
export {
  SpiffeId, parseSpiffeId, tryParseSpiffeId, parseTrustDomain, trustDomainId, spiffeIdFromParts, workloadSpiffeId,
  MAX_SPIFFE_ID_BYTES, MAX_TRUST_DOMAIN_BYTES, type ParseSpiffeIdOptions, type SpiffeIdReason,
} from './spiffe-id.ts';
export { compileSpiffePattern, compareSpecificity, type SpiffePattern, type PatternSegment, type SpiffePatternReason } from './spiffe-pattern.ts';
export {
  KEY_TYPES, DEFAULT_KEY_TYPE, parseKeyType, generateKeyPair, keyTypeOf, keyTypeOfSpki, loadPrivateKey, loadPublicKey,
  privateKeyToPem, keysMatch, type KeyType, type KeyPair,
} from './keys.ts';
export { decodePem, encodePem, type PemBlock } from './pem.ts';
export { toCertificate, parseCertificatesPem, certificateToPem, factsOf, publicKeyOf, type CertificateInput } from './certificates.ts';
export type { CertificateFacts } from './x509-facts.ts';
export { createCsr, csrToPem, verifyCsr, MAX_CSR_BYTES, type VerifiedCsr } from './csr.ts';
export { CertificateAuthority, CA_DEFAULTS, type CreateCaOptions, type IssueSvidRequest, type IssuedSvid } from './ca.ts';
export { CA_FILES, CA_FORMAT, writeCaDirectory, loadCaDirectory, type CaManifest } from './ca-directory.ts';
export {
  TrustBundle, createTrustBundle, parseTrustBundle, parseTrustBundlePem, parseTrustBundleJwks,
  type TrustAnchor, type SpiffeJwk, type SpiffeJwks,
} from './trust-bundle.ts';
export {
  validateSvid, validateSvidLeaf, certificateFingerprint,
  type SvidPurpose, type ValidateSvidOptions, type ValidatedSvid, type SvidChainInput,
} from './validate-svid.ts';
export { validatePeerSvid, peerChain } from './tls-peer.ts';
export { loadOwnSvid, type OwnSvid } from './own-svid.ts';
