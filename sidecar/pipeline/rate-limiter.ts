// Per-peer token buckets for a channel's rateLimit (messages per second, burst): each message
// operation takes one token; an empty bucket answers with the time until the next token.
// Memory is bounded: a bucket that has refilled completely is equivalent to none and is dropped.

export interface RateLimit {
  readonly messagesPerSecond: number;
  /** Bucket size; defaults to messagesPerSecond. */
  readonly burst?: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** When refused: milliseconds until a token is back. */
  readonly retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  readonly rate: number;
  readonly capacity: number;
}

export interface RateLimiterOptions {
  /** Clock in milliseconds; tests inject one. */
  readonly now?: () => number;
  /** Most buckets kept; beyond it full buckets are swept, then the oldest. Default 100,000. */
  readonly maxBuckets?: number;
}

const ALLOWED: RateDecision = Object.freeze({ allowed: true, retryAfterMs: 0 });

export class RateLimiter {
  readonly #now: () => number;
  readonly #maxBuckets: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#maxBuckets = options.maxBuckets ?? 100_000;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token from `key`'s bucket under `limit` (no limit: always allowed). */
  take(key: string, limit: RateLimit | undefined): RateDecision {
    if (limit === undefined) return ALLOWED;
    const now = this.#now();
    const rate = limit.messagesPerSecond;
    const capacity = limit.burst ?? rate;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined || bucket.rate !== rate || bucket.capacity !== capacity) {
      // A changed limit (policy reload) starts a fresh, full bucket.
      bucket = { tokens: capacity, updatedMs: now, rate, capacity };
      if (this.#buckets.size >= this.#maxBuckets) this.#sweep(now);
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.updatedMs) * rate) / 1000);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ALLOWED;
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / rate) };
  }

  #sweep(now: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + ((now - b.updatedMs) * b.rate) / 1000 >= b.capacity) this.#buckets.delete(key);
    }
    // Still full of busy peers: drop the oldest (insertion order), which costs them at most a refill.
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < this.#maxBuckets) break;
      this.#buckets.delete(key);
    }
  }
}
