import type { PoolLimits } from '../config/options.js';
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

/**
 * The shared quota of one or more keys: a concurrency cap, and four buckets per model (as providers count
 * them; one set for every model with `perModel: false`), made full on a model's first request.
 */
export class QuotaPool {
  readonly name: string;
  readonly limits: PoolLimits;
  readonly #scopes = new Map<string, Meter[]>();
  /** The model scope of the last request, what `state()` reports when given none. */
  #lastScope = '';
  #inFlight = 0;

  constructor(name: string, limits: PoolLimits) {
    this.name = name;
    this.limits = limits;
  }

  /** The buckets `scope` (see `modelScope`) draws from: its own, or the pool's one set with `perModel: false`. */
  #meters(scope: string, now: number): Meter[] {
    const key = this.limits.perModel === false ? '' : scope;
    let meters = this.#scopes.get(key);
    if (meters === undefined) {
      meters = makeMeters(this.limits, now);
      this.#scopes.set(key, meters);
    }
    return meters;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Checks every limit of the model's scope; when all allow, charges them all and counts the request in flight. */
  admit(tokens: number, now: number, scope = ''): Admission {
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
    this.#lastScope = scope;
    const meters = this.#meters(scope, now);
    let worst: Admission | undefined;
    for (const { dimension, unit, bucket } of meters) {
      const requested = unit === 'requests' ? 1 : tokens;
      // A strict bucket lets a request larger than its burst through once full; only the limit is a wall.
      const tooLarge = requested > (bucket.strict ? bucket.limit : bucket.capacity);
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
    for (const { unit, bucket } of meters) bucket.take(unit === 'requests' ? 1 : tokens, now);
    this.#inFlight++;
    return { ok: true };
  }

  /** Ends a request admitted by `admit`. */
  release(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** Corrects the token charge once the real count is known (negative gives tokens back). */
  adjustTokens(delta: number, now: number, scope = ''): void {
    if (delta === 0) return;
    for (const { unit, bucket } of this.#meters(scope, now)) if (unit === 'tokens') bucket.take(delta, now);
  }

  /**
   * The model scope's buckets as headers report them (a response's headers are about its model's limits);
   * `refused` (the dimension a 429 is about) reports 0 remaining when strict. Without a scope: the scope
   * of the pool's last request.
   */
  state(now: number, refused?: LimitDimension, scope = this.#lastScope): PoolState {
    const state: PoolState = {};
    for (const { dimension, bucket } of this.#meters(scope, now)) {
      state[dimension] = {
        limit: bucket.limit,
        remaining: bucket.strict && dimension === refused ? 0 : bucket.remaining(now),
        resetMs: bucket.resetMs(now),
      };
    }
    return state;
  }
}

/** A pool's four buckets, full at `now`. */
function makeMeters(limits: PoolLimits, now: number): Meter[] {
  const meters: Meter[] = [];
  const strict = limits.strict === true;
  const add = (
    dimension: Meter['dimension'],
    unit: Meter['unit'],
    limit: number | undefined,
    period: number,
    capacity?: number,
  ): void => {
    if (limit !== undefined)
      meters.push({
        dimension,
        unit,
        bucket: new TokenBucket(limit, period, capacity ?? limit, now, strict),
      });
  };
  if (strict) {
    const c = strictCapacities(limits);
    add('requests-minute', 'requests', limits.rpm, MINUTE, c.rpm);
    add('tokens-minute', 'tokens', limits.tpm, MINUTE, c.tpm);
    add('requests-day', 'requests', limits.rpd, DAY, c.rpd);
    add('tokens-day', 'tokens', limits.tpd, DAY, c.tpd);
    return meters;
  }
  add('requests-minute', 'requests', limits.rpm, MINUTE, limits.burst);
  add('tokens-minute', 'tokens', limits.tpm, MINUTE, limits.tokenBurst);
  add('requests-day', 'requests', limits.rpd, DAY);
  add('tokens-day', 'tokens', limits.tpd, DAY);
  return meters;
}

/** The default burst of a strict pool, in requests. */
export const STRICT_DEFAULT_BURST = 2;

/**
 * Strict capacities: a burst of N requests for the request limits (N emission intervals); for a token limit,
 * `tokenBurst` when given, else the tokens that refill in N request intervals of the matching request limit
 * (`N × tpm / rpm`), else the whole limit.
 */
function strictCapacities(limits: PoolLimits): Record<'rpm' | 'tpm' | 'rpd' | 'tpd', number | undefined> {
  const burst = limits.burst ?? STRICT_DEFAULT_BURST;
  const tokens = (tokenLimit: number | undefined, requestLimit: number | undefined): number | undefined => {
    if (tokenLimit === undefined) return undefined;
    if (limits.tokenBurst !== undefined) return limits.tokenBurst;
    return requestLimit === undefined ? tokenLimit : Math.max(1, (burst * tokenLimit) / requestLimit);
  };
  return {
    rpm: limits.rpm === undefined ? undefined : burst,
    rpd: limits.rpd === undefined ? undefined : burst,
    tpm: tokens(limits.tpm, limits.rpm),
    tpd: tokens(limits.tpd, limits.rpd),
  };
}
