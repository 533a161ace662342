import type { EventBus } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { HealthState } from '../core/key-check.js';
import { type BackoffPolicy, backoffDelay, rateLimitDelay } from './backoff.js';
import { type BreakerPolicy, CircuitBreaker } from './circuit-breaker.js';

export type { HealthState } from '../core/key-check.js';

export interface HealthPolicy extends BackoffPolicy, BreakerPolicy {
  readonly rateLimitCooldownMs: number;
}

/** Whether the pool lets one more key out of rotation for failures of its service. */
export type EjectionCheck = () => boolean;

/** What a failure did to the key, for the worker to announce. */
export type HealthChange =
  /** With `model`: that model's 429, which rests the model on the key, not the key (see ModelLimits). */
  | { readonly type: 'rate-limited'; readonly until: number; readonly model?: string }
  | { readonly type: 'circuit-open'; readonly until: number }
  | { readonly type: 'key-exhausted'; readonly until: number | undefined }
  | { readonly type: 'key-unavailable'; readonly status: number | undefined }
  /** The breaker would have opened, but the pool keeps the key in rotation (too many keys out). */
  | { readonly type: 'ejection-held' };

/**
 * Everything that decides whether a key may be tried: enabled, auth, quota, cooldown and breaker.
 * Every transition is one classified outcome; all time is compared lazily against `now`.
 */
export class KeyHealth {
  enabled: boolean;
  #unavailable = false;
  #exhaustedUntil: number | undefined;
  #cooldownUntil = 0;
  #cooldownFor: 'rate-limited' | 'backing-off' = 'rate-limited';
  #failureStreak = 0;
  #successRate = 1;
  readonly #breaker: CircuitBreaker;

  constructor(
    readonly policy: HealthPolicy,
    readonly random: () => number,
    enabled = true,
    readonly mayEject: EjectionCheck = () => true,
  ) {
    this.enabled = enabled;
    this.#breaker = new CircuitBreaker(policy);
  }

  state(now: number): HealthState {
    if (!this.enabled) return 'disabled';
    if (this.#unavailable) return 'unavailable';
    if (this.#exhaustedUntil !== undefined && now < this.#exhaustedUntil) return 'exhausted';
    if (this.#breaker.state(now).kind === 'open') return 'circuit-open';
    if (now < this.#cooldownUntil) return this.#cooldownFor;
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

  /** Whether the breaker holds the key out of rotation (open or half-open). */
  ejected(now: number): boolean {
    return this.#breaker.ejected(now);
  }

  /** When the key may next be tried; undefined when only an operator (or a health check) can bring it back. */
  readyAt(now: number): number | undefined {
    if (!this.enabled || this.#unavailable || this.#exhaustedUntil === Number.POSITIVE_INFINITY)
      return undefined;
    return Math.max(now, this.#cooldownUntil, this.#exhaustedUntil ?? now, this.#breaker.openUntil() ?? now);
  }

  cooldownUntil(now: number): number | undefined {
    const until = Math.max(this.#cooldownUntil, this.#breaker.openUntil() ?? 0, this.#exhaustedUntil ?? 0);
    return until > now ? until : undefined;
  }

  /** 0–100: recent success rate, capped by the key's state. */
  score(now: number): number {
    return Math.round(Math.min(SCORE_CAPS[this.state(now)], this.#successRate * 100));
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
    if (failure.class !== 'transient') this.#breaker.onNeutral(now);
    switch (failure.class) {
      case 'bad-request':
      case 'aborted':
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
        // A provider's hint is exact (capped at maxRetryDelay); without one, the key backs off with jitter.
        const delay = rateLimitDelay(this.policy, this.#failureStreak, this.random, failure.retryAfterMs);
        this.#cool(now + delay, 'rate-limited');
        return { type: 'rate-limited', until: this.#cooldownUntil };
      }
      case 'transient': {
        this.#record();
        const verdict = this.#breaker.onTransient(now, this.mayEject);
        // Held in rotation through a fault of the whole provider: keep probing at least every base interval.
        const cap =
          verdict === 'held'
            ? Math.min(this.policy.maxRetryDelay, this.policy.breakerBaseMs)
            : this.policy.maxRetryDelay;
        const hint = failure.retryAfterMs === undefined ? undefined : Math.min(failure.retryAfterMs, cap);
        const policy = { ...this.policy, maxRetryDelay: cap };
        this.#cool(now + backoffDelay(policy, this.#failureStreak, this.random, hint), 'backing-off');
        if (verdict === 'held') return { type: 'ejection-held' };
        const until = this.#breaker.openUntil();
        return verdict === 'opened' && until !== undefined ? { type: 'circuit-open', until } : undefined;
      }
    }
  }

  /**
   * A 429 about one model's limits (its own cooldown is the model's business): to the key it is neutral,
   * as a bad request is, so a half-open probe that meets it gives its turn back.
   */
  onModelRateLimited(now: number): void {
    this.#breaker.onNeutral(now);
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

  #cool(until: number, why: 'rate-limited' | 'backing-off'): void {
    if (until < this.#cooldownUntil) return;
    this.#cooldownUntil = until;
    this.#cooldownFor = why;
  }

  #record(): void {
    this.#failureStreak += 1;
    this.#successRate *= 0.9;
  }
}

const SCORE_CAPS: Readonly<Record<HealthState, number>> = {
  healthy: 100,
  degraded: 100,
  'rate-limited': 50,
  'backing-off': 50,
  'circuit-open': 10,
  exhausted: 0,
  unavailable: 0,
  disabled: 0,
};

/**
 * The ceiling on ejection (as Envoy's `max_ejection_percent`): at most `maxEjectedPercent` of a pool's
 * keys are held out by their breakers at once. A failure that would eject more is a fault of the whole
 * provider, not of one key: the pool says so with `pool-degraded`, keeps its keys in rotation under
 * backoff, and says `pool-recovered` at the next success.
 */
export class EjectionGuard {
  #degraded = false;

  constructor(
    readonly provider: string,
    readonly maxEjectedPercent: number,
    /** The pool's keys, each held out by its breaker or not. */
    readonly members: () => Iterable<{ ejected(now: number): boolean }>,
    readonly events: EventBus,
  ) {}

  get degraded(): boolean {
    return this.#degraded;
  }

  /** Whether one more key may be ejected now. */
  mayEject(now: number): boolean {
    let total = 0;
    let ejected = 0;
    for (const member of this.members()) {
      total++;
      if (member.ejected(now)) ejected++;
    }
    return ejected < Math.floor((total * this.maxEjectedPercent) / 100);
  }

  /** A breaker would have opened and was held: the pool is degraded. */
  onHeld(now: number): void {
    if (this.#degraded) return;
    this.#degraded = true;
    this.events.emit({ type: 'pool-degraded', at: now, provider: this.provider });
  }

  onSuccess(now: number): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.events.emit({ type: 'pool-recovered', at: now, provider: this.provider });
  }
}
