// The workload sidecar around its edges, with a gateway on the memory driver over real mTLS:
// SVID rotation mid-traffic, keyring files refused and accepted, a changed policy picked up
// before a message is quarantined, missing recipients' certificates, an unreachable or
// impostor gateway, app-chosen message ids, readiness, and the `qshield sidecar` command.
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf } from '../pki/index.ts';
import { appCall, e2eBundle, queuePath, startDeployment, workloadId, type Deployment, type InProcessSidecar, type WorkloadFiles } from '../support/workload-fixture.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
let d: Deployment;
let producer: WorkloadFiles;
let consumer: WorkloadFiles;
let ps: InProcessSidecar;
let cs: InProcessSidecar;
let app: { producer: Pool; consumer: Pool };

beforeAll(async () => {
  d = await startDeployment();
  producer = d.addWorkload('producer');
  consumer = d.addWorkload('consumer', { config: { policyRefreshInterval: '30s' } });
  [ps, cs] = await Promise.all([d.startSidecar(producer), d.startSidecar(consumer)]);
  app = { producer: new Pool(ps.url, { connections: 8 }), consumer: new Pool(cs.url) };
});

afterAll(async () => {
  await Promise.allSettled(Object.values(app ?? {}).map((p) => p.destroy()));
  await d?.close();
});

const put = (pool: Pool, queue: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  appCall(pool, 'POST', queuePath(queue), { body, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
const get = (pool: Pool, queue: string, waitMs = 0) => appCall(pool, 'DELETE', `${queuePath(queue)}${waitMs > 0 ? `?wait=${waitMs}` : ''}`);

async function drain(queue: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const r = await get(app.consumer, queue);
    if (r.status === 204) return out;
    out.push(r.text);
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

describe('transport identity', () => {
  it('rotates the SVID under load: new connections present the new one, no request fails', async () => {
    const next = issueLeaf(producer.spiffeId, { ca: d.ca });
    const nextSha = createHash('sha256').update(next.cert.raw).digest('hex');
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const load = Promise.all(Array.from({ length: 8 }, async () => {
      while (!stop) {
        const r = await put(app.producer, 'Q.CONF', `m${sent++}`);
        if (r.status !== 201) failures.push(`${r.status} ${r.text}`);
      }
    }));
    await sleep(300);
    writeFileSync(join(producer.dir, 'svid.key'), next.keyPem);
    writeFileSync(join(producer.dir, 'svid.crt'), next.chainPem);
    await until('the sidecar uses the new SVID', () => ps.sidecar.identity().fingerprint === nextSha);
    await sleep(300);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(20);
    const accepted = d.gatewayLogs.lines.filter((l) => (l.event as { action?: string } | undefined)?.action === 'connection-accepted');
    expect(accepted.some((l) => (l.tls as { client?: { hash?: { sha256?: string } } } | undefined)?.client?.hash?.sha256 === nextSha)).toBe(true);
    expect(ps.events('identity-rotated').some((e) => (e.qshield as { identity: { kind: string; sha256: string } }).identity.sha256 === nextSha)).toBe(true);
    expect((await drain('Q.CONF')).length).toBe(sent);
  });

  it('refuses an SVID for another workload and keeps the one it has', async () => {
    const before = ps.sidecar.identity().fingerprint;
    const other = issueLeaf(workloadId('someone-else'), { ca: d.ca });
    writeFileSync(join(producer.dir, 'svid.key'), other.keyPem);
    writeFileSync(join(producer.dir, 'svid.crt'), other.chainPem);
    await until('the refusal is reported', () => ps.events('identity-rotation-failed').length > 0);
    expect(ps.sidecar.identity().fingerprint).toBe(before);
    expect((await put(app.producer, 'Q.PLAIN', 'still fine')).status).toBe(201);
    expect(await drain('Q.PLAIN')).toEqual(['still fine']);
  });
});

describe('message keyring', () => {
  it('refuses a half-written generation, keeps the keyring in force, and takes the directory once it is whole', async () => {
    const leaf = issueLeaf(consumer.spiffeId, { ca: d.ca, ttlMs: 30 * 86_400_000 });
    writeFileSync(join(consumer.keyringDir, 'gen-5.crt'), leaf.chainPem); // the key is not there yet
    await until('the refusal is reported', () => cs.events('identity-rotation-failed').some((e) => (e.qshield as { identity: { kind: string } }).identity.kind === 'message-keyring'));
    expect(cs.sidecar.keyring().current.generation).toBe(1);
    expect((await put(app.producer, 'Q.PRIV', 'during the rotation')).status).toBe(201);
    expect(await drain('Q.PRIV')).toEqual(['during the rotation']);
    writeFileSync(join(consumer.keyringDir, 'gen-5.key'), leaf.keyPem);
    await until('generation 5 is in force', () => cs.sidecar.keyring().current.generation === 5);
    consumer.generations.set(5, leaf);
  });
});

describe('message keyring over time', () => {
  it('a generation published ahead of its validity opens at once and signs from its start, with no file changed', async () => {
    const startsAt = new Date(Date.now() + 1500);
    d.addGeneration(consumer, 6, { notBefore: startsAt });
    await until('generation 6 is in the keyring', () => cs.sidecar.keyring().generations.some((g) => g.generation === 6));
    expect(cs.sidecar.keyring().current.generation).toBe(5);
    // Senders still encrypt for generation 5 (the gateway hands over the newest valid certificate).
    expect((await put(app.producer, 'Q.PRIV', 'before its start')).status).toBe(201);
    await until('generation 6 signs', () => cs.sidecar.keyring().current.generation === 6);
    // Certificate times are whole seconds: the start is the certificate's, at most a second before startsAt.
    expect(Date.now()).toBeGreaterThanOrEqual(consumer.generations.get(6)!.cert.validFromDate.getTime());
    expect(await drain('Q.PRIV')).toEqual(['before its start']);
  });
});

describe('policy and recipients', () => {
  it('checks a refused signer again under a fresh policy before quarantining: a signer authorized since is let through', async () => {
    // The consumer caches Q.INT's policy (30 s refresh): the intruder is not a signer yet.
    expect((await get(app.consumer, 'Q.INT')).status).toBe(204);
    const intruder = d.addWorkload('late-signer');
    const is = await d.startSidecar(intruder);
    const bundle = e2eBundle({ revision: 'e2e/2' }) as { protectionPolicies: { name: string; authorizedSigners?: string[] }[] };
    for (const p of bundle.protectionPolicies) if (p.name === 'priv') p.authorizedSigners = [producer.spiffeId, intruder.spiffeId];
    d.writePolicy(bundle);
    await until('the gateway took the new bundle', () => d.gateway.gateway.policy().revision === 'e2e/2');
    await sleep(1100); // older than the recheck age
    const pool = new Pool(is.url);
    expect((await put(pool, 'Q.PRIV', 'signed by a newly authorized signer')).status).toBe(201);
    await pool.destroy();
    expect(await drain('Q.PRIV')).toEqual(['signed by a newly authorized signer']);
    expect(cs.events('protection-violation')).toEqual([]);
  });

  it('refuses to put for a recipient whose message certificate is not published (2063), and puts nothing', async () => {
    const lonely = d.addWorkload('lonely', { publish: false });
    const bundle = e2eBundle({ revision: 'e2e/3' }) as { queues: { name: string }[]; protectionPolicies: Record<string, unknown>[] };
    bundle.queues.push({ name: 'Q.LONELY' });
    bundle.protectionPolicies.push({ name: 'lonely', queue: 'Q.LONELY', qualityOfProtection: 'Privacy', recipients: [lonely.spiffeId] });
    d.writePolicy(bundle);
    await until('the gateway took the new bundle', () => d.gateway.gateway.policy().revision === 'e2e/3');
    const r = await put(app.producer, 'Q.LONELY', 'nobody can read this');
    expect(r.status).toBe(500);
    expect(r.headers['qshield-error-code']).toBe('ERR_WORKLOAD_NO_RECIPIENT_CERTIFICATE');
    expect((r.json as { error: { reasonCode: number }[] }).error[0]?.reasonCode).toBe(2063);
    expect(await d.gateway.driver.browse('Q.LONELY')).toBeNull();
  });
});

describe('a policy changed at the gateway', () => {
  it('a producer whose cached policy is stale seals again under the new one when the gateway refuses', async () => {
    const slow = d.addWorkload('slow-producer', { config: { policyRefreshInterval: '30s' } });
    const s = await d.startSidecar(slow);
    const pool = new Pool(s.url);
    const withQueue = (revision: string, qop: 'Integrity' | 'Privacy') => {
      const bundle = e2eBundle({ revision }) as { queues: { name: string }[]; protectionPolicies: Record<string, unknown>[] };
      bundle.queues.push({ name: 'Q.CHANGE' });
      bundle.protectionPolicies.push(qop === 'Integrity'
        ? { name: 'change', queue: 'Q.CHANGE', qualityOfProtection: 'Integrity' }
        : { name: 'change', queue: 'Q.CHANGE', qualityOfProtection: 'Privacy', recipients: [consumer.spiffeId] });
      return bundle;
    };
    d.writePolicy(withQueue('e2e/4', 'Integrity'));
    await until('the gateway took the new bundle', () => d.gateway.gateway.policy().revision === 'e2e/4');
    expect((await put(pool, 'Q.CHANGE', 'signed')).status).toBe(201);
    d.writePolicy(withQueue('e2e/5', 'Privacy'));
    await until('the gateway took the new bundle', () => d.gateway.gateway.policy().revision === 'e2e/5');
    await sleep(1100);
    const r = await put(pool, 'Q.CHANGE', 'now encrypted');
    expect(r.status).toBe(201);
    expect((await d.gateway.driver.browseList('Q.CHANGE')).length).toBe(2);
    const texts = await drain('Q.CHANGE');
    // The first was put as Integrity and is found under a Privacy policy now: it goes to the
    // error queue; the second opens.
    expect(texts).toEqual(['now encrypted']);
    await pool.destroy();
  });
});

describe('puts', () => {
  it('stores a put once when the app repeats it with its own message id', async () => {
    const id = randomBytes(24).toString('hex');
    const first = await put(app.producer, 'Q.PRIV', 'pay once', { 'ibm-mq-md-messageId': `ID:${id}` });
    const again = await put(app.producer, 'Q.PRIV', 'pay once', { 'ibm-mq-md-messageId': `ID:${id}` });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers['ibm-mq-md-messageid']).toBe(`ID:${id}`);
    expect(await drain('Q.PRIV')).toEqual(['pay once']);
  });

  it('answers the MQ REST API\'s own refusals the way the gateway does', async () => {
    const noCsrf = await appCall(app.producer, 'POST', queuePath('Q.PLAIN'), { body: 'x', headers: { 'ibm-mq-rest-csrf-token': undefined as unknown as string } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.headers['qshield-error-code']).toBe('ERR_GATEWAY_CSRF_TOKEN_MISSING');
    const unknown = await put(app.producer, 'Q.NO.SUCH.QUEUE', 'x');
    expect(unknown.status).toBe(404);
    expect((unknown.json as { error: { reasonCode: number }[] }).error[0]?.reasonCode).toBe(2085);
    expect((await appCall(app.producer, 'POST', '/qshield/v1/qmgr/QM1/quarantine', { body: 'x' })).status).toBe(404);
  });
});

describe('the gateway out of reach, or not the gateway', () => {
  it('answers 503 when the gateway cannot be reached, and 502 when the server is not the configured gateway', async () => {
    const stray = d.addWorkload('stray', { config: { gateway: { url: 'https://127.0.0.1:1', spiffeId: 'spiffe://example.org/ns/qshield/sa/gateway', connectTimeout: '500ms', putRetries: 0 } } });
    const s1 = await d.startSidecar(stray);
    const p1 = new Pool(s1.url);
    const r1 = await put(p1, 'Q.PLAIN', 'x');
    expect(r1.status).toBe(503);
    expect(r1.headers['qshield-error-code']).toBe('ERR_WORKLOAD_GATEWAY_UNAVAILABLE');
    expect((await request(`${s1.sidecar.adminUrl}/readyz`)).statusCode).toBe(503);
    const fooled = d.addWorkload('fooled', { config: { gateway: { url: d.gatewayUrl, spiffeId: 'spiffe://example.org/ns/qshield/sa/real-gateway', channel: 'apps' } } });
    const s2 = await d.startSidecar(fooled);
    const p2 = new Pool(s2.url);
    const r2 = await put(p2, 'Q.PLAIN', 'x');
    expect(r2.status).toBe(502);
    expect(r2.headers['qshield-error-code']).toBe('ERR_WORKLOAD_GATEWAY_IDENTITY');
    await Promise.all([p1.destroy(), p2.destroy()]);
    expect((await request(`${ps.sidecar.adminUrl}/readyz`)).statusCode).toBe(200);
  });
});

describe('qshield sidecar', () => {
  it('lists every configuration problem and exits 1', async () => {
    const file = join(d.root, 'bad-sidecar.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'qshield.io/sidecar-config/v1alpha1', kind: 'SidecarConfig', listen: { host: '0.0.0.0' }, gateway: { url: 'ftp://x', spiffeId: 'spiffe://example.org/gw' }, identity: { certificateFile: 'a', keyFile: 'b', trustBundleFile: 'c' }, messageKeyring: { dir: 'k' } }));
    const child = spawn(process.execPath, [join(REPO, 'cli/qshield.ts'), 'sidecar', '--config', file], { cwd: REPO });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('ERR_CONFIG_INVALID');
    expect(err).toContain('$.listen.host');
    expect(err).toContain('$.gateway.url');
  });

  it('runs as a process, serves the app, and drains on SIGTERM', async () => {
    const child = await d.spawnSidecar(consumer);
    const pool = new Pool(child.url);
    expect((await put(app.producer, 'Q.PLAIN', 'to the child')).status).toBe(201);
    expect((await get(pool, 'Q.PLAIN', 1000)).text).toBe('to the child');
    await pool.destroy();
    await child.stop();
    expect(child.child.exitCode).toBe(0);
    expect(child.output()).toContain('SIGTERM: draining');
  });
});
