// Validates the X.509-SVID of each new connection's peer (lib/identity's validatePeerSvid) and
// remembers the result per certificate and trust bundle, so that a peer reconnecting with the
// same SVID costs a hash and a look-up. Requests on a kept-alive connection cost nothing: the
// result is held by the connection. A result is reused only until the path's earliest expiry.
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { validatePeerSvid, type TrustBundle, type ValidatedSvid } from '../../lib/identity/index.ts';

export interface PeerValidatorOptions {
  /** Most remembered certificates per bundle; the cache is cleared when full. Default 10,000. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export class PeerValidator {
  readonly #maxEntries: number;
  readonly #now: () => number;
  #bundle: TrustBundle | undefined;
  readonly #cache = new Map<string, ValidatedSvid>();
  #hits = 0;

  constructor(options: PeerValidatorOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Cache hits so far (tests and benchmarks read it). */
  get hits(): number {
    return this.#hits;
  }

  /**
   * The validated SVID of the socket's peer under `bundle`.
   * @throws AppError ERR_SVID_MISSING, or any ERR_SVID_* / ERR_CERT_* code of lib/identity.
   */
  validate(socket: TLSSocket, bundle: TrustBundle): ValidatedSvid {
    if (bundle !== this.#bundle) {
      // A new bundle (rotation) judges every certificate afresh.
      this.#cache.clear();
      this.#bundle = bundle;
    }
    const now = this.#now();
    // OpenSSL's verdict on the chain comes with each handshake; only verified chains are cached.
    const leaf = socket.authorized ? socket.getPeerX509Certificate() : undefined;
    const key = leaf === undefined ? undefined : createHash('sha256').update(leaf.raw).digest('base64');
    if (key !== undefined) {
      const cached = this.#cache.get(key);
      if (cached !== undefined && now < cached.notAfter.getTime()) {
        this.#hits++;
        return cached;
      }
    }
    const svid = validatePeerSvid(socket, bundle, { purpose: 'client', now });
    if (key !== undefined) {
      if (this.#cache.size >= this.#maxEntries) this.#cache.clear();
      this.#cache.set(key, svid);
    }
    return svid;
  }
}
