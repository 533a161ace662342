import type { Clock } from '../core/clock.js';
import type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';
import { floorOfReading } from '../policy/gcra.js';
import type { HealthChange } from '../policy/health.js';
import { limitNameOf, type RateLimiter } from '../policy/rate-limiter.js';
import type { SharedGate, SharedGateFactory } from '../policy/shared-gate.js';
import {
  type KeyAddress,
  type KeyStateStore,
  LIMIT_NAMES,
  type LimitCharge,
  type LimitName,
  PACE_SLACK_MS,
  type Reading,
  WINDOW_MS,
} from './store.js';

/**
 * How far ahead a take may book its send in the shared schedule instead of being refused: waiters of all
 * processes then ask about once each, instead of all asking again each time a slot frees. Short, since a
 * booked send goes even if another process's 429 cools the key meanwhile.
 */
export const RESERVE_MS = 5000;

/** A booked send woken this much after its slot asks again rather than crowd the next slot. */
const LATE_MS = PACE_SLACK_MS / 2;

export interface KeyGateInput {
  readonly store: KeyStateStore;
  readonly address: KeyAddress;
  /** The key's name, or its quota group. */
  readonly scope: string;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  /** How long a half-open probe lease lasts: a crashed holder frees it after this. */
  readonly probeTtlMs: number;
  /** How long the shared breaker opens again when this process's probe fails. */
  readonly reopenMs: number;
}

/**
 * One key's worker seen through a shared store: one take before each call, and one settle after it only
 * when the token estimate was off. A response's readings are shared at once (all its limits in one round
 * trip), and only when they matter beyond the shared schedule: an empty bucket, whose floor is worth
 * something only before it passes, or a limit learned; a reading with units left sets a floor of about one
 * interval, which the shared schedule already holds. Cooldowns and breaker changes are shared when they
 * happen.
 */
export class StoreKeyGate implements SharedGate {
  readonly #in: KeyGateInput;
  /** The probe lease this process holds on the key, if any. */
  #probe: string | undefined;
  readonly #learnedSent = new Map<LimitName, number>();
  /** Until when (local clock) the last refused take said to wait; 0 after a take went through. */
  #waitUntil = 0;
  /** The latest send this process booked in the shared schedule (local clock). */
  #bookedUntil = 0;
  /** When this process last booked a send in Redis, and how far ahead of then it was booked. */
  #lastBookedAt = Number.NEGATIVE_INFINITY;
  #lastAheadMs = 0;

  constructor(input: KeyGateInput) {
    this.#in = input;
  }

  async take(tokens: number): Promise<number> {
    const { store, address, scope, probeTtlMs, clock } = this.#in;
    const faults = store.faults ?? 0;
    const result = await store.take({
      ...address,
      scope,
      limits: this.#charges(tokens, false),
      probeTtlMs,
      reserveMs: RESERVE_MS,
      bookedMs: this.#bookedMs(clock.now()),
    });
    this.#adopt(result.learned);
    if (!result.ok) {
      this.#waitUntil = clock.now() + result.waitMs;
      return result.waitMs;
    }
    if (result.probe !== undefined) this.#probe = result.probe;
    if (result.delayMs <= 0) {
      this.#waitUntil = 0;
      return 0;
    }
    // A booked send: its slot in the shared schedule is this call's, a short while ahead.
    const due = clock.now() + result.delayMs;
    this.#waitUntil = due;
    this.#bookedUntil = Math.max(this.#bookedUntil, due);
    // Answered by Redis (not by the local share, after a failed call): the shared schedule's reach.
    if (store.mode === 'redis' && (store.faults ?? 0) === faults) {
      this.#lastBookedAt = clock.now();
      this.#lastAheadMs = result.delayMs;
    }
    await clock.sleep(result.delayMs);
    // Woken late (a busy process): the slot has passed, and sending now would crowd the next one's, which
    // another process keeps on time. The slot is given up and the call asks again (one more round trip).
    // A slot booked in Redis is kept even when Redis went away meanwhile: every booking was made in the one
    // shared schedule, so together they stay under the limit, and the local schedules start after them.
    return clock.now() - due > LATE_MS ? 1 : 0;
  }

  /**
   * How far ahead the shared schedule runs, as far as this process knows: its own latest booked send, and,
   * while its last booking in Redis is recent, as far ahead as that booking was (other processes booked
   * after it, about as far ahead). A local schedule, started when Redis goes away, starts after it, so the
   * sends booked in Redis before the outage and the local ones never go out together.
   */
  #bookedMs(now: number): number {
    const recent = now - this.#lastBookedAt < RESERVE_MS ? this.#lastAheadMs : 0;
    return Math.max(0, this.#bookedUntil - now, recent);
  }

  waitMs(now: number): number {
    return this.#waitUntil > now ? this.#waitUntil - now : 0;
  }

  settle(estimated: number, actual: number): void {
    const delta = actual - estimated;
    if (delta === 0) return;
    const limits = this.#charges(delta, true);
    if (limits.length > 0)
      void this.#in.store.settle({ provider: this.#in.address.provider, scope: this.#in.scope, limits });
  }

  observe(info: RateLimitInfo): void {
    const readings = [this.#reading(info.requests, 'requests'), this.#reading(info.tokens, 'tokens')].filter(
      (r): r is Reading => r !== undefined,
    );
    if (readings.length === 0) return;
    const { provider } = this.#in.address;
    void this.#in.store.settle({ provider, scope: this.#in.scope, limits: [], readings });
  }

  onSuccess(closedBreaker: boolean): void {
    if (!closedBreaker && this.#probe === undefined) return;
    this.#probe = undefined;
    void this.#in.store.closeBreaker(this.#in.address);
  }

  onFailure(change: HealthChange | undefined): void {
    const { store, address, clock } = this.#in;
    const now = clock.now();
    // A model's 429 cools the key in the store: other processes learn of it at once (the store keeps one
    // cooldown per key, so there it holds back every model of the key; this process rests only the model).
    if (change?.type === 'rate-limited') void store.extendDeadline(address, 'cooldown', change.until - now);
    else if (change?.type === 'key-exhausted' && change.until !== undefined) {
      void store.extendDeadline(address, 'exhausted', change.until - now);
    } else if (change?.type === 'circuit-open') {
      this.#probe = undefined;
      void store.openBreaker(address, change.until - now);
      return;
    }
    // A failed probe that did not open the local breaker still sends the shared one back to open.
    if (this.#probe !== undefined && change?.type !== 'rate-limited') {
      this.#probe = undefined;
      void store.openBreaker(address, this.#in.reopenMs);
    }
  }

  release(): void {
    const token = this.#probe;
    if (token === undefined) return;
    this.#probe = undefined;
    void this.#in.store.releaseProbe(this.#in.address, token);
  }

  /** Every limit, with the value this process knows (configured or learned) or none (the shared learned one). */
  #charges(tokens: number, tokensOnly: boolean): LimitCharge[] {
    const known = this.#in.limiter.usage(this.#in.clock.now());
    const out: LimitCharge[] = [];
    for (const name of LIMIT_NAMES) {
      const isTokens = name === 'tpm' || name === 'tpd';
      if (tokensOnly && !isTokens) continue;
      if (isTokens && tokens === 0) continue;
      out.push({ name, limit: known[name]?.limit, units: isTokens ? tokens : 1 });
    }
    return out;
  }

  /** Limits another process learned: this process paces to them too, without a slow start of its own. */
  #adopt(learned: Partial<Record<LimitName, number>>): void {
    const { limiter, clock } = this.#in;
    const known = limiter.usage(clock.now());
    for (const name of LIMIT_NAMES) {
      const limit = learned[name];
      if (limit === undefined || known[name] !== undefined) continue;
      const reading: LimitReading = { limit, windowMs: WINDOW_MS[name] };
      const isTokens = name === 'tpm' || name === 'tpd';
      limiter.observe(isTokens ? { tokens: reading } : { requests: reading }, clock.now());
    }
  }

  #reading(reading: LimitReading | undefined, kind: 'requests' | 'tokens'): Reading | undefined {
    if (!reading) return undefined;
    const name = limitNameOf(kind, reading.windowMs);
    const known = this.#in.limiter.usage(this.#in.clock.now())[name];
    const learn = known?.learned && reading.limit !== this.#learnedSent.get(name) ? reading.limit : undefined;
    const empty = reading.remaining !== undefined && reading.remaining <= 0;
    if (!empty && learn === undefined) return undefined;
    const cost = kind === 'tokens' ? Math.max(1, this.#in.limiter.meanTokens) : 1;
    const floorMs = empty
      ? Math.min(floorOfReading(reading, reading.limit ?? known?.limit, cost), WINDOW_MS[name])
      : 0;
    // The shared request schedule already runs past this process's latest booked send (takes only move it
    // later): a floor before that tells it nothing. At saturation nearly every answer reads an empty
    // bucket, and sharing each cost a round trip per job.
    const now = this.#in.clock.now();
    if (learn === undefined && kind === 'requests' && now + floorMs <= this.#bookedUntil) return undefined;
    if (learn !== undefined) this.#learnedSent.set(name, learn);
    return { name, floorMs, ...(learn ? { learn } : {}) };
  }
}

/** Gates for every key of a multiplexer on a shared store; none on the memory store (a process alone). */
export function storeGates(
  store: KeyStateStore,
  options: { readonly clock: Clock; readonly attemptTimeoutMs: number; readonly breakerBaseMs: number },
): SharedGateFactory | undefined {
  if (store.mode === 'memory') return undefined;
  // A probe's lease outlives its call's deadline only so far: a crashed holder frees the key within 30 s.
  const probeTtlMs = Math.min(options.attemptTimeoutMs, 30_000);
  return ({ provider, key, scope, limiter }) =>
    new StoreKeyGate({
      store,
      address: { provider, key },
      scope,
      limiter,
      clock: options.clock,
      probeTtlMs,
      reopenMs: options.breakerBaseMs,
    });
}
