// The measurement behind the envelope's ASN.1 choice (docs/adr, "CMS envelopes with a
// hand-written DER path"): reading and writing one Integrity envelope with the @peculiar schema
// family beside the envelope's own DER reader and writer, and beside the ECDSA operation the
// message costs anyway, all in one run.
// Run: node bench/envelope/asn1.ts
import { hash, randomBytes, sign, verify } from 'node:crypto';
import { cpus } from 'node:os';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ctx, DerCursor, encode, node, octets, readWhole, retag, seq, set, setOf, TAG, time } from '../../lib/der/index.ts';
import { createSigner, seal } from '../../lib/envelope/index.ts';
import { OID_DER } from '../../lib/envelope/oids.ts';
import { readSignedData } from '../../lib/envelope/signed-data.ts';
import { makeTestPki } from '../../test/envelope/pki.ts';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Microseconds of CPU per call: best of 15 batches of ~30 ms. */
function cost(fn: () => void): number {
  for (let i = 0; i < 50; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 15; r++) {
    let n = 0;
    const start = cpuMs();
    let elapsed: number;
    do {
      fn();
      n++;
      elapsed = cpuMs() - start;
    } while (elapsed < 30);
    best = Math.min(best, (elapsed * 1000) / n);
  }
  return best;
}

const pki = makeTestPki();
const id = pki.issue({ path: '/ns/b/sa/signer' });
const signer = createSigner({ certificates: id.chain, key: id.key });
const payload = randomBytes(1024);
const envelope = seal(payload, { qop: 'integrity', signer, destination: { queueManager: 'QM', queue: 'Q' } });

const outer = DerCursor.inside(envelope, readWhole(envelope, TAG.sequence, 'ContentInfo'), 'ContentInfo');
outer.next(TAG.oid, 'contentType');
const wrapper = outer.next(TAG.ctx(0), 'content');
const view = readSignedData(envelope, wrapper);
const parsed = AsnConvert.parse(AsnConvert.parse(envelope, ContentInfo).content, SignedData);

const results: [string, number][] = [
  ['@peculiar/asn1-cms: parse ContentInfo + SignedData', cost(() => AsnConvert.parse(AsnConvert.parse(envelope, ContentInfo).content, SignedData))],
  ['@peculiar/asn1-cms: serialize SignedData + ContentInfo', cost(() => AsnConvert.serialize(new ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: AsnConvert.serialize(parsed) })))],
  ['hand-written: readSignedData (strict DER, zero-copy)', cost(() => readSignedData(envelope, wrapper))],
  ['hand-written: write signed attributes + SignedData + ContentInfo', cost(() => {
    const attrs = encode(setOf([
      seq(OID_DER.contentType, set(OID_DER.data)),
      seq(OID_DER.signingTime, set(time(new Date()))),
      seq(OID_DER.messageDigest, set(octets(view.messageDigest))),
    ]));
    encode(seq(OID_DER.signedData, node(TAG.ctx(0), [seq(
      Buffer.from([2, 1, 1]), signer.digestAlgorithms, seq(OID_DER.data, ctx(0, octets(payload))), signer.certificatesField,
      set(seq(signer.signerInfoHead, retag(attrs, TAG.ctx(0)), signer.signatureAlgorithmId, octets(view.signature))),
    )])));
  })],
  ['node:crypto: SHA-256 of the 1 KiB payload', cost(() => hash('sha256', payload, 'buffer'))],
  ['node:crypto: ECDSA P-256 sign of the signed attributes', cost(() => sign('sha256', view.signedAttrs, id.key))],
  ['node:crypto: ECDSA P-256 verify of the signed attributes', cost(() => verify('sha256', view.signedAttrs, id.cert.publicKey, view.signature))],
];

console.log(`${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}, Node ${process.versions.node}; Integrity envelope of ${envelope.length} bytes (1 KiB payload, 2 certificates)`);
console.log('| operation | µs CPU per message |');
console.log('|---|---:|');
for (const [name, us] of results) console.log(`| ${name} | ${us.toFixed(1)} |`);
