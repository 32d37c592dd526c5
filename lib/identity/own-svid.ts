// A workload's own SVID as it arrives on disk or in a Secret: chain PEM plus key PEM, checked to
// belong together and to be a valid SVID before a TLS context is built from it.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { AppError } from '../errors/index.ts';
import { parseCertificatesPem } from './certificates.ts';
import { keysMatch, loadPrivateKey } from './keys.ts';
import type { SpiffeId } from './spiffe-id.ts';
import type { TrustBundle } from './trust-bundle.ts';
import { validateSvid, type SvidPurpose } from './validate-svid.ts';

export interface OwnSvid {
  readonly spiffeId: SpiffeId;
  /** Leaf first, as presented to peers. */
  readonly chain: readonly X509Certificate[];
  readonly privateKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** When to renew: half-way through the leaf's validity (DESIGN.md: renewed at half-life). */
  readonly renewAt: Date;
}

/**
 * Reads and checks a workload's own SVID: the chain must be a valid SVID under `bundle` for
 * `purpose` (default both: a sidecar is client and server), and the key must be the leaf's.
 * @throws AppError ERR_SVID_KEY_MISMATCH when the key is not the leaf's; ERR_PEM_INVALID,
 *   ERR_CERT_MALFORMED, ERR_KEY_INVALID, ERR_KEY_UNSUPPORTED; any validateSvid code.
 */
export function loadOwnSvid(chainPem: string, keyPem: string, bundle: TrustBundle, options: { purpose?: SvidPurpose; now?: Date | number } = {}): OwnSvid {
  const chain = parseCertificatesPem(chainPem);
  const privateKey = loadPrivateKey(keyPem);
  const validated = validateSvid(chain, bundle, { purpose: options.purpose ?? 'both', ...(options.now === undefined ? {} : { now: options.now }) });
  const leaf = validated.leaf;
  if (!keysMatch(privateKey, leaf.publicKey)) {
    throw new AppError('ERR_SVID_KEY_MISMATCH', `the private key does not belong to the certificate of ${validated.spiffeId}`, { details: { spiffeId: validated.spiffeId.toString() } });
  }
  const notBefore = leaf.validFromDate;
  const notAfter = leaf.validToDate;
  return Object.freeze({
    spiffeId: validated.spiffeId,
    chain: Object.freeze([...chain]),
    privateKey,
    notBefore,
    notAfter,
    renewAt: new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2),
  });
}
