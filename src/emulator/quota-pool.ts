import type { PoolLimits } from './options.js';
import { TokenBucket } from './token-bucket.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export type LimitDimension =
  | 'requests-minute'
  | 'tokens-minute'
  | 'requests-day'
  | 'tokens-day'
  | 'concurrency';

/** One limit as the provider reports it in headers. */
export interface BucketState {
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
}

export type PoolState = Partial<Record<Exclude<LimitDimension, 'concurrency'>, BucketState>>;

export type Admission =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly dimension: LimitDimension;
      readonly limit: number;
      readonly used: number;
      readonly requested: number;
      readonly retryAfterMs: number;
      /** The request alone is larger than the bucket can ever hold. */
      readonly tooLarge: boolean;
    };

interface Meter {
  readonly dimension: Exclude<LimitDimension, 'concurrency'>;
  readonly bucket: TokenBucket;
  readonly unit: 'requests' | 'tokens';
}

/** The shared quota of one or more keys: four buckets and a concurrency cap. */
export class QuotaPool {
  readonly name: string;
  readonly limits: PoolLimits;
  #meters: Meter[] = [];
  #inFlight = 0;

  constructor(name: string, limits: PoolLimits, now: number) {
    this.name = name;
    this.limits = limits;
    const add = (
      dimension: Meter['dimension'],
      unit: Meter['unit'],
      limit: number | undefined,
      period: number,
      capacity?: number,
    ): void => {
      if (limit !== undefined)
        this.#meters.push({
          dimension,
          unit,
          bucket: new TokenBucket(limit, period, capacity ?? limit, now),
        });
    };
    add('requests-minute', 'requests', limits.rpm, MINUTE, limits.burst);
    add('tokens-minute', 'tokens', limits.tpm, MINUTE, limits.tokenBurst);
    add('requests-day', 'requests', limits.rpd, DAY);
    add('tokens-day', 'tokens', limits.tpd, DAY);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Checks every limit; when all allow, charges them all and counts the request in flight. */
  admit(tokens: number, now: number): Admission {
    const cap = this.limits.concurrency;
    if (cap !== undefined && this.#inFlight >= cap) {
      return {
        ok: false,
        dimension: 'concurrency',
        limit: cap,
        used: this.#inFlight,
        requested: 1,
        retryAfterMs: 1000,
        tooLarge: false,
      };
    }
    let worst: Admission | undefined;
    for (const { dimension, unit, bucket } of this.#meters) {
      const requested = unit === 'requests' ? 1 : tokens;
      const tooLarge = requested > bucket.capacity;
      const wait = bucket.waitFor(requested, now);
      if (!tooLarge && wait === 0) continue;
      const used = Math.max(0, Math.ceil(bucket.capacity - bucket.level(now)));
      const refusal = {
        ok: false,
        dimension,
        limit: bucket.limit,
        used,
        requested,
        retryAfterMs: wait,
        tooLarge,
      } as const;
      if (tooLarge) return refusal;
      if (worst === undefined || (!worst.ok && worst.retryAfterMs < wait)) worst = refusal;
    }
    if (worst !== undefined) return worst;
    for (const { unit, bucket } of this.#meters) bucket.take(unit === 'requests' ? 1 : tokens, now);
    this.#inFlight++;
    return { ok: true };
  }

  /** Ends a request admitted by `admit`. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** Corrects the token charge once the real count is known (negative gives tokens back). */
  adjustTokens(delta: number, now: number): void {
    if (delta === 0) return;
    for (const { unit, bucket } of this.#meters) if (unit === 'tokens') bucket.take(delta, now);
  }

  state(now: number): PoolState {
    const state: PoolState = {};
    for (const { dimension, bucket } of this.#meters) {
      state[dimension] = {
        limit: bucket.limit,
        remaining: bucket.remaining(now),
        resetMs: bucket.resetMs(now),
      };
    }
    return state;
  }
}
