import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { expiredLeaf, issueLeaf, makeCa } from '../../test/pki/index.ts';
import { loadOwnSvid } from './own-svid.ts';

const ID = 'spiffe://example.org/ns/pay/sa/gateway';

function code(fn: () => unknown): unknown {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof AppError ? err.code : err;
  }
}

describe('loadOwnSvid', () => {
  const ca = makeCa();

  it('reads chain and key, and says when to renew (half-life)', () => {
    const leaf = issueLeaf(ID, { ca, ttlMs: 3_600_000 });
    const own = loadOwnSvid(leaf.chainPem, leaf.keyPem, ca.bundle);
    expect(own.spiffeId.toString()).toBe(ID);
    expect(own.chain).toHaveLength(2);
    expect(own.renewAt.getTime()).toBe((own.notBefore.getTime() + own.notAfter.getTime()) / 2);
  });

  it('refuses a key that is not the certificate\'s', () => {
    const leaf = issueLeaf(ID, { ca });
    const other = issueLeaf(ID, { ca });
    expect(code(() => loadOwnSvid(leaf.chainPem, other.keyPem, ca.bundle))).toBe('ERR_SVID_KEY_MISMATCH');
  });

  it('refuses an SVID that is not valid under the bundle', () => {
    const leaf = expiredLeaf(ID, { ca });
    expect(code(() => loadOwnSvid(leaf.chainPem, leaf.keyPem, ca.bundle))).toBe('ERR_SVID_EXPIRED');
    expect(code(() => loadOwnSvid(leaf.chainPem, 'not a key', ca.bundle))).toBe('ERR_KEY_INVALID');
    expect(code(() => loadOwnSvid('nothing', leaf.keyPem, ca.bundle))).toBe('ERR_PEM_INVALID');
  });
});
