// Benchmarks of identity's hot paths: issuing EC P-256 SVIDs from CSRs (operator, every pod
// every half hour) and validating a presented SVID chain (gateway, every TLS connection).
// Each rate is set beside a node:crypto baseline measured in the same run.
// Run: npm run bench:identity   (prints a table for bench/RESULTS.md)
import { X509Certificate, sign, type KeyObject } from 'node:crypto';
import { cpus } from 'node:os';
import { CertificateAuthority } from '../../lib/identity/ca.ts';
import { createCsr } from '../../lib/identity/csr.ts';
import { generateKeyPair } from '../../lib/identity/keys.ts';
import { createTrustBundle } from '../../lib/identity/trust-bundle.ts';
import { validateSvid } from '../../lib/identity/validate-svid.ts';

const ISSUE_COUNT = 2000;
const VALIDATE_COUNT = 5000;

function rate(count: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(200, count); i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) fn(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const ca = await CertificateAuthority.create({ trustDomain: 'bench.example' });
const csrs: Buffer[] = [];
for (let i = 0; i < ISSUE_COUNT; i++) csrs.push(createCsr((await generateKeyPair('ec-p256')).privateKey));

// Baseline: one raw ECDSA P-256 signature over a TBS-sized buffer, the floor of issuance cost.
const tbsSized = Buffer.alloc(420, 7);
const signRate = rate(ISSUE_COUNT, () => sign('sha256', tbsSized, ca.intermediateKey as KeyObject));
const issueRate = rate(ISSUE_COUNT, (i) => ca.issue({ spiffeId: `spiffe://bench.example/ns/n/sa/w${i}`, csr: csrs[i] as Buffer }));

const svid = ca.issue({ spiffeId: 'spiffe://bench.example/ns/n/sa/client', csr: csrs[0] as Buffer });
const bundle = ca.bundle;
const leaf = new X509Certificate(svid.der);
const inter = ca.intermediate;
// Baseline: one signature verification, the least a validator can do per connection.
const verifyRate = rate(VALIDATE_COUNT, () => leaf.verify(inter.publicKey));
// As from a TLS socket: certificates already parsed.
const validateParsed = rate(VALIDATE_COUNT, () => validateSvid([leaf, inter], bundle, { purpose: 'client' }));
// From DER: parse cost included, as when the chain comes from getPeerCertificate(true).raw.
const validateDer = rate(VALIDATE_COUNT, () => validateSvid(svid.chainDer, bundle, { purpose: 'client' }));
// Cold: a fresh bundle each time, so the intermediate's signature is checked too.
const roots = bundle.roots;
const validateCold = rate(VALIDATE_COUNT / 5, () => validateSvid(svid.chainDer, createTrustBundle('bench.example', roots), { purpose: 'client' }));

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${cpu}, ${cpus().length} cores; node ${process.versions.node}; openssl ${process.versions.openssl}`);
console.log('| measurement | rate (/s) | ratio to baseline |');
console.log('|---|---:|---:|');
console.log(`| baseline: crypto.sign ECDSA P-256 (420 B) | ${fmt(signRate)} | 1.00 |`);
console.log(`| issue EC P-256 SVID from CSR (${ISSUE_COUNT}) | ${fmt(issueRate)} | ${(issueRate / signRate).toFixed(2)} |`);
console.log(`| baseline: X509Certificate.verify (P-256) | ${fmt(verifyRate)} | 1.00 |`);
console.log(`| validateSvid, parsed chain, warm | ${fmt(validateParsed)} | ${(validateParsed / verifyRate).toFixed(2)} |`);
console.log(`| validateSvid, DER chain, warm | ${fmt(validateDer)} | ${(validateDer / verifyRate).toFixed(2)} |`);
console.log(`| validateSvid, DER chain, cold bundle | ${fmt(validateCold)} | ${(validateCold / verifyRate).toFixed(2)} |`);
