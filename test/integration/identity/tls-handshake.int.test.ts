// SVIDs on a real wire: a TLS 1.3 mutual handshake between node:tls peers holding SVIDs issued
// by the qshield CA; the server reads the client's SPIFFE id, the client checks the server's.
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../lib/errors/index.ts';
import type { KeyType } from '../../../lib/identity/keys.ts';
import { validatePeerSvid } from '../../../lib/identity/tls-peer.ts';
import type { ValidatedSvid } from '../../../lib/identity/validate-svid.ts';
import { brokenLeaf, expiredLeaf, issueLeaf, makeCa, untrustedLeaf, wrongDomainLeaf, type TestCa, type TestLeaf } from '../../pki/index.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

type Seen = { id?: string; code?: string; protocol?: string | null };

// A gateway in miniature: TLS 1.3 only, asks for a client certificate, trusts exactly the
// bundle, and lets refused peers through the handshake so their refusal can be named.
async function startServer(serverLeaf: TestLeaf, ca: TestCa): Promise<{ port: number; seen: Promise<Seen> }> {
  let report!: (s: Seen) => void;
  const seen = new Promise<Seen>((resolve) => (report = resolve));
  const server = createServer({
    key: serverLeaf.keyPem, cert: serverLeaf.chainPem, ca: ca.bundlePem,
    minVersion: 'TLSv1.3', requestCert: true, rejectUnauthorized: false,
  }, (socket: TLSSocket) => {
    try {
      const peer = validatePeerSvid(socket, ca.bundle, { purpose: 'client' });
      report({ id: peer.spiffeId.toString(), protocol: socket.getProtocol() });
      socket.end(`hello ${peer.spiffeId}`);
    } catch (err) {
      report({ code: err instanceof AppError ? err.code : String(err) });
      socket.destroy();
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen };
}

// The client side: checks the server's SVID (full chain) itself, instead of a host name; TLS
// verification is left to report rather than to refuse, so our validator is the judge.
function dial(port: number, clientLeaf: TestLeaf | undefined, ca: TestCa): Promise<{ reply: string; server?: ValidatedSvid; error?: string }> {
  return new Promise((resolve) => {
    let server: ValidatedSvid | undefined;
    let error: string | undefined;
    const socket = connect({
      host: '127.0.0.1', port, ca: ca.bundlePem, minVersion: 'TLSv1.3', rejectUnauthorized: false,
      ...(clientLeaf ? { key: clientLeaf.keyPem, cert: clientLeaf.chainPem } : {}),
      checkServerIdentity: () => undefined,
    }, () => {
      try {
        server = validatePeerSvid(socket, ca.bundle, { purpose: 'server' });
      } catch (err) {
        error = err instanceof AppError ? err.code : String(err);
        socket.destroy();
      }
    });
    let reply = '';
    socket.on('data', (chunk) => (reply += chunk));
    socket.on('close', () => resolve({ reply, ...(server ? { server } : {}), ...(error ? { error } : {}) }));
    socket.on('error', () => undefined);
  });
}

describe('mutual TLS 1.3 with SVIDs', () => {
  it.each(['ec-p256', 'rsa-2048', 'rsa-3072'] as KeyType[])('%s: the server reads the client\'s SPIFFE id, the client the server\'s', async (keyType) => {
    const ca = makeCa({ keyType, trustDomain: 'bank.example' });
    const serverLeaf = issueLeaf('spiffe://bank.example/ns/payments/sa/gateway', { ca, keyType });
    const clientLeaf = issueLeaf('spiffe://bank.example/ns/shop/sa/checkout', { ca, keyType });
    const { port, seen } = await startServer(serverLeaf, ca);
    const result = await dial(port, clientLeaf, ca);
    expect(await seen).toEqual({ id: 'spiffe://bank.example/ns/shop/sa/checkout', protocol: 'TLSv1.3' });
    expect(result.reply).toBe('hello spiffe://bank.example/ns/shop/sa/checkout');
    expect(result.server?.spiffeId.toString()).toBe('spiffe://bank.example/ns/payments/sa/gateway');
    // The client saw the whole chain, so its check covered the intermediate and root too.
    expect(result.server?.path).toHaveLength(3);
  });

  const ID = 'spiffe://example.org/ns/shop/sa/checkout';
  it.each<[string, (ca: TestCa) => TestLeaf | undefined, string]>([
    ['no certificate', () => undefined, 'ERR_SVID_MISSING'],
    ['an expired SVID', (ca) => expiredLeaf(ID, { ca }), 'ERR_SVID_EXPIRED'],
    ['an SVID from an untrusted CA', () => untrustedLeaf(ID), 'ERR_SVID_UNKNOWN_ISSUER'],
    ['an SVID of another trust domain', () => wrongDomainLeaf(), 'ERR_SVID_WRONG_TRUST_DOMAIN'],
    ['an SVID that is not for TLS clients', (ca) => brokenLeaf(ID, 'no-client-auth', { ca }), 'ERR_SVID_EXTENDED_KEY_USAGE'],
    ['an SVID with two URI SANs', (ca) => brokenLeaf(ID, 'two-uri-sans', { ca }), 'ERR_SVID_MULTIPLE_URI_SANS'],
    // Only OpenSSL's chain verification can see this one on the server side.
    ['an SVID whose signature is forged', (ca) => brokenLeaf(ID, 'bad-signature', { ca }), 'ERR_SVID_SIGNATURE_INVALID'],
  ])('the server refuses a client with %s, naming why', async (_name, makeClient, code) => {
    const ca = makeCa();
    const { port, seen } = await startServer(issueLeaf('spiffe://example.org/ns/payments/sa/gateway', { ca }), ca);
    await dial(port, makeClient(ca), ca);
    expect((await seen).code).toBe(code);
  });

  it('the client refuses a server whose SVID another CA issued', async () => {
    const ca = makeCa();
    const { port } = await startServer(untrustedLeaf('spiffe://example.org/ns/payments/sa/gateway'), ca);
    const result = await dial(port, issueLeaf('spiffe://example.org/ns/shop/sa/checkout', { ca }), ca);
    expect(result.server).toBeUndefined();
    expect(result.error).toBe('ERR_SVID_UNKNOWN_ISSUER');
  });
});
