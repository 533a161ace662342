import type { Failure } from '../core/failure.js';
import { backoffDelay } from './backoff.js';
import type { HealthPolicy } from './health.js';
import { RateLimiter } from './rate-limiter.js';

/** Limit scopes a key (or quota group) keeps at most: the least recently used idle one makes room. */
export const MAX_MODEL_SCOPES = 64;

/**
 * One model's share of a key's rate-limit state, where the provider limits each model (or model class)
 * separately: its buckets as learned from the headers of its own responses, and its cooldown after a 429
 * of its own. The key's configured limits, its quota, auth and breaker stay the key's (KeyHealth and the
 * key's RateLimiter). Time is compared lazily, as everywhere.
 */
export class ModelLimit {
  readonly limiter: RateLimiter;
  #cooldownUntil = 0;
  /** 429s in a row without a hint: the exponent of its backoff. */
  #streak = 0;
  /** Calls of this model in flight: while its limits are unknown, one at a time (slow start). */
  inFlight = 0;
  /** Last use, in use order: the least recently used idle scope is the one forgotten. */
  usedAt = 0;

  constructor(slowStart: boolean) {
    this.limiter = new RateLimiter({}, slowStart);
  }

  /** Whether a call of this model may start now, as far as the model's own state goes (its buckets aside). */
  canStart(now: number): boolean {
    return now >= this.#cooldownUntil && !(this.limiter.learning && this.inFlight > 0);
  }

  /** Until when its 429 rests it; undefined when it does not. */
  cooldownUntil(now: number): number | undefined {
    return this.#cooldownUntil > now ? this.#cooldownUntil : undefined;
  }

  /** The model met a 429: it rests until exactly the provider's hint (capped), else backs off with jitter. */
  onRateLimited(failure: Failure, now: number, policy: HealthPolicy, random: () => number): number {
    const hint = failure.retryAfterMs;
    this.#streak++;
    // The same delays as a key's 429 (KeyHealth): the n-th in a row waits backoffDelay(n).
    const delay =
      hint === undefined
        ? backoffDelay({ ...policy, maxRetryDelay: policy.rateLimitCooldownMs }, this.#streak, random)
        : Math.min(hint, policy.maxRetryDelay);
    this.#cooldownUntil = Math.max(this.#cooldownUntil, now + delay);
    return this.#cooldownUntil;
  }

  onSuccess(): void {
    this.#streak = 0;
  }

  reset(): void {
    this.#cooldownUntil = 0;
    this.#streak = 0;
  }

  /** Forgettable: nothing in flight, not resting (its limits are learned again on its next call). */
  idle(now: number): boolean {
    return this.inFlight === 0 && now >= this.#cooldownUntil;
  }
}

/**
 * The per-model rate-limit state of one key, or of a quota group (one organization's keys share the
 * provider's per-model buckets), made lazily per limit scope and bounded: past `MAX_MODEL_SCOPES`, the
 * least recently used idle scope is forgotten.
 */
export class ModelLimits {
  readonly #scopes = new Map<string, ModelLimit>();
  #uses = 0;

  constructor(
    /** A new scope sends one call and learns its limits from the answer before opening up. */
    readonly slowStart: boolean,
    readonly max = MAX_MODEL_SCOPES,
  ) {}

  /** The scope's state, made on first use. */
  of(scope: string, now: number): ModelLimit {
    let limit = this.#scopes.get(scope);
    if (limit === undefined) {
      if (this.#scopes.size >= this.max) this.#forgetOne(now);
      limit = new ModelLimit(this.slowStart);
      this.#scopes.set(scope, limit);
    }
    limit.usedAt = ++this.#uses;
    return limit;
  }

  /** The scope's state if it has one, without making it. */
  peek(scope: string): ModelLimit | undefined {
    return this.#scopes.get(scope);
  }

  entries(): IterableIterator<[string, ModelLimit]> {
    return this.#scopes.entries();
  }

  /** Clears every scope's cooldown (`resetKey`); learned limits stay. */
  reset(): void {
    for (const limit of this.#scopes.values()) limit.reset();
  }

  #forgetOne(now: number): void {
    let oldest: [string, ModelLimit] | undefined;
    for (const entry of this.#scopes) {
      if (entry[1].idle(now) && (oldest === undefined || entry[1].usedAt < oldest[1].usedAt)) oldest = entry;
    }
    // Every scope busy or resting: the map grows past its bound rather than drop live state.
    if (oldest !== undefined) this.#scopes.delete(oldest[0]);
  }
}
