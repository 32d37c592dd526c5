// Rotation and reload under traffic: the gateway's SVID, its trust bundle (a CA rotation in
// three steps) and the policy bundle change while clients keep putting and getting over
// kept-alive and new connections; no request fails. Bad new files are refused with an event and
// the last good ones stay in force.
import type { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { writeFileSync } from 'node:fs';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLeaf, makeCa, type TestCa, type TestLeaf } from '../pki/index.ts';
import { app, call, connectOptions, GATEWAY_ID, Q, startGatewayFixture, TD, testBundle, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
beforeAll(async () => {
  gw = await startGatewayFixture();
});
afterAll(async () => {
  await gw?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `predicate` holds (the gateway polls its files every 50 ms). */
async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await predicate()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The leaf certificate the gateway presents to a new connection now. */
function servedCertificate(leaf: TestLeaf, trust: string): Promise<X509Certificate> {
  const url = new URL(gw.url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ...connectOptions(gw.ca, leaf, { trust }) }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert === undefined) reject(new Error('no certificate'));
      else resolve(cert);
    });
    socket.once('error', reject);
  });
}

interface Traffic {
  /** Waits until `n` more round trips succeeded: progress is counted, not timed, so a loaded machine only slows it. */
  progress(n: number, what: string): Promise<void>;
  stop(): Promise<{ ok: number; failures: string[] }>;
}

/**
 * Put-then-get round trips from `workers` clients until stopped: half on one kept-alive pool,
 * half opening a new connection for every round trip (so rotations meet both kinds).
 */
function traffic(fixture: GatewayFixture, leaf: () => TestLeaf, trust: () => string, queue: string, workers = 4): Traffic {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const kept = new Pool(fixture.url, { connections: 2, connect: connectOptions(fixture.ca, leaf(), { trust: trust() }) });
  const loops = Array.from({ length: workers }, async (_, w) => {
    let n = 0;
    while (running) {
      const fresh = w % 2 === 1 ? new Pool(fixture.url, { connections: 1, connect: connectOptions(fixture.ca, leaf(), { trust: trust() }) }) : undefined;
      const client = fresh ?? kept;
      const body = `w${w}-${n++}`;
      try {
        const put = await call(client, 'POST', Q(queue), { body, headers: { 'ibm-mq-md-correlationId': `ID:${Buffer.from(body.padEnd(24, '.')).toString('hex')}` } });
        if (put.status !== 201) failures.push(`put ${put.status} ${put.text}`);
        const got = await call(client, 'DELETE', `${Q(queue)}?correlationId=ID:${Buffer.from(body.padEnd(24, '.')).toString('hex')}`);
        if (got.status !== 200 || got.text !== body) failures.push(`get ${got.status} ${got.text}`);
        else ok++;
      } catch (err) {
        failures.push(`${(err as Error).name}: ${(err as Error).message}`);
      } finally {
        await fresh?.close();
      }
    }
  });
  return {
    async progress(n, what) {
      const target = ok + n;
      await until(() => ok >= target || failures.length > 0, `${n} round trips ${what}`, 60_000);
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      await kept.close();
      return { ok, failures };
    },
  };
}

describe('rotation of the gateway\'s SVID', () => {
  it('serves the new SVID to new connections without failing a request', async () => {
    const client = issueLeaf(app('rotating-client'));
    const before = await servedCertificate(client, gw.ca.bundlePem);
    const load = traffic(gw, () => client, () => gw.ca.bundlePem, 'APP.IN');
    await load.progress(10, 'before the rotation');
    const next = issueLeaf(GATEWAY_ID);
    gw.writeIdentity(next);
    await until(() => gw.events('identity-rotated').length > 0, 'identity-rotated');
    await load.progress(10, 'after the rotation');
    const { ok, failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(20);
    const after = await servedCertificate(client, gw.ca.bundlePem);
    expect(after.fingerprint256).toBe(next.cert.fingerprint256);
    expect(after.fingerprint256).not.toBe(before.fingerprint256);
    expect(gw.events('identity-rotated').at(-1)).toMatchObject({ qshield: { identity: { kind: 'svid', spiffe_id: GATEWAY_ID } } });
  });

  it('refuses a broken or mismatched new SVID with an event and keeps serving the last good one', async () => {
    const client = issueLeaf(app('rotating-client'));
    const current = gw.running.gateway.identity().fingerprint;
    writeFileSync(gw.files.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    await until(() => gw.events('identity-rotation-failed').length >= 1, 'a refusal of the broken SVID');
    expect(gw.events('identity-rotation-failed').at(-1)).toMatchObject({ event: { code: 'identity-invalid' } });
    // A certificate whose key is not the key file's: a half-written rotation.
    writeFileSync(gw.files.cert, issueLeaf(GATEWAY_ID).chainPem);
    await until(() => gw.events('identity-rotation-failed').some((e) => (e.event as { code: string }).code === 'key-mismatch'), 'a key-mismatch refusal');
    expect(gw.running.gateway.identity().fingerprint).toBe(current);
    expect((await call(gw.client(client), 'GET', '/qshield/v1/connection')).status).toBe(200);
    // One event per distinct bad file set, not one per poll.
    const refusals = gw.events('identity-rotation-failed').length;
    await sleep(300);
    expect(gw.events('identity-rotation-failed').length).toBe(refusals);
    const fixed = issueLeaf(GATEWAY_ID);
    gw.writeIdentity(fixed);
    await until(() => gw.running.gateway.identity().fingerprint !== current, 'the fixed SVID');
    expect((await servedCertificate(client, gw.ca.bundlePem)).fingerprint256).toBe(fixed.cert.fingerprint256);
  });
});

describe('rotation of the trust bundle (a CA rotation)', () => {
  it('moves to a new CA in three steps without failing a request', async () => {
    const oldCa = gw.ca;
    const newCa: TestCa = makeCa({ trustDomain: TD });
    const both = oldCa.bundlePem + newCa.bundlePem;
    let current = issueLeaf(app('ca-rotating'), { ca: oldCa });
    const load = traffic(gw, () => current, () => both, 'APP.OUT');
    await load.progress(5, 'before the rotation');

    // 1. Trust both roots.
    writeFileSync(gw.files.bundle, both);
    await until(() => gw.events('identity-rotated').some((e) => (e.qshield as { identity: { kind: string } }).identity.kind === 'trust-bundle'), 'the two-root bundle');
    // 2. The gateway and the clients move to SVIDs of the new CA.
    gw.writeIdentity(issueLeaf(GATEWAY_ID, { ca: newCa }));
    await until(async () => (await servedCertificate(issueLeaf(app('probe'), { ca: newCa }), both)).issuer === newCa.intermediate.subject, 'the new gateway SVID');
    current = issueLeaf(app('ca-rotating'), { ca: newCa });
    await load.progress(5, 'with SVIDs of the new CA');
    // 3. Retire the old root.
    writeFileSync(gw.files.bundle, newCa.bundlePem);
    await until(() => gw.running.gateway.identity().bundle.roots.length === 1, 'the one-root bundle');
    await load.progress(10, 'after the old root was retired');

    const { ok, failures } = await load.stop();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(20);
    // A client still holding an SVID of the old CA is refused now.
    const stale = await call(new Pool(gw.url, { connect: connectOptions(gw.ca, issueLeaf(app('stale'), { ca: oldCa }), { trust: both }) }), 'GET', '/qshield/v1/connection').catch((err: Error) => err);
    expect(stale).toBeInstanceOf(Error);
    expect(gw.events('connection-refused').at(-1)).toMatchObject({ event: { code: 'identity-invalid' }, error: { code: 'ERR_SVID_UNKNOWN_ISSUER' } });
  });
});

describe('reload of the policy bundle', () => {
  it('applies a new bundle to kept-alive connections at their next request, without dropping others', async () => {
    const pg = await startGatewayFixture();
    try {
      const doomed = pg.client(issueLeaf(app('doomed')));
      const staying = pg.client(issueLeaf(app('staying')));
      expect((await call(doomed, 'GET', '/qshield/v1/connection')).status).toBe(200);
      expect((await call(staying, 'GET', '/qshield/v1/connection')).status).toBe(200);
      const load = traffic(pg, () => issueLeaf(app('steady')), () => pg.ca.bundlePem, 'APP.IN');
      const next = testBundle('test/2') as { channels: { name: string; rules: unknown[] }[] };
      next.channels[0]?.rules.unshift({ peer: app('doomed'), action: 'block', description: 'revoked in test/2' });
      pg.writePolicy(next);
      await until(() => pg.running.gateway.policy().revision === 'test/2', 'revision test/2');
      const refused = await call(doomed, 'GET', '/qshield/v1/connection');
      expect(refused.status).toBe(403);
      expect(refused.headers['qshield-error-code']).toBe('ERR_GATEWAY_CHANNEL_BLOCKED');
      expect((await call(staying, 'GET', '/qshield/v1/connection')).status).toBe(200);
      const { failures } = await load.stop();
      expect(failures).toEqual([]);
      expect(pg.events('policy-bundle-loaded').at(-1)).toMatchObject({ qshield: { bundle: { revision: 'test/2', previous_revision: 'test/1' } } });
      expect(await pg.running.observability.registry.metrics()).toContain('qshield_policy_bundle_info{revision="test/2"} 1');
    } finally {
      await pg.close();
    }
  });

  it('refuses an invalid bundle with every problem listed, keeping the last good one', async () => {
    const pg = await startGatewayFixture();
    try {
      const bad = testBundle('test/bad') as Record<string, unknown> & { channels: Record<string, unknown>[] };
      (bad.channels[0] as Record<string, unknown>).tsl = { minVersion: 'TLSv1.3' };
      bad.queues = [{ name: 'bad name with spaces' }];
      pg.writePolicy(bad);
      await until(() => pg.events('policy-bundle-refused').length > 0, 'policy-bundle-refused');
      const event = pg.events('policy-bundle-refused').at(-1) as { qshield: { bundle: { active_revision: string; problems: { path: string }[]; problems_total: number } } };
      expect(event.qshield.bundle.active_revision).toBe('test/1');
      expect(event.qshield.bundle.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['$.channels[0].tsl', '$.queues[0].name']));
      expect(pg.running.gateway.policy().revision).toBe('test/1');
      expect((await call(pg.client(issueLeaf(app('producer'))), 'POST', Q('APP.IN'), { body: 'still served' })).status).toBe(201);
      expect(await pg.running.observability.registry.metrics()).toMatch(/qshield_policy_bundle_reload_failures_total [1-9]/);
      // The same bad file is one event, not one per poll; a good one is taken again.
      await sleep(200);
      expect(pg.events('policy-bundle-refused').length).toBe(1);
      pg.writePolicy(testBundle('test/3'));
      await until(() => pg.running.gateway.policy().revision === 'test/3', 'revision test/3');
    } finally {
      await pg.close();
    }
  });

  it('declares the queues a new bundle adds, so they can be used at once', async () => {
    const pg = await startGatewayFixture();
    try {
      const next = testBundle('test/2') as { queues: { name: string }[] };
      next.queues.push({ name: 'APP.NEW' });
      const c = pg.client(issueLeaf(app('producer')));
      expect((await call(c, 'POST', Q('APP.NEW'), { body: 'x' })).status).toBe(404);
      pg.writePolicy(next);
      await until(() => pg.running.gateway.policy().revision === 'test/2', 'revision test/2');
      expect((await call(c, 'POST', Q('APP.NEW'), { body: 'new' })).status).toBe(201);
      expect((await call(c, 'DELETE', Q('APP.NEW'))).text).toBe('new');
    } finally {
      await pg.close();
    }
  });
});
