// The ANSI X9.63 key derivation function as RFC 5753 uses it for ECDH key agreement in CMS:
// KEK = first `length` bytes of Hash(Z || counter || SharedInfo) for counter = 1, 2, ...
import { createHash } from 'node:crypto';
import type { DigestName } from './algorithms.ts';

const COUNTER_1 = Buffer.from([0, 0, 0, 1]);

/** Derives `length` bytes from the shared secret `z` and the DER of ECC-CMS-SharedInfo. */
export function x963Kdf(digest: DigestName, z: Uint8Array, sharedInfo: Uint8Array, length: number): Buffer {
  // One block is enough whenever the hash is at least as long as the key (SHA-256 and a 256-bit KEK).
  const first = createHash(digest).update(z).update(COUNTER_1).update(sharedInfo).digest();
  if (first.length >= length) return first.subarray(0, length);
  const blocks: Buffer[] = [first];
  const counter = Buffer.alloc(4);
  let produced = first.length;
  for (let i = 2; produced < length; i++) {
    counter.writeUInt32BE(i);
    const block = createHash(digest).update(z).update(counter).update(sharedInfo).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}
