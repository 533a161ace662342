import type { Failure } from '../core/failure.js';
import { type BackoffPolicy, backoffDelay } from './backoff.js';
import { CircuitBreaker } from './circuit-breaker.js';

export type HealthState =
  | 'healthy'
  | 'degraded'
  | 'rate-limited'
  | 'circuit-open'
  | 'exhausted'
  | 'unavailable'
  | 'disabled';

export interface HealthPolicy extends BackoffPolicy {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly rateLimitCooldownMs: number;
}

/** What a failure did to the key, for the worker to announce. */
export type HealthChange =
  | { readonly type: 'rate-limited'; readonly until: number }
  | { readonly type: 'circuit-open'; readonly until: number }
  | { readonly type: 'key-exhausted'; readonly until: number | undefined }
  | { readonly type: 'key-unavailable'; readonly status: number | undefined };

/**
 * Everything that decides whether a key may be tried: enabled, auth, quota, cooldown and breaker.
 * All time is compared lazily against `now`.
 */
export class KeyHealth {
  enabled: boolean;
  #unavailable = false;
  #exhaustedUntil: number | undefined;
  #cooldownUntil = 0;
  #failureStreak = 0;
  #successRate = 1;
  readonly #breaker: CircuitBreaker;

  constructor(
    readonly policy: HealthPolicy,
    readonly random: () => number,
    enabled = true,
  ) {
    this.enabled = enabled;
    this.#breaker = new CircuitBreaker(policy.failureThreshold, policy.cooldownMs);
  }

  state(now: number): HealthState {
    if (!this.enabled) return 'disabled';
    if (this.#unavailable) return 'unavailable';
    if (this.#exhaustedUntil !== undefined && now < this.#exhaustedUntil) return 'exhausted';
    if (this.#breaker.state(now) === 'open') return 'circuit-open';
    if (now < this.#cooldownUntil) return 'rate-limited';
    return this.#failureStreak > 0 || this.#successRate < 0.9 ? 'degraded' : 'healthy';
  }

  /** Whether a call may start on this key now. */
  canStart(now: number): boolean {
    // The same verdict as state(), without building it: this runs for every key on every pick.
    return (
      this.enabled &&
      !this.#unavailable &&
      (this.#exhaustedUntil === undefined || now >= this.#exhaustedUntil) &&
      now >= this.#cooldownUntil &&
      this.#breaker.canPass(now)
    );
  }

  /** When the key may next be tried; undefined when only an operator can bring it back. */
  readyAt(now: number): number | undefined {
    if (!this.enabled || this.#unavailable || this.#exhaustedUntil === Number.POSITIVE_INFINITY)
      return undefined;
    let at = Math.max(now, this.#cooldownUntil, this.#exhaustedUntil ?? now);
    const open = this.#breaker.openUntil();
    if (open !== undefined) at = Math.max(at, open);
    return at;
  }

  cooldownUntil(now: number): number | undefined {
    const until = Math.max(this.#cooldownUntil, this.#breaker.openUntil() ?? 0, this.#exhaustedUntil ?? 0);
    return until > now ? until : undefined;
  }

  /** 0–100: recent success rate, capped by the key's state. */
  score(now: number): number {
    const caps: Record<HealthState, number> = {
      healthy: 100,
      degraded: 100,
      'rate-limited': 50,
      'circuit-open': 10,
      exhausted: 0,
      unavailable: 0,
      disabled: 0,
    };
    return Math.round(Math.min(caps[this.state(now)], this.#successRate * 100));
  }

  onStart(now: number): void {
    this.#breaker.onStart(now);
  }

  /** Returns true when the key recovered from an open circuit. */
  onSuccess(): boolean {
    this.#failureStreak = 0;
    this.#successRate = this.#successRate * 0.9 + 0.1;
    return this.#breaker.onSuccess();
  }

  onFailure(failure: Failure, now: number): HealthChange | undefined {
    switch (failure.class) {
      case 'bad-request':
      case 'aborted':
        this.#breaker.onNeutral();
        return undefined;
      case 'auth':
        this.#unavailable = true;
        this.#record();
        return { type: 'key-unavailable', status: failure.status };
      case 'quota-exhausted': {
        this.#record();
        const until =
          failure.retryAfterMs === undefined ? Number.POSITIVE_INFINITY : now + failure.retryAfterMs;
        this.#exhaustedUntil = until;
        return { type: 'key-exhausted', until: Number.isFinite(until) ? until : undefined };
      }
      case 'rate-limited': {
        this.#record();
        const ceiling = { ...this.policy, maxRetryDelay: this.policy.rateLimitCooldownMs };
        const delay = backoffDelay(ceiling, this.#failureStreak, this.random, failure.retryAfterMs);
        this.#cooldownUntil = Math.max(this.#cooldownUntil, now + delay);
        this.#breaker.onNeutral();
        return { type: 'rate-limited', until: this.#cooldownUntil };
      }
      case 'transient': {
        this.#record();
        const delay = backoffDelay(this.policy, this.#failureStreak, this.random, failure.retryAfterMs);
        this.#cooldownUntil = Math.max(this.#cooldownUntil, now + delay);
        return this.#breaker.onFailure(now)
          ? { type: 'circuit-open', until: now + this.policy.cooldownMs }
          : undefined;
      }
    }
  }

  /** Clears cooldown, breaker, quota and auth state. Returns true when the key was held out. */
  reset(now: number): boolean {
    const wasOut = !this.canStart(now) && this.enabled;
    this.#unavailable = false;
    this.#exhaustedUntil = undefined;
    this.#cooldownUntil = 0;
    this.#failureStreak = 0;
    this.#successRate = 1;
    this.#breaker.reset();
    return wasOut;
  }

  #record(): void {
    this.#failureStreak += 1;
    this.#successRate *= 0.9;
  }
}
