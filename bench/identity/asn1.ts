// Why identity reads and writes DER itself (docs/adr/0004): the ASN.1 schema library against
// our DER reader/writer on the same certificate and CSR, in the same run.
// Run: node bench/identity/asn1.ts (through npx or an npm script: Node 24)
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Certificate } from '@peculiar/asn1-x509';
import { cpus } from 'node:os';
import { CertificateAuthority } from '../../lib/identity/ca.ts';
import { createCsr, verifyCsr } from '../../lib/identity/csr.ts';
import { generateKeyPair } from '../../lib/identity/keys.ts';
import { readCertificateFacts } from '../../lib/identity/x509-facts.ts';
import { buildCertificate } from '../../lib/identity/x509-builder.ts';

function rate(count: number, fn: () => unknown): number {
  for (let i = 0; i < 500; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn();
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const ca = await CertificateAuthority.create({ trustDomain: 'bench.example' });
const keys = await generateKeyPair();
const leaf = ca.issue({ spiffeId: 'spiffe://bench.example/ns/a/sa/b', publicKey: keys.publicKey, dnsNames: ['b.a.svc'] }).der;
const csr = createCsr(keys.privateKey);
const parsed = AsnConvert.parse(leaf, Certificate);
const spec = {
  subject: [['O', 'qshield'], ['CN', 'b']] as const, notBefore: new Date(), notAfter: new Date(Date.now() + 3_600_000),
  publicKey: keys.publicKey.export({ format: 'der', type: 'spki' }), basicConstraints: { ca: false },
  keyUsage: ['digitalSignature', 'keyAgreement'] as const, uris: ['spiffe://bench.example/ns/a/sa/b'],
};

const rows: [string, number, number][] = [
  ['read a certificate\'s extensions', rate(5000, () => AsnConvert.parse(leaf, Certificate)), rate(20000, () => readCertificateFacts(leaf))],
  ['parse a CSR, check its signature', rate(3000, () => { AsnConvert.parse(csr, CertificationRequest); verifyCsr(csr); }), rate(3000, () => verifyCsr(csr))],
  ['encode a certificate (TBS + signature)', rate(3000, () => AsnConvert.serialize(parsed)), rate(3000, () => buildCertificate({ ...spec, keyUsage: [...spec.keyUsage], subject: [...spec.subject] }, ca.intermediateKey))],
];
console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; node ${process.versions.node}`);
console.log('| operation | @peculiar/asn1-schema (/s) | lib/identity DER (/s) | ratio |');
console.log('|---|---:|---:|---:|');
for (const [name, lib, ours] of rows) console.log(`| ${name} | ${fmt(lib)} | ${fmt(ours)} | ${(ours / lib).toFixed(1)}x |`);
console.log('(the schema rows do less: certificate extensions are left undecoded, encoding does not sign, and the CSR row adds our check to the schema parse)');
