// Why this module exists: V8 forgets the hidden class of objects that have no live instance at a
// full garbage collection and deoptimizes every function compiled against it. The message path
// makes node:crypto objects (ciphers, deciphers, hashes, secret keys) per message and drops them
// at once, so after every full GC open() and seal() and the node:crypto code under them would
// run unoptimized until V8 recompiled them. One idle object of each kind, held here for the life
// of the process, keeps those hidden classes (see also lib/der LIVE_SHAPES). It costs a few
// hundred bytes; measured in bench/envelope (bench/RESULTS.md, 2026-12-02).
import { createCipheriv, createDecipheriv, createHash, createSecretKey } from 'node:crypto';

const zeros = (n: number): Buffer => Buffer.alloc(n);

export const LIVE_OBJECTS: readonly object[] = Object.freeze([
  createCipheriv('aes-256-gcm', zeros(32), zeros(12), { authTagLength: 16 }),
  createDecipheriv('aes-256-gcm', zeros(32), zeros(12), { authTagLength: 16 }),
  createCipheriv('id-aes256-wrap', zeros(32), Buffer.from('a6a6a6a6a6a6a6a6', 'hex')),
  createDecipheriv('id-aes256-wrap', zeros(32), Buffer.from('a6a6a6a6a6a6a6a6', 'hex')),
  createHash('sha256'),
  createSecretKey(zeros(32)),
]);
