// Test key pairs: EC P-256 made fresh (fast), RSA taken round-robin from a pool of pre-generated
// test-only keys (fixtures/), because RSA key generation takes up to seconds.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadPrivateKey, type KeyPair, type KeyType } from '../../lib/identity/keys.ts';

const POOL_SIZE: Record<Exclude<KeyType, 'ec-p256'>, number> = { 'rsa-2048': 4, 'rsa-3072': 3 };
const pools = new Map<KeyType, KeyPair[]>();
const next = new Map<KeyType, number>();

function pool(keyType: Exclude<KeyType, 'ec-p256'>): KeyPair[] {
  let keys = pools.get(keyType);
  if (!keys) {
    keys = Array.from({ length: POOL_SIZE[keyType] }, (_, i) => {
      const privateKey = loadPrivateKey(readFileSync(new URL(`fixtures/${keyType}-${i + 1}.key.pem`, import.meta.url), 'utf8'));
      return { privateKey, publicKey: createPublicKey(privateKey) };
    });
    pools.set(keyType, keys);
  }
  return keys;
}

/**
 * A key pair for tests. EC keys are always new; RSA keys repeat after the pool (4 × 2048,
 * 3 × 3072) is used up, so two RSA CAs in one test may share a key — their names differ.
 */
export function testKeyPair(keyType: KeyType = 'ec-p256'): KeyPair {
  if (keyType === 'ec-p256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = pool(keyType);
  const i = next.get(keyType) ?? 0;
  next.set(keyType, i + 1);
  return keys[i % keys.length] as KeyPair;
}
