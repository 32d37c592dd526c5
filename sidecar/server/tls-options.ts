// The gateway's TLS settings: TLS 1.3 unless a channel allows 1.2, AEAD cipher suites only,
// hybrid post-quantum groups preferred, a client certificate always requested, and no session
// resumption (every connection presents and proves its certificate afresh, so a rotated trust
// bundle applies to every new connection at once).
import { constants } from 'node:crypto';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { SERVER_GROUPS } from './tls-groups.ts';

/** TLS 1.3 suites (all AEAD) and the TLS 1.2 ECDHE suites with AEAD ciphers; nothing else. */
export const AEAD_CIPHERS = [
  'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface ServerIdentityPem {
  /** The gateway's SVID chain, leaf first. */
  readonly certPem: string;
  readonly keyPem: string;
  /** The trust bundle's roots, PEM. */
  readonly bundlePem: string;
}

/** The secure-context part: what setSecureContext swaps on rotation. */
export function secureContextOptions(identity: ServerIdentityPem, minVersion: TlsMinVersion): SecureContextOptions {
  return {
    cert: identity.certPem,
    key: identity.keyPem,
    ca: identity.bundlePem,
    minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: AEAD_CIPHERS,
    ecdhCurve: SERVER_GROUPS,
    honorCipherOrder: true,
    // No tickets: with Node's server session cache off, nothing can be resumed.
    secureOptions: constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** Server options: the context plus client-certificate handling. */
export function serverTlsOptions(identity: ServerIdentityPem, minVersion: TlsMinVersion, handshakeTimeoutMs: number): TlsOptions {
  return {
    ...secureContextOptions(identity, minVersion),
    // Request a certificate but decide ourselves after the handshake, so that each refusal gets
    // its own reason and security event instead of an anonymous handshake failure.
    requestCert: true,
    rejectUnauthorized: false,
    handshakeTimeout: handshakeTimeoutMs,
    ALPNProtocols: ['http/1.1'],
  };
}
