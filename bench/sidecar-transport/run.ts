// Benchmark of the workload sidecar's transport to the gateway: undici over mTLS (TLS 1.3) with
// HTTP/1.1 keep-alive, with and without pipelining, against HTTP/2 — first on one server that
// speaks both (so only the protocol differs), then through the real sidecar and gateway.
// Run: npm run bench:sidecar-transport
import { createSecureServer } from 'node:http2';
import { loadavg, cpus } from 'node:os';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { issueLeaf, makeCa } from '../../test/pki/index.ts';
import { appCall, GATEWAY_ID, queuePath, startDeployment } from '../../test/support/workload-fixture.ts';

const ROUND_MS = Number(process.env.ROUND_MS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const IN_FLIGHT = 64;
const BODY = Buffer.alloc(1024, 0x61);

interface Sample {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Keeps IN_FLIGHT requests going for ROUND_MS; requests per second and latency percentiles (ms). */
async function drive(send: () => Promise<void>, inFlight = IN_FLIGHT): Promise<Sample> {
  const latencies: number[] = [];
  const end = performance.now() + ROUND_MS;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await send();
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

function best(samples: Sample[]): Sample {
  return samples.reduce((a, b) => (b.rate > a.rate ? b : a));
}

const ca = makeCa({ trustDomain: 'example.org' });
const server = issueLeaf(GATEWAY_ID, { ca });
const client = issueLeaf('spiffe://example.org/ns/app/sa/producer', { ca });

// --- part 1: one mTLS server, both protocols; a put-like exchange (1 KiB in, 201 out) ---
const h = createSecureServer({ ...server.tls, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3', allowHTTP1: true }, (req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(201, { 'content-length': '0' });
    res.end();
  });
});
await new Promise<void>((resolve) => h.listen(0, '127.0.0.1', resolve));
const url = `https://127.0.0.1:${(h.address() as AddressInfo).port}`;
const connect = { ca: ca.bundlePem, cert: client.chainPem, key: client.keyPem, minVersion: 'TLSv1.3' as const, checkServerIdentity: () => undefined };

const variants: Record<string, () => Pool> = {
  'HTTP/1.1, 4 connections, no pipelining': () => new Pool(url, { connections: 4, pipelining: 1, connect }),
  'HTTP/1.1, 4 connections, pipelining 8 (the default)': () => new Pool(url, { connections: 4, pipelining: 8, connect }),
  'HTTP/1.1, 1 connection, pipelining 32': () => new Pool(url, { connections: 1, pipelining: 32, connect }),
  'HTTP/2, 1 connection, 100 streams': () => new Pool(url, { connections: 1, allowH2: true, connect: { ...connect, ALPNProtocols: ['h2'] } }),
  'HTTP/2, 4 connections, 100 streams each': () => new Pool(url, { connections: 4, allowH2: true, connect: { ...connect, ALPNProtocols: ['h2'] } }),
};
const part1: Record<string, Sample[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(variants)) {
    const pool = make();
    const send = async () => {
      const res = await pool.request({ method: 'POST', path: '/put', body: BODY, idempotent: true, blocking: false });
      await res.body.dump();
    };
    await drive(send, 8); // warm: connections and handshakes
    (part1[name] ??= []).push(await drive(send));
    await pool.close();
  }
}
await new Promise<void>((resolve) => h.close(() => resolve()));

// --- part 2: through the real sidecar and gateway (memory driver): app put → sidecar → gateway ---
const part2: Record<string, Sample[]> = {};
const settings: Record<string, Record<string, unknown>> = {
  'sidecar → gateway, 4 connections, no pipelining': { connections: 4, pipelining: 1 },
  'sidecar → gateway, 4 connections, pipelining 8 (the default)': { connections: 4, pipelining: 8 },
};
const d = await startDeployment();
try {
  const consumer = d.addWorkload('consumer');
  void consumer;
  const sidecars = [];
  for (const [name, gw] of Object.entries(settings)) {
    const w = d.addWorkload(`producer-${sidecars.length}`, {
      spiffeId: `spiffe://example.org/ns/app/sa/producer-${sidecars.length}`,
      publish: false,
      config: { gateway: { url: d.gatewayUrl, spiffeId: GATEWAY_ID, channel: 'apps', ...gw }, log: { level: 'warn' } },
    });
    const s = await d.startSidecar(w);
    sidecars.push({ name, s, app: new Pool(s.url, { connections: IN_FLIGHT }) });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name, app } of sidecars) {
      const send = async () => {
        const r = await appCall(app, 'POST', queuePath('Q.PLAIN'), { body: BODY });
        if (r.status !== 201) throw new Error(`put answered ${r.status}: ${r.text}`);
        // Keep the memory queue from filling up: take one back directly at the gateway's driver.
        const delivery = await d.gateway.driver.get('Q.PLAIN');
        await delivery?.ack();
      };
      await drive(send, 8);
      (part2[name] ??= []).push(await drive(send));
    }
  }
  for (const { app } of sidecars) await app.destroy();
} finally {
  await d.close();
}

// --- report ---
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`${ROUNDS} rounds of ${ROUND_MS} ms per case, interleaved; best round; ${IN_FLIGHT} requests in flight; 1 KiB bodies\n`);
for (const [title, results] of [['one mTLS server speaking both protocols', part1], ['app → sidecar → gateway (memory driver), put', part2]] as const) {
  const entries = Object.entries(results).map(([name, samples]) => [name, best(samples)] as const);
  const base = entries[0]?.[1].rate ?? 1;
  console.log(`${title}\n| case | req/s | p50 ms | p99 ms | vs first row |\n|---|---:|---:|---:|---:|`);
  for (const [name, s] of entries) console.log(`| ${name} | ${fmt(s.rate)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${(s.rate / base).toFixed(2)} |`);
  console.log('');
}
