// Leases: messages taken from a queue and held for one peer until it acks them by lease id, or
// until their visibility timeout passes and they return to the queue (docs/delivery.md). The
// workload sidecar gets through leases, so that a message is acked only after its app has the
// whole response; apps use them directly for explicit at-least-once processing.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../lib/errors/index.ts';
import { F, type Logger } from '../../lib/log/index.ts';
import type { Delivery } from '../drivers/driver.ts';

export interface LeaseTableOptions {
  /** Leases one peer may hold at once. */
  readonly maxPerOwner: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface Lease {
  readonly id: string;
  /** The SPIFFE id of the peer that holds it: nobody else may settle it. */
  readonly owner: string;
  readonly queue: string;
  readonly delivery: Delivery;
  readonly expiresAt: number;
}

interface Held extends Lease {
  timer: NodeJS.Timeout;
}

/** Longest visibility timeout: below RabbitMQ's 30-minute delivery acknowledgement timeout. */
export const MAX_LEASE_VISIBILITY_MS = 30 * 60_000;
/** Expired lease ids remembered, so that a late ack is told the lease expired rather than unknown. */
const EXPIRED_MEMORY = 10_000;

function leaseId(): string {
  return randomBytes(18).toString('base64url');
}

export class LeaseTable {
  readonly #o: LeaseTableOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #leases = new Map<string, Held>();
  readonly #perOwner = new Map<string, number>();
  /** id → owner of leases that expired (oldest first), bounded. */
  readonly #expired = new Map<string, string>();
  #closed = false;

  constructor(options: LeaseTableOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#log = options.log.child({ module: 'leases' });
  }

  /** Leases held now, of every owner. */
  get size(): number {
    return this.#leases.size;
  }

  /** Leases `owner` holds now. */
  countFor(owner: string): number {
    return this.#perOwner.get(owner) ?? 0;
  }

  /**
   * Whether `owner` may take one more lease.
   * @throws AppError ERR_LEASE_LIMIT when it holds the most allowed.
   */
  checkRoom(owner: string): void {
    if (this.countFor(owner) >= this.#o.maxPerOwner) {
      throw new AppError('ERR_LEASE_LIMIT', `the peer already holds ${this.#o.maxPerOwner} leases; ack or release some first`, { details: { max: this.#o.maxPerOwner, retryAfterSeconds: 1 } });
    }
  }

  /**
   * Holds a delivery for `owner` until it is acked, released, or `visibilityMs` pass.
   * @throws AppError ERR_LEASE_LIMIT (the delivery is released then), ERR_GATEWAY_DRAINING.
   */
  hold(owner: string, queue: string, delivery: Delivery, visibilityMs: number): Lease {
    if (this.#closed) {
      void delivery.release().catch(() => undefined);
      throw new AppError('ERR_GATEWAY_DRAINING', 'the gateway is shutting down');
    }
    try {
      this.checkRoom(owner);
    } catch (err) {
      void delivery.release().catch(() => undefined);
      throw err;
    }
    const id = leaseId();
    const expiresAt = this.#now() + visibilityMs;
    const timer = setTimeout(() => this.#expire(id), visibilityMs);
    timer.unref();
    const lease: Held = { id, owner, queue, delivery, expiresAt, timer };
    this.#leases.set(id, lease);
    this.#perOwner.set(owner, this.countFor(owner) + 1);
    return lease;
  }

  #take(owner: string, id: string): Held {
    const lease = this.#leases.get(id);
    if (lease === undefined || lease.owner !== owner) {
      if (this.#expired.get(id) === owner) {
        throw new AppError('ERR_LEASE_EXPIRED', 'the lease expired and its message went back to the queue; it may be delivered again', { details: { leaseId: id } });
      }
      // A lease of another peer is reported as unknown: lease ids reveal nothing.
      throw new AppError('ERR_LEASE_NOT_FOUND', 'no such lease is held by this peer', { details: { leaseId: id.slice(0, 64) } });
    }
    this.#forget(lease);
    return lease;
  }

  #forget(lease: Held): void {
    clearTimeout(lease.timer);
    this.#leases.delete(lease.id);
    const n = this.countFor(lease.owner) - 1;
    if (n <= 0) this.#perOwner.delete(lease.owner);
    else this.#perOwner.set(lease.owner, n);
  }

  #expire(id: string): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) return;
    this.#forget(lease);
    this.#expired.set(id, lease.owner);
    if (this.#expired.size > EXPIRED_MEMORY) this.#expired.delete(this.#expired.keys().next().value as string);
    this.#log.info({ [F.queue]: lease.queue, [F.msgId]: lease.delivery.message.messageId, [F.peerId]: lease.owner }, 'lease expired; the message returns to the queue');
    lease.delivery.release().catch((err: unknown) => {
      this.#log.warn({ [F.code]: err instanceof AppError ? err.code : 'ERR_INTERNAL', [F.msgId]: lease.delivery.message.messageId }, 'releasing an expired lease failed');
    });
  }

  /**
   * Removes the leased message for good.
   * @throws AppError ERR_LEASE_NOT_FOUND, ERR_LEASE_EXPIRED; the driver's ERR_BROKER_DELIVERY_LOST
   *   (the broker took the message back; it will be delivered again).
   */
  async ack(owner: string, id: string): Promise<Lease> {
    const lease = this.#take(owner, id);
    await lease.delivery.ack();
    return lease;
  }

  /**
   * Returns the leased message to its queue now.
   * @throws AppError ERR_LEASE_NOT_FOUND, ERR_LEASE_EXPIRED.
   */
  async release(owner: string, id: string): Promise<Lease> {
    const lease = this.#take(owner, id);
    await lease.delivery.release();
    return lease;
  }

  /** Returns every held message to its queue (the gateway is closing). */
  async releaseAll(): Promise<void> {
    this.#closed = true;
    const all = [...this.#leases.values()];
    for (const lease of all) this.#forget(lease);
    await Promise.allSettled(all.map((l) => l.delivery.release()));
  }
}
