import type { RateLimits } from '../config/options.js';
import type { LearnedLimits } from '../core/events.js';
import type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';
import { type BucketEntry, type BucketKind, SlidingBucket } from './sliding-bucket.js';

export type LimitName = 'rpm' | 'tpm' | 'rpd' | 'tpd';

const MINUTE = 60_000;
const DAY = 86_400_000;
const SHAPES: Record<LimitName, { kind: BucketKind; windowMs: number }> = {
  rpm: { kind: 'requests', windowMs: MINUTE },
  tpm: { kind: 'tokens', windowMs: MINUTE },
  rpd: { kind: 'requests', windowMs: DAY },
  tpd: { kind: 'tokens', windowMs: DAY },
};

/** What one call took from the buckets, so its token estimate can be corrected afterwards. */
export interface Reservation {
  readonly tokens: number;
  readonly entries: ReadonlyArray<{ readonly bucket: SlidingBucket; readonly entry: BucketEntry }>;
}

export interface LimitUsage {
  readonly limit: number;
  readonly used: number;
  readonly percent: number;
  readonly learned: boolean;
}

/**
 * The rate buckets of one key, or of a quota group of keys. Configured limits are kept; limits nobody
 * configured are learned from the provider's headers on the first responses that carry them.
 */
export class RateLimiter {
  readonly #buckets = new Map<LimitName, SlidingBucket>();
  readonly #learned = new Set<LimitName>();

  constructor(limits: RateLimits = {}) {
    for (const name of Object.keys(SHAPES) as LimitName[]) {
      const limit = limits[name];
      if (limit !== undefined) this.#set(name, limit);
    }
  }

  get hasLimits(): boolean {
    return this.#buckets.size > 0;
  }

  /** Milliseconds until a call of `tokens` may start; 0 when it may start now. */
  waitFor(tokens: number, now: number): number {
    let wait = 0;
    for (const bucket of this.#buckets.values()) {
      wait = Math.max(wait, bucket.waitFor(bucket.kind === 'requests' ? 1 : tokens, now));
    }
    return wait;
  }

  take(tokens: number, now: number): Reservation {
    const entries = [...this.#buckets.values()].map((bucket) => ({
      bucket,
      entry: bucket.take(bucket.kind === 'requests' ? 1 : tokens, now),
    }));
    return { tokens, entries };
  }

  /** Replaces a reservation's token estimate by what the call really used. */
  reconcile(reservation: Reservation, actualTokens: number, now: number): void {
    const delta = actualTokens - reservation.tokens;
    if (delta === 0) return;
    for (const { bucket, entry } of reservation.entries) {
      if (bucket.kind === 'tokens') bucket.adjust(entry, delta, now);
    }
  }

  /**
   * Keeps the buckets in step with what the provider says: learns limits nobody configured, and
   * counts usage the provider saw that these buckets did not (other clients of the same key).
   * Returns the limits learned by this reading, if any.
   */
  observe(info: RateLimitInfo, now: number): LearnedLimits | undefined {
    const learned: Partial<Record<LimitName, number>> = {};
    const readings: Array<[BucketKind, LimitReading | undefined]> = [
      ['requests', info.requests],
      ['tokens', info.tokens],
    ];
    for (const [kind, reading] of readings) {
      if (!reading || reading.limit === undefined || reading.limit <= 0) continue;
      const name = nameOf(kind, reading.windowMs);
      let bucket = this.#buckets.get(name);
      if (!bucket || (this.#learned.has(name) && bucket.limit !== reading.limit)) {
        if (bucket && !this.#learned.has(name)) continue;
        bucket = this.#set(name, reading.limit);
        this.#learned.add(name);
        learned[name] = reading.limit;
      }
      if (reading.remaining !== undefined) {
        const behind = bucket.limit - reading.remaining - bucket.used(now);
        if (behind > 0) bucket.add(behind, now);
      }
    }
    return Object.keys(learned).length > 0 ? learned : undefined;
  }

  /** Per limit: the limit, units used in the current window, percent used, and whether it was learned. */
  usage(now: number): Partial<Record<LimitName, LimitUsage>> {
    const out: Partial<Record<LimitName, LimitUsage>> = {};
    for (const [name, bucket] of this.#buckets) {
      const used = bucket.used(now);
      out[name] = {
        limit: bucket.limit,
        used,
        percent: Math.round((used / bucket.limit) * 1000) / 10,
        learned: this.#learned.has(name),
      };
    }
    return out;
  }

  /** Fraction of the tightest limit still free in its window: 1 with no limits. */
  headroom(now: number): number {
    let free = 1;
    for (const bucket of this.#buckets.values()) free = Math.min(free, 1 - bucket.used(now) / bucket.limit);
    return Math.max(0, free);
  }

  #set(name: LimitName, limit: number): SlidingBucket {
    const shape = SHAPES[name];
    const bucket = new SlidingBucket(shape.kind, limit, shape.windowMs);
    this.#buckets.set(name, bucket);
    return bucket;
  }
}

function nameOf(kind: BucketKind, windowMs: number): LimitName {
  const perDay = windowMs > MINUTE;
  if (kind === 'requests') return perDay ? 'rpd' : 'rpm';
  return perDay ? 'tpd' : 'tpm';
}
