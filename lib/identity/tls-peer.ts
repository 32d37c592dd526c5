// The SPIFFE id of the peer on a node:tls connection. A TLS client sees the server's whole
// chain and validates it fully; a TLS server does not (node:tls exposes only the client's leaf,
// not the intermediates it sent), so there OpenSSL's chain verification against the bundle
// roots given as `ca` stands in for ours, and the SPIFFE rules are checked on the leaf.
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { AppError, type ErrorCode } from '../errors/index.ts';
import type { TrustBundle } from './trust-bundle.ts';
import { validateSvid, validateSvidLeaf, type ValidateSvidOptions, type ValidatedSvid } from './validate-svid.ts';

// OpenSSL verification results (socket.authorizationError) by the SVID rule they break.
const TLS_ERRORS: Readonly<Record<string, ErrorCode>> = {
  CERT_HAS_EXPIRED: 'ERR_SVID_EXPIRED',
  CERT_NOT_YET_VALID: 'ERR_SVID_NOT_YET_VALID',
  UNABLE_TO_GET_ISSUER_CERT: 'ERR_SVID_UNKNOWN_ISSUER',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'ERR_SVID_UNKNOWN_ISSUER',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'ERR_SVID_UNKNOWN_ISSUER',
  SELF_SIGNED_CERT_IN_CHAIN: 'ERR_SVID_UNKNOWN_ISSUER',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'ERR_SVID_UNKNOWN_ISSUER',
  CERT_UNTRUSTED: 'ERR_SVID_UNKNOWN_ISSUER',
  CERT_SIGNATURE_FAILURE: 'ERR_SVID_SIGNATURE_INVALID',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'ERR_SVID_SIGNATURE_INVALID',
  INVALID_CA: 'ERR_SVID_ISSUER_NOT_CA',
  PATH_LENGTH_EXCEEDED: 'ERR_SVID_PATH_TOO_LONG',
  CERT_CHAIN_TOO_LONG: 'ERR_SVID_PATH_TOO_LONG',
  INVALID_PURPOSE: 'ERR_SVID_EXTENDED_KEY_USAGE',
};

/** The peer's certificates as node:tls exposes them: leaf first, then issuers (client side only). */
export function peerChain(socket: TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  for (let cert = socket.getPeerX509Certificate(); cert && chain.length < 10; cert = cert.issuerCertificate) {
    if (chain.some((c) => c.raw.equals(cert!.raw))) break; // a self-signed root points at itself
    chain.push(cert);
  }
  return chain;
}

/**
 * Validates the X.509-SVID the peer presented on an established TLS connection.
 *
 * The TLS context must trust exactly the bundle's roots (`ca: bundle.toPem()`): on a server,
 * where node:tls does not expose the client's intermediates, `socket.authorized` (OpenSSL's
 * verification of the path against that `ca`) is what vouches for the chain. Create the server
 * with `requestCert: true` and `rejectUnauthorized: false` so that a refused peer reaches this
 * function and is refused with a specific code (then close the socket) instead of failing the
 * handshake without a trace.
 * @throws AppError ERR_SVID_MISSING (no certificate), any code of validateSvid, or
 *   ERR_SVID_CHAIN_REJECTED (OpenSSL refused the chain for a reason with no closer code;
 *   `details.tlsError`).
 */
export function validatePeerSvid(socket: TLSSocket, bundle: TrustBundle, options: ValidateSvidOptions): ValidatedSvid {
  const chain = peerChain(socket);
  const leaf = chain[0];
  if (!leaf) throw new AppError('ERR_SVID_MISSING', 'the peer presented no certificate');
  if (chain.length > 1) return validateSvid(chain, bundle, options);
  const result = validateSvidLeaf(leaf, bundle, options);
  if (!socket.authorized) {
    const tlsError = String(socket.authorizationError ?? 'unknown');
    const code = TLS_ERRORS[tlsError] ?? 'ERR_SVID_CHAIN_REJECTED';
    throw new AppError(code, `the peer's certificate chain was refused by TLS verification (${tlsError})`, { details: { tlsError } });
  }
  return result;
}
