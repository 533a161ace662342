/** Slack for float drift: 1000 ms × (60 / 60 000) must count as one whole request. */
const EPSILON = 1e-9;

/**
 * A continuously refilled bucket (the GCRA view of a limit): `capacity` units at most, refilled at
 * `limit / periodMs`. Time is passed in, never read, so an injected clock drives it.
 */
export class TokenBucket {
  readonly limit: number;
  readonly capacity: number;
  readonly periodMs: number;
  /**
   * Strict: `remaining` counts against the capacity (so it reaches 0), and a request larger than the
   * capacity goes through once the bucket is full, leaving it in debt (GCRA with a cost).
   */
  readonly strict: boolean;
  #level: number;
  #updatedAt: number;

  constructor(limit: number, periodMs: number, capacity: number, now: number, strict = false) {
    this.limit = limit;
    this.periodMs = periodMs;
    this.capacity = capacity;
    this.strict = strict;
    this.#level = capacity;
    this.#updatedAt = now;
  }

  /** Units available now; negative when a correction has put the bucket in debt. */
  level(now: number): number {
    if (now > this.#updatedAt) {
      const refill = ((now - this.#updatedAt) * this.limit) / this.periodMs;
      this.#level = Math.min(this.capacity, this.#level + refill);
      this.#updatedAt = now;
    }
    return this.#level;
  }

  /** Milliseconds until `amount` units are available (0 when they are now). */
  waitFor(amount: number, now: number): number {
    const needed = this.strict ? Math.min(amount, this.capacity) : amount;
    const missing = needed - this.level(now);
    if (missing <= EPSILON) return 0;
    return (missing * this.periodMs) / this.limit;
  }

  /** Takes `amount` units, or adds them back when negative; never refuses (admission checks first). */
  take(amount: number, now: number): void {
    this.#level = Math.min(this.capacity, this.level(now) - amount);
  }

  /**
   * Whole units left of the limit, as a provider reports `remaining`: the limit less what the bucket
   * still holds against it. With a burst smaller than the limit (a per-minute limit enforced over
   * shorter periods), it is still counted against the limit, as OpenAI's headers are. Strict buckets
   * report what the bucket holds, so a drained bucket says 0.
   */
  remaining(now: number): number {
    if (this.strict) return Math.max(0, Math.floor(this.level(now) + EPSILON));
    return Math.max(0, Math.floor(this.limit - (this.capacity - this.level(now)) + EPSILON));
  }

  /** Milliseconds until the bucket is full again; with capacity = limit, (limit − remaining) × period / limit. */
  resetMs(now: number): number {
    return Math.max(0, ((this.capacity - this.level(now)) * this.periodMs) / this.limit);
  }
}
