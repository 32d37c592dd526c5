// The signer-chain cache: what it remembers never widens what open() accepts. A chain validated
// once is trusted again only at signing times inside the validity of its whole path, only under
// the very bundle that vouched for it, and the cache stays bounded.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { encodeDestination } from './destination.ts';
import { EnvelopeError, createSigner, open, seal, type OpenOptions } from './index.ts';
import { encodeSignedData, qshieldAttribute } from './signed-data.ts';
import { CHAINS_PER_BUNDLE, cachedChains } from './signer-trust.ts';

const DAY = 86_400_000;
const destination = { queueManager: 'PAYMENTS', queue: 'PAY.REQUEST' };
const payload = Buffer.from('transfer 100 EUR to account 42');
const binding = qshieldAttribute('qshieldDestination', encodeDestination(destination));

let pki: TestPki;
let signer: TestIdentity;
let notBefore: Date;
let notAfter: Date;

beforeAll(() => {
  pki = makeTestPki();
  notBefore = new Date(Date.now() - 2 * DAY);
  notAfter = new Date(Date.now() + 2 * DAY);
  signer = pki.issue({ path: '/ns/pay/sa/checkout', notBefore, notAfter });
});

/** An Integrity envelope signed at `at`, built below seal() (which refuses to sign outside the validity), as another tool could. */
function signedAt(at: Date): Buffer {
  return encodeSignedData(payload, createSigner({ certificates: signer.chain, key: signer.key }), { signingTime: at, destination: binding, messageId: undefined });
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof EnvelopeError ? `${err.reason} ${String(err.details.svidCode)}` : `untyped: ${String(err)}`;
  }
  return 'opened';
}

describe('the signer-chain cache', () => {
  const options = (clock: Date, bundle = pki.bundle): OpenOptions => ({ trustBundle: bundle, destination, clock: () => clock });

  it('still refuses a signing time after the certificate expired once the chain is cached', () => {
    const now = new Date();
    expect(open(signedAt(now), options(now)).payload.equals(payload)).toBe(true);
    const late = new Date(notAfter.getTime() + DAY);
    expect(refusal(() => open(signedAt(late), options(late)))).toBe('CERTIFICATE_INVALID ERR_SVID_EXPIRED');
    // The cached chain still serves messages signed inside the window, whenever they are opened.
    expect(open(signedAt(now), options(late)).payload.equals(payload)).toBe(true);
  });

  it('still refuses a signing time before the certificate was valid once the chain is cached', () => {
    const now = new Date();
    expect(open(signedAt(now), options(now)).payload.equals(payload)).toBe(true);
    const early = new Date(notBefore.getTime() - DAY);
    expect(refusal(() => open(signedAt(early), options(now)))).toMatch(/^CERTIFICATE_INVALID ERR_SVID_/);
  });

  it('does not carry trust over to another bundle: a bundle without the signer\'s root refuses it', () => {
    const now = new Date();
    const envelope = signedAt(now);
    expect(open(envelope, options(now)).signer?.spiffeId).toBe(signer.spiffeId);
    const rotated = makeTestPki().bundle; // same trust domain, another root: the old root is gone
    expect(refusal(() => open(envelope, options(now, rotated)))).toBe('CERTIFICATE_INVALID ERR_SVID_UNKNOWN_ISSUER');
    const withoutOldRoot = pki.bundle.withRoots(...rotated.roots).withoutRoot(pki.bundle.anchors[0]!.fingerprint);
    expect(refusal(() => open(envelope, options(now, withoutOldRoot)))).toBe('CERTIFICATE_INVALID ERR_SVID_UNKNOWN_ISSUER');
    // The bundle that vouched for it still does.
    expect(open(envelope, options(now)).signer?.spiffeId).toBe(signer.spiffeId);
  });

  it(`remembers at most ${CHAINS_PER_BUNDLE} certificate chains per bundle`, () => {
    const bounded = makeTestPki();
    const now = new Date();
    const leaves = Array.from({ length: CHAINS_PER_BUNDLE + 8 }, (_, i) => bounded.issue({ path: `/ns/pay/sa/w${i}` }));
    for (const leaf of leaves) {
      const envelope = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: leaf.chain, key: leaf.key }), destination });
      expect(open(envelope, options(now, bounded.bundle)).signer?.spiffeId).toBe(leaf.spiffeId);
    }
    expect(cachedChains(bounded.bundle)).toBe(CHAINS_PER_BUNDLE);
    // An evicted chain is validated afresh, with the same answer.
    const first = leaves[0]!;
    const again = seal(payload, { qop: 'integrity', signer: createSigner({ certificates: first.chain, key: first.key }), destination });
    expect(open(again, options(now, bounded.bundle)).signer?.spiffeId).toBe(first.spiffeId);
  });
});
