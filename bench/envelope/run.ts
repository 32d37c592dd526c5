// Benchmarks seal and open per message, for 1 KiB and 64 KiB payloads, each QoP and key type,
// each beside the raw node:crypto primitives that message needs (measured in the same run,
// interleaved round by round), and node-forge's PKCS#7 on the RSA sign-then-encrypt job.
// Run: npm run bench:envelope   (node --expose-gc bench/envelope/run.ts; prints Markdown for bench/RESULTS.md)
// Knobs: BENCH_ROUNDS (default 15), BENCH_BATCH_MS (default 40), BENCH_ONLY (a regular expression
// on the case labels, to measure a few cases).
import {
  constants, createCipheriv, createDecipheriv, createHash, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync,
  privateDecrypt, publicEncrypt, randomBytes, sign, verify, type KeyObject,
} from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import forge from 'node-forge';
import { createKeyring, createSealingContext, createSigner, open, seal, type Keyring, type Signer } from '../../lib/envelope/index.ts';
import { makeTestPki, type TestIdentity } from '../../test/envelope/pki.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 40);
/** Only the cases whose label matches, e.g. BENCH_ONLY='1 KiB · integrity · open' (default: all). */
const ONLY = process.env.BENCH_ONLY === undefined ? undefined : new RegExp(process.env.BENCH_ONLY);
const REUSE = 32;
const destination = { queueManager: 'PAYMENTS', queue: 'PAY.REQUEST' };

/** CPU time of this process in ms (user + system): what other processes do barely moves it. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
 * Operations per CPU-second of `fn` over about BATCH_MS of CPU time. Garbage left by the
 * previous batch is collected first (run with --expose-gc), so no batch pays for another's.
 */
function batch(fn: () => void): number {
  collectGarbage?.();
  let n = 0;
  const start = cpuMs();
  let elapsed: number;
  do {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
    elapsed = cpuMs() - start;
  } while (elapsed < BATCH_MS);
  return (n * 1000) / elapsed;
}

interface Measured {
  /** The best rate of each function: on a shared machine other work only slows a batch down. */
  readonly best: Record<string, number>;
  /** Median over rounds of rate(a) / rate(b) measured back to back: robust to the machine's drift. */
  ratio(a: string, b: string): number;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

/** Rates of several functions over ROUNDS rounds of short batches, measured in alternation. */
function compare(fns: Record<string, () => void>): Measured {
  for (const fn of Object.values(fns)) for (let i = 0; i < 50; i++) fn(); // warm up
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(fns)) samples[k]?.push(batch(fn));
  return {
    best: Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.max(...xs)])),
    ratio: (a, b) => median((samples[a] as number[]).map((x, i) => x / (samples[b] as number[])[i]!)),
  };
}

// === Identities ===
const pki = makeTestPki();
const ids: Record<'ec' | 'rsa', { signer: TestIdentity; recipient: TestIdentity }> = {
  ec: { signer: pki.issue({ path: '/ns/b/sa/signer' }), recipient: pki.issue({ path: '/ns/b/sa/recipient', keyIndex: 1 }) },
  rsa: { signer: pki.issue({ path: '/ns/b/sa/rsa-signer', keyType: 'rsa-2048' }), recipient: pki.issue({ path: '/ns/b/sa/rsa-recipient', keyType: 'rsa-2048', keyIndex: 1 }) },
};

// === Raw primitives: exactly the node:crypto calls one message needs, nothing else ===
const AES_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const SIGNED_ATTRS = randomBytes(180); // the size of qshield's signed attributes with a binding

function rawSign(kind: 'ec' | 'rsa', key: KeyObject, payload: Buffer): Buffer {
  createHash('sha256').update(payload).digest();
  return kind === 'ec' ? sign('sha256', SIGNED_ATTRS, key) : sign('sha256', SIGNED_ATTRS, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
}

function rawVerify(kind: 'ec' | 'rsa', key: KeyObject, payload: Buffer, sig: Buffer): boolean {
  createHash('sha256').update(payload).digest();
  return kind === 'ec' ? verify('sha256', SIGNED_ATTRS, key, sig) : verify('sha256', SIGNED_ATTRS, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
}

function rawWrap(kind: 'ec' | 'rsa', recipientKey: KeyObject, cek: Buffer): { wrapped: Buffer; ephemeral?: Buffer } {
  if (kind === 'rsa') return { wrapped: publicEncrypt({ key: recipientKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek) };
  const eph = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const z = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientKey });
  const kek = createHash('sha256').update(z).update(Buffer.of(0, 0, 0, 1)).update(SIGNED_ATTRS.subarray(0, 24)).digest();
  const c = createCipheriv('id-aes256-wrap', kek, AES_WRAP_IV);
  return { wrapped: Buffer.concat([c.update(cek), c.final()]), ephemeral: eph.publicKey.export({ type: 'spki', format: 'der' }) };
}

function rawUnwrap(kind: 'ec' | 'rsa', privateKey: KeyObject, w: { wrapped: Buffer; ephemeral?: Buffer }): Buffer {
  if (kind === 'rsa') return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, w.wrapped);
  const pub = createPublicKey({ key: w.ephemeral as Buffer, format: 'der', type: 'spki' });
  const z = diffieHellman({ privateKey, publicKey: pub });
  const kek = createHash('sha256').update(z).update(Buffer.of(0, 0, 0, 1)).update(SIGNED_ATTRS.subarray(0, 24)).digest();
  const d = createDecipheriv('id-aes256-wrap', kek, AES_WRAP_IV);
  return Buffer.concat([d.update(w.wrapped), d.final()]);
}

function rawGcmEncrypt(key: KeyObject, nonce: Buffer, data: Buffer): { ct: Buffer; tag: Buffer } {
  const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  const ct = c.update(data);
  c.final();
  return { ct, tag: c.getAuthTag() };
}

function rawGcmDecrypt(key: KeyObject, nonce: Buffer, ct: Buffer, tag: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  d.setAuthTag(tag);
  const out = d.update(ct);
  d.final();
  return out;
}

// === node-forge PKCS#7: sign then envelope, RSA (forge offers only PKCS#1 v1.5 transport and CBC) ===
function forgeSignThenEncrypt(signer: TestIdentity, recipient: TestIdentity): (payload: Buffer) => string {
  const cert = forge.pki.certificateFromPem(signer.cert.toString());
  const key = forge.pki.privateKeyFromPem(signer.key.export({ type: 'pkcs8', format: 'pem' }) as string);
  const rcert = forge.pki.certificateFromPem(recipient.cert.toString());
  return (payload) => {
    const p7 = forge.pkcs7.createSignedData();
    p7.content = forge.util.createBuffer(payload.toString('binary'));
    p7.addCertificate(cert);
    p7.addSigner({
      key, certificate: cert, digestAlgorithm: forge.pki.oids.sha256 as string,
      authenticatedAttributes: [{ type: forge.pki.oids.contentType as string, value: forge.pki.oids.data as string }, { type: forge.pki.oids.messageDigest as string }, { type: forge.pki.oids.signingTime as string, value: new Date() as unknown as string }],
    });
    p7.sign();
    const inner = forge.asn1.toDer(p7.toAsn1()).getBytes();
    const env = forge.pkcs7.createEnvelopedData();
    env.addRecipient(rcert);
    env.content = forge.util.createBuffer(inner);
    env.encrypt(undefined, forge.pki.oids['aes256-CBC'] as string);
    return forge.asn1.toDer(env.toAsn1()).getBytes();
  };
}

// === The cases ===
interface Row { label: string; raw: number; envelope: number; /** raw rate / envelope rate, paired median */ ratio: number }
const row = (label: string, m: Measured, raw = 'raw', env = 'env'): Row => ({ label, raw: m.best[raw] as number, envelope: m.best[env] as number, ratio: m.ratio(raw, env) });
const rows: Row[] = [];

/** Measures one case into `into`, unless BENCH_ONLY leaves it out. */
function measure(label: string, fns: Record<string, () => void>, into = rows, raw = 'raw', env = 'env'): void {
  if (ONLY !== undefined && !ONLY.test(label)) return;
  into.push(row(label, compare(fns), raw, env));
}
const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

for (const kind of ['ec', 'rsa'] as const) {
  const { signer: s, recipient: r } = ids[kind];
  const signer: Signer = createSigner({ certificates: s.chain, key: s.key });
  const keyring: Keyring = createKeyring([{ certificate: r.cert, key: r.key }]);
  const signerPub = createPublicKey(s.key);
  const recipientPub = r.cert.publicKey;
  for (const size of [1024, 65536]) {
    const payload = randomBytes(size);
    const label = (qop: string, op: string) => `${kind === 'ec' ? 'EC P-256' : 'RSA-2048'} · ${size === 1024 ? '1 KiB' : '64 KiB'} · ${qop} · ${op}`;

    // Integrity
    const intEnv = seal(payload, { qop: 'integrity', signer, destination });
    const rawSig = rawSign(kind, s.key, payload);
    measure(label('integrity', 'seal'), { raw: () => rawSign(kind, s.key, payload), env: () => seal(payload, { qop: 'integrity', signer, destination }) });
    measure(label('integrity', 'open'), { raw: () => rawVerify(kind, signerPub, payload, rawSig), env: () => open(intEnv, { trustBundle: pki.bundle, destination, policy: { qop: 'integrity' } }) });

    // Privacy: the signed inner message is encrypted, so GCM runs over payload + signature overhead.
    const inner = Buffer.alloc(intEnv.length);
    const privEnv = seal(payload, { qop: 'privacy', signer, recipients: [r.cert], destination });
    const rawCek = randomBytes(32);
    const rawWrapped = rawWrap(kind, recipientPub, rawCek);
    const rawKey = createSecretKey(rawCek);
    const nonce = randomBytes(12);
    const enc = rawGcmEncrypt(rawKey, nonce, inner);
    const innerSig = rawSign(kind, s.key, payload);
    measure(label('privacy', 'seal'), {
      raw: () => {
        rawSign(kind, s.key, payload);
        const cek = randomBytes(32);
        rawWrap(kind, recipientPub, cek);
        rawGcmEncrypt(createSecretKey(cek), randomBytes(12), inner);
      },
      env: () => seal(payload, { qop: 'privacy', signer, recipients: [r.cert], destination }),
    });
    measure(label('privacy', 'open'), {
      raw: () => {
        const cek = rawUnwrap(kind, r.key, rawWrapped);
        rawGcmDecrypt(createSecretKey(cek), nonce, enc.ct, enc.tag);
        rawVerify(kind, signerPub, payload, innerSig);
      },
      env: () => open(privEnv, { keyring, trustBundle: pki.bundle, destination, policy: { qop: 'privacy' } }),
    });

    // Confidentiality with key reuse: one wrap per REUSE messages, a counter nonce each message.
    const context = createSealingContext({ recipients: [r.cert], count: REUSE, maxAgeSeconds: 3600 });
    let rawUses = 0;
    let rawGen = { key: rawKey, wrapped: rawWrapped };
    const counterNonce = Buffer.alloc(12);
    measure(label('confidentiality ×32', 'seal'), {
      raw: () => {
        if (rawUses++ % REUSE === 0) {
          const cek = randomBytes(32);
          rawGen = { key: createSecretKey(cek), wrapped: rawWrap(kind, recipientPub, cek) };
        }
        counterNonce.writeUInt32BE(rawUses, 8);
        rawGcmEncrypt(rawGen.key, counterNonce, payload);
      },
      env: () => seal(payload, { qop: 'confidentiality', context }),
    });
    // Open a stream of REUSE-message generations: each generation's first message unwraps.
    const stream = Array.from({ length: REUSE * 8 }, () => seal(payload, { qop: 'confidentiality', context }));
    const rawStream = Array.from({ length: REUSE * 8 }, (_, i) => ({ gen: Math.floor(i / REUSE), ...rawGcmEncrypt(rawKey, nonce, payload) }));
    let si = 0;
    let ri = 0;
    let rawCache = new Map<number, KeyObject>();
    const reader = createKeyring([{ certificate: r.cert, key: r.key }], { keyCacheSize: 4 });
    measure(label('confidentiality ×32', 'open'), {
      raw: () => {
        const item = rawStream[ri++ % rawStream.length] as (typeof rawStream)[number];
        let k = rawCache.get(item.gen);
        if (k === undefined) {
          if (rawCache.size >= 4) rawCache = new Map();
          k = createSecretKey(rawUnwrap(kind, r.key, rawWrapped));
          rawCache.set(item.gen, k);
        }
        rawGcmDecrypt(rawKey, nonce, item.ct, item.tag);
      },
      env: () => open(stream[si++ % stream.length] as Buffer, { keyring: reader, policy: { qop: 'confidentiality' } }),
    });
  }
}

// node-forge on the RSA Privacy seal job (sign, then encrypt for one recipient).
const forgeRows: Row[] = [];
for (const size of [1024, 65536]) {
  const payload = randomBytes(size);
  const { signer: s, recipient: r } = ids.rsa;
  const signer = createSigner({ certificates: s.chain, key: s.key, algorithm: 'rsa-pkcs1-sha256' });
  const forgeSeal = forgeSignThenEncrypt(s, r);
  measure(`RSA-2048 · ${size === 1024 ? '1 KiB' : '64 KiB'} · sign then encrypt`, { forge: () => forgeSeal(payload), env: () => seal(payload, { qop: 'privacy', signer, recipients: [r.cert], destination }) }, forgeRows, 'forge', 'env');
}

// === Report ===
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`Machine: ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.versions.node}, OpenSSL ${process.versions.openssl}; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
console.log(`Method: messages per CPU-second (process.cpuUsage, single thread); ${ROUNDS} rounds of ~${BATCH_MS} ms CPU batches, raw and envelope back to back; rates are the best batch, overhead and ratios the median of the per-round ratios; one recipient; signatures ECDSA P-256 SHA-256 / RSA-PSS SHA-256; AES-256-GCM.\n`);
console.log('| message | raw node:crypto (msg/s) | envelope (msg/s) | overhead |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${fmt(r.raw)} | ${fmt(r.envelope)} | ${((r.ratio - 1) * 100).toFixed(0)}% |`);

console.log('\n| key reuse: Confidentiality ×32 vs Privacy | seal | open | round trip |');
console.log('|---|---:|---:|---:|');
for (const kind of ['EC P-256', 'RSA-2048']) {
  for (const size of ['1 KiB', '64 KiB']) {
    const get = (qop: string, op: string) => rows.find((r) => r.label === `${kind} · ${size} · ${qop} · ${op}`)?.envelope ?? NaN;
    const conf = [get('confidentiality ×32', 'seal'), get('confidentiality ×32', 'open')] as const;
    const priv = [get('privacy', 'seal'), get('privacy', 'open')] as const;
    const trip = (a: number, b: number) => 1 / (1 / a + 1 / b);
    console.log(`| ${kind} · ${size} | ${(conf[0] / priv[0]).toFixed(1)}x | ${(conf[1] / priv[1]).toFixed(1)}x | ${(trip(...conf) / trip(...priv)).toFixed(1)}x |`);
  }
}

console.log('\n| vs node-forge PKCS#7 (RSA sign then encrypt) | node-forge (msg/s) | qshield seal privacy (msg/s) | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of forgeRows) console.log(`| ${r.label} | ${fmt(r.raw)} | ${fmt(r.envelope)} | ${(1 / r.ratio).toFixed(0)}x |`);
