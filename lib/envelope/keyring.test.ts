import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type TestIdentity, type TestPki } from '../../test/envelope/pki.ts';
import { createKeyring, createSealingContext, open, seal } from './index.ts';

let pki: TestPki;
let me: TestIdentity;

beforeAll(() => {
  pki = makeTestPki();
  me = pki.issue({ path: '/ns/a/sa/reader', keyIndex: 1 });
});

describe('Keyring', () => {
  it('finds keys by issuer and serial number and by subject key identifier', () => {
    const keyring = createKeyring([{ certificate: me.cert, key: me.key }]);
    const [entry] = keyring.keys;
    expect(keyring.find({ kind: 'issuerAndSerial', value: entry!.certificate.issuerAndSerial })).toHaveLength(1);
    expect(keyring.find({ kind: 'subjectKeyId', value: entry!.certificate.subjectKeyId! })).toHaveLength(1);
    expect(keyring.find({ kind: 'subjectKeyId', value: Buffer.from('nope') })).toHaveLength(0);
  });

  it('caches at most keyCacheSize content keys; evicted generations still open, by unwrapping again', () => {
    const keyring = createKeyring([{ certificate: me.cert, key: me.key }], { keyCacheSize: 2 });
    const context = createSealingContext({ recipients: [me.cert], count: 1, maxAgeSeconds: 60 });
    const envelopes = Array.from({ length: 5 }, (_, i) => seal(Buffer.from(`m${i}`), { qop: 'confidentiality', context }));
    for (const e of envelopes) open(e, { keyring });
    expect(context.stats.generations).toBe(5);
    expect(keyring.contentKeys.size).toBe(2);
    expect(open(envelopes[0]!, { keyring }).payload.toString()).toBe('m0');
  });

  it('with keyCacheSize 0 still opens every message', () => {
    const keyring = createKeyring([{ certificate: me.cert, key: me.key }], { keyCacheSize: 0 });
    const context = createSealingContext({ recipients: [me.cert], count: 10, maxAgeSeconds: 60 });
    for (let i = 0; i < 3; i++) expect(open(seal(Buffer.from('x'), { qop: 'confidentiality', context }), { keyring }).payload.toString()).toBe('x');
    expect(keyring.contentKeys.size).toBe(0);
  });
});
