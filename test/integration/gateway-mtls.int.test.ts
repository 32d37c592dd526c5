// The gateway's front door over real TLS: every way a connection is refused (no certificate,
// foreign CA, expired, other trust domain, blocked, back-stop, no connect authority, unknown
// channel, too weak a TLS), each with its security event; TLS 1.2 only where a channel allows
// it; the negotiated key-exchange group as the gateway records it, checked against what the
// client itself negotiated; and the protection policy's minimum channel strength.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiredLeaf, issueLeaf, untrustedLeaf, wrongDomainLeaf, brokenLeaf, type TestLeaf } from '../pki/index.ts';
import { app, call, connectOptions, Q, startGatewayFixture, type ClientOptions, type GatewayFixture } from '../support/gateway-fixture.ts';

let gw: GatewayFixture;
beforeAll(async () => {
  gw = await startGatewayFixture();
});
afterAll(async () => {
  await gw?.close();
});

interface RawReply {
  readonly socket: TLSSocket;
  readonly status: number | undefined;
  readonly text: string;
  /** How the connection ended: the server closed it, or an error. */
  readonly closedBy: 'server' | 'error';
}

/** Opens a TLS connection by hand, sends one request and reads until the server closes. */
function rawRequest(leaf: TestLeaf | undefined, request: string, options: ClientOptions = {}): Promise<RawReply> {
  const url = new URL(gw.url);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ...connectOptions(gw.ca, leaf, options) });
    let text = '';
    let settled = false;
    const done = (closedBy: 'server' | 'error') => {
      if (settled) return;
      settled = true;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({ socket, status: status === undefined ? undefined : Number(status), text, closedBy });
    };
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    socket.once('end', () => done('server'));
    socket.once('close', () => done('server'));
    socket.once('error', () => done('error'));
  });
}

const GET_CONNECTION = 'GET /qshield/v1/connection HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n';
const lastEvent = (action: string) => gw.events(action).at(-1) as Record<string, Record<string, unknown>> | undefined;

describe('refused at the TLS layer (no HTTP answer, the connection is closed)', () => {
  it.each([
    ['no client certificate', () => undefined, 'no-client-certificate', 'ERR_SVID_MISSING'],
    ['a certificate from a CA the bundle does not hold', () => untrustedLeaf(app('intruder')), 'identity-invalid', 'ERR_SVID_UNKNOWN_ISSUER'],
    ['an expired certificate', () => expiredLeaf(app('late')), 'identity-invalid', 'ERR_SVID_EXPIRED'],
    ['a certificate of another trust domain', () => wrongDomainLeaf(), 'identity-invalid', undefined],
    ['a certificate that is no SVID (no URI SAN)', () => brokenLeaf(app('nouri'), 'no-uri-san'), 'identity-invalid', 'ERR_SVID_NO_SPIFFE_ID'],
    ['a certificate without clientAuth', () => brokenLeaf(app('server-only'), 'no-client-auth'), 'identity-invalid', undefined],
  ])('refuses %s', async (_what, make, code, errorCode) => {
    const before = gw.events('connection-refused').length;
    const reply = await rawRequest(make(), GET_CONNECTION);
    expect(reply.status).toBeUndefined();
    const events = gw.events('connection-refused');
    expect(events.length).toBe(before + 1);
    const event = events.at(-1) as Record<string, Record<string, unknown>>;
    expect(event.event).toMatchObject({ code, outcome: 'failure' });
    if (errorCode !== undefined) expect(event.error).toEqual({ code: errorCode });
    else expect((event.error as { code: string }).code).toMatch(/^ERR_(SVID|CERT)_/);
    expect(event.tls).toMatchObject({ version: '1.3' });
  });

  it('names the SPIFFE id an expired certificate claimed, for the SIEM', async () => {
    await rawRequest(expiredLeaf(app('late')), GET_CONNECTION);
    expect(lastEvent('connection-refused')?.client).toEqual({ user: { id: app('late') } });
  });

  it('counts the refused handshakes by reason', async () => {
    const text = await gw.running.observability.registry.metrics();
    expect(text).toMatch(/qshield_tls_handshake_failures_total\{reason="no_client_certificate"\} [1-9]/);
    expect(text).toMatch(/qshield_tls_handshake_failures_total\{reason="certificate_invalid"\} [1-9]/);
  });
});

describe('refused by the channel: one MQ reply (2035 …), then the connection closes', () => {
  it.each([
    ['a peer a block rule names', app('blocked'), 'peer-blocked'],
    ['a peer no rule names (the back-stop)', `spiffe://example.org/ns/other/sa/stranger`, 'back-stop'],
  ])('refuses %s', async (_what, id, code) => {
    const reply = await rawRequest(issueLeaf(id), GET_CONNECTION);
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('qshield-error-code: ERR_GATEWAY_CHANNEL_BLOCKED');
    expect(reply.text).toContain('"reasonCode":2035');
    expect(reply.closedBy).toBe('server');
    const event = lastEvent('connection-refused');
    expect(event?.event).toMatchObject({ code });
    expect(event?.client).toEqual({ user: { id } });
    expect(event?.qshield).toMatchObject({ channel: 'apps', reason_code: 2035 });
  });

  it('refuses a principal without connect authority on the queue manager', async () => {
    const reply = await call(gw.client(issueLeaf(app('noconnect'))), 'GET', '/qshield/v1/connection');
    expect(reply.status).toBe(403);
    expect(reply.headers['qshield-error-code']).toBe('ERR_GATEWAY_NOT_AUTHORIZED');
    expect(lastEvent('authorization-denied')?.qshield).toMatchObject({ principal: app('noconnect'), operation: 'connect', object_type: 'qmgr' });
  });

  it('refuses a connection naming an unknown channel when there is no default channel', async () => {
    const strict = await startGatewayFixture({ config: { defaultChannel: undefined } });
    try {
      const reply = await call(strict.client(issueLeaf(app('producer')), { channel: 'no-such-channel' }), 'GET', '/qshield/v1/connection');
      expect(reply.status).toBe(403);
      expect(reply.headers['qshield-error-code']).toBe('ERR_GATEWAY_UNKNOWN_CHANNEL');
      expect(((reply.json as { error: { reasonCode: number }[] }).error[0])?.reasonCode).toBe(2540);
      expect(strict.events('connection-refused').at(-1)).toMatchObject({ event: { code: 'unknown-channel' } });
      // Named properly, the same peer gets in.
      expect((await call(strict.client(issueLeaf(app('producer')), { channel: 'apps' }), 'GET', '/qshield/v1/connection')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('takes the channel from the TLS server name, and the default channel otherwise', async () => {
    const producer = issueLeaf(app('producer'));
    expect((await call(gw.client(producer, { channel: 'limited' }), 'GET', '/qshield/v1/connection')).json).toMatchObject({ channel: 'limited' });
    expect((await call(gw.client(producer), 'GET', '/qshield/v1/connection')).json).toMatchObject({ channel: 'apps' });
    expect((await call(gw.client(producer, { channel: 'gateway.qm1.svc' }), 'GET', '/qshield/v1/connection')).json).toMatchObject({ channel: 'apps' });
  });
});

describe('TLS versions and post-quantum key exchange', () => {
  it('records the group the client negotiated: the server-side reading matches the client\'s own', async () => {
    for (const groups of [undefined, 'X25519MLKEM768', 'X25519', 'P-256', 'X25519:X25519MLKEM768']) {
      const reply = await rawRequest(issueLeaf(app('producer')), 'GET /qshield/v1/connection HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n', { ...(groups === undefined ? {} : { groups }) });
      const clientView = reply.socket.getEphemeralKeyInfo() as { name?: string } | null;
      const body = JSON.parse(reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)) as { tls: { group: string } };
      const expected = clientView?.name === 'prime256v1' ? 'P-256' : clientView?.name;
      expect(body.tls.group, `client offered ${groups ?? 'its defaults'}`).toBe(expected);
    }
  });

  it('prefers the hybrid group even when the client lists a classical one first', async () => {
    const reply = await call(gw.client(issueLeaf(app('producer')), { groups: 'X25519:P-256:X25519MLKEM768' }), 'GET', '/qshield/v1/connection');
    expect(reply.json).toMatchObject({ tls: { group: 'X25519MLKEM768', hybridKeyExchange: true } });
  });

  it('refuses a classical key exchange on a hybrid-required channel, with an event', async () => {
    const producer = issueLeaf(app('producer'));
    const weak = await call(gw.client(producer, { channel: 'pq', groups: 'X25519:P-256' }), 'GET', '/qshield/v1/connection');
    expect(weak.status).toBe(403);
    expect(weak.headers['qshield-error-code']).toBe('ERR_GATEWAY_TLS_TOO_WEAK');
    expect(lastEvent('connection-refused')).toMatchObject({ event: { code: 'tls-too-weak' }, tls: { curve: 'X25519' }, qshield: { channel: 'pq' } });
    expect((await call(gw.client(producer, { channel: 'pq' }), 'GET', '/qshield/v1/connection')).json).toMatchObject({ channel: 'pq', tls: { group: 'X25519MLKEM768' } });
  });

  it('takes TLS 1.2 (AEAD suites only) where a channel allows it, and nowhere else', async () => {
    const producer = issueLeaf(app('producer'));
    const legacy = await call(gw.client(producer, { channel: 'legacy', maxVersion: 'TLSv1.2' }), 'GET', '/qshield/v1/connection');
    expect(legacy.json).toMatchObject({ channel: 'legacy', tls: { protocol: 'TLSv1.2', cipher: expect.stringMatching(/_(GCM|POLY1305)_/) } });
    const refused = await call(gw.client(producer, { channel: 'apps', maxVersion: 'TLSv1.2' }), 'GET', '/qshield/v1/connection');
    expect(refused.status).toBe(403);
    expect(refused.headers['qshield-error-code']).toBe('ERR_GATEWAY_TLS_TOO_WEAK');
  });

  it('never negotiates a cipher without AEAD', async () => {
    const reply = await rawRequest(issueLeaf(app('producer')), GET_CONNECTION, { channel: 'legacy', maxVersion: 'TLSv1.2' });
    expect(reply.socket.getCipher().name).toMatch(/GCM|CHACHA20/);
    const cbcOnly = await new Promise<string>((resolve) => {
      const url = new URL(gw.url);
      const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ...connectOptions(gw.ca, issueLeaf(app('producer')), { channel: 'legacy', maxVersion: 'TLSv1.2' }), ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA' });
      socket.once('secureConnect', () => resolve('connected'));
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(cbcOnly).not.toBe('connected');
  });

  it('refuses puts and gets on a queue whose policy demands more than the connection has (attribute mismatch)', async () => {
    const producer = issueLeaf(app('producer'));
    const classical = gw.client(producer, { groups: 'X25519' });
    const put = await call(classical, 'POST', Q('PQ.ONLY'), { body: 'x' });
    expect(put.status).toBe(403);
    expect(put.headers['qshield-error-code']).toBe('ERR_GATEWAY_CHANNEL_TOO_WEAK');
    expect(((put.json as { error: { reasonCode: number; message: string }[] }).error[0])).toMatchObject({ reasonCode: 2063, message: expect.stringContaining('attribute mismatch') });
    expect(lastEvent('protection-violation')).toMatchObject({ event: { code: 'channel-too-weak' }, qshield: { queue: 'PQ.ONLY', operation: 'put', protection: { policy: 'pq', disposition: 'refused' } } });
    expect((await call(classical, 'DELETE', Q('PQ.ONLY'))).status).toBe(403);
    const hybrid = gw.client(producer);
    expect((await call(hybrid, 'POST', Q('PQ.ONLY'), { body: 'pq' })).status).toBe(201);
    expect((await call(hybrid, 'DELETE', Q('PQ.ONLY'))).text).toBe('pq');
  });

  it('counts handshakes by version and group', async () => {
    const text = await gw.running.observability.registry.metrics();
    expect(text).toMatch(/qshield_tls_handshakes_total\{version="TLSv1.3",group="X25519MLKEM768"\} [1-9]/);
    expect(text).toMatch(/qshield_tls_handshakes_total\{version="TLSv1.2",group="[^"]+"\} [1-9]/);
  });
});

describe('peer validation is per connection and cached per certificate', () => {
  it('validates a reconnecting peer\'s SVID once, and a kept-alive connection never again', async () => {
    const leaf = issueLeaf(app('repeat'));
    const c = gw.client(leaf);
    for (let i = 0; i < 5; i++) expect((await call(c, 'GET', '/qshield/v1/connection')).status).toBe(200);
    const accepted = () => gw.events('connection-accepted').filter((e) => (e.client as { user: { id: string } }).user.id === app('repeat')).length;
    expect(accepted()).toBe(1);
    const again = gw.client(leaf);
    expect((await call(again, 'GET', '/qshield/v1/connection')).status).toBe(200);
    expect(accepted()).toBe(2);
  });
});
