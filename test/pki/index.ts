// The PKI test kit: CAs, good SVIDs and SVIDs that are bad in one known way, all made by the
// real identity code with pooled keys. Import from here in any test that needs certificates.
export { testKeyPair } from './keys.ts';
export { makeCa, sharedCa, TEST_TRUST_DOMAIN, type TestCa, type MakeCaOptions } from './make-ca.ts';
export {
  issueLeaf, expiredLeaf, notYetValidLeaf, wrongDomainLeaf, untrustedLeaf, brokenLeaf,
  type TestLeaf, type IssueLeafOptions, type LeafBreakage,
} from './leaves.ts';
