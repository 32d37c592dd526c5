// Test CAs: a real qshield CA (root + intermediate) made synchronously from test keys.
import type { X509Certificate } from 'node:crypto';
import { CertificateAuthority } from '../../lib/identity/ca.ts';
import type { KeyType } from '../../lib/identity/keys.ts';
import type { TrustBundle } from '../../lib/identity/trust-bundle.ts';
import { testKeyPair } from './keys.ts';

export const TEST_TRUST_DOMAIN = 'example.org';

export interface TestCa {
  readonly trustDomain: string;
  readonly ca: CertificateAuthority;
  readonly root: X509Certificate;
  readonly intermediate: X509Certificate;
  readonly bundle: TrustBundle;
  /** The bundle as PEM: what `ca` in node:tls options takes. */
  readonly bundlePem: string;
}

export interface MakeCaOptions {
  trustDomain?: string;
  keyType?: KeyType;
  /** The CA's "now": certificates are valid from 5 minutes before it. */
  now?: Date;
  rootTtlMs?: number;
  intermediateTtlMs?: number;
}

/** A new CA for `trustDomain` (default example.org), EC P-256 unless `keyType` says otherwise. */
export function makeCa(options: MakeCaOptions = {}): TestCa {
  const keyType = options.keyType ?? 'ec-p256';
  const ca = CertificateAuthority.createWithKeys({
    trustDomain: options.trustDomain ?? TEST_TRUST_DOMAIN,
    keys: { root: testKeyPair(keyType), intermediate: testKeyPair(keyType) },
    ...(options.now ? { now: options.now } : {}),
    ...(options.rootTtlMs ? { rootTtlMs: options.rootTtlMs } : {}),
    ...(options.intermediateTtlMs ? { intermediateTtlMs: options.intermediateTtlMs } : {}),
  });
  return { trustDomain: ca.trustDomain, ca, root: ca.root, intermediate: ca.intermediate, bundle: ca.bundle, bundlePem: ca.bundle.toPem() };
}

const shared = new Map<string, TestCa>();

/** One CA per trust domain, made on first use and shared by every test in the process. */
export function sharedCa(trustDomain: string = TEST_TRUST_DOMAIN): TestCa {
  let ca = shared.get(trustDomain);
  if (!ca) shared.set(trustDomain, (ca = makeCa({ trustDomain })));
  return ca;
}
