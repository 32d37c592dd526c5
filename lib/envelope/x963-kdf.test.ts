import { describe, expect, it } from 'vitest';
import { x963Kdf } from './x963-kdf.ts';

describe('X9.63 KDF', () => {
  // Test vector from NIST CAVS 12.0 "ansx963_2001.rsp", [SHA-256] [shared secret length = 192]
  // [SharedInfo length = 0] [key data length = 128], COUNT = 0.
  it('matches the NIST CAVS vector for SHA-256 without SharedInfo', () => {
    const z = Buffer.from('96c05619d56c328ab95fe84b18264b08725b85e33fd34f08', 'hex');
    expect(x963Kdf('sha256', z, Buffer.alloc(0), 16).toString('hex')).toBe('443024c3dae66b95e6f5670601558f71');
  });

  // [SHA-256] [shared secret length = 192] [SharedInfo length = 128] [key data length = 1024], COUNT = 0.
  it('matches the NIST CAVS vector for SHA-256 with SharedInfo over several blocks', () => {
    const z = Buffer.from('22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d', 'hex');
    const info = Buffer.from('75eef81aa3041e33b80971203d2c0c52', 'hex');
    expect(x963Kdf('sha256', z, info, 128).toString('hex')).toBe(
      'c498af77161cc59f2962b9a713e2b215152d139766ce34a776df11866a69bf2e52a13d9c7c6fc878c50c5ea0bc7b00e0da2447cfd874f6cf92f30d0097111485500c90c3af8b487872d04685d14c8d1dc8d7fa08beb0ce0ababc11f0bd496269142d43525a78e5bc79a17f59676a5706dc54d54d4d1f0bd7e386128ec26afc21',
    );
  });
});
