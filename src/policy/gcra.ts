import { MINUTE_MS, PACE_SLACK_MS } from '../core/key-state-store.js';

/**
 * GCRA arithmetic on one limit's theoretical arrival time (`tat`, ms) and its floor from provider readings
 * (`notBefore`): the one implementation, used by the worker's GcraBucket and the memory store. The Redis
 * store's Lua (`GCRA_LUA` in store/lua/clock.ts) is tested against it decision by decision
 * (test/store/gcra-lua.property.test.ts). `undefined` is a limit with no schedule yet (or one that expired
 * idle). Limits over a minute or less are paced, a unit every window / limit; longer ones (per day) allow
 * the whole limit at once, as providers do.
 */

export function isPaced(windowMs: number): boolean {
  return windowMs <= MINUTE_MS;
}

/** Milliseconds until the next send may go; 0 when it may go now. */
export function waitOf(
  tat: number | undefined,
  notBefore: number | undefined,
  now: number,
  limit: number,
  windowMs: number,
): number {
  const due = tat === undefined ? now : isPaced(windowMs) ? tat : tat - windowMs + windowMs / limit;
  const at = Math.max(due, notBefore ?? now);
  return at > now ? at - now : 0;
}

/** The schedule after taking `cost` units at `now`. */
export function takeTat(
  tat: number | undefined,
  now: number,
  cost: number,
  limit: number,
  windowMs: number,
): number {
  // A send up to PACE_SLACK_MS late (a timer firing late) keeps the schedule, or every late timer would
  // cost throughput for good; but never more than half an interval: a provider's bucket may hold only one
  // send more than its pace (a burst of 2), and the other half is the network's jitter. After an idle gap
  // the schedule restarts from now, so idleness earns no burst.
  const slack = isPaced(windowMs) ? Math.min(PACE_SLACK_MS, windowMs / limit / 2) : 0;
  const base = tat !== undefined && tat >= now - slack ? tat : now;
  return base + Math.min(cost, limit) * (windowMs / limit);
}

/** The schedule after correcting a take by `delta` units: debt moves it later, a refund never before now. */
export function adjustTat(
  tat: number | undefined,
  now: number,
  delta: number,
  limit: number,
  windowMs: number,
): number | undefined {
  if (tat === undefined || delta === 0) return tat;
  const moved = tat + delta * (windowMs / limit);
  return delta > 0 ? moved : Math.max(moved, Math.min(tat, now));
}

/** How far ahead of now a time runs; 0 when it has passed. */
export function aheadOf(at: number | undefined, now: number): number {
  return at !== undefined && at > now ? at - now : 0;
}

export type BucketKind = 'requests' | 'tokens';

/**
 * One limit as a provider keeps it: a continuously refilled bucket, modelled by one theoretical arrival
 * time (GCRA, the arithmetic in gcra.ts). Limits over a minute or less are paced: a unit every
 * `windowMs / limit`, so keymux never bursts into a provider that enforces its limit over shorter periods.
 * Longer limits (per day) allow the whole limit at once, as the provider's bucket does. A provider's
 * reading can only push the next send later (`notBefore`), never earlier: other clients may share the key.
 */
export class GcraBucket {
  /** Theoretical arrival time: when the schedule is caught up; undefined before the first take. */
  #tat: number | undefined;
  #notBefore: number | undefined;
  #limit: number;

  constructor(
    readonly kind: BucketKind,
    limit: number,
    readonly windowMs: number,
  ) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Milliseconds per unit. */
  get interval(): number {
    return this.windowMs / this.#limit;
  }

  /** A new limit (learned again from the headers); the schedule keeps its place. */
  setLimit(limit: number): void {
    this.#limit = limit;
  }

  /** Milliseconds until a send may go; 0 when it may go now. */
  waitFor(now: number): number {
    return waitOf(this.#tat, this.#notBefore, now, this.#limit, this.windowMs);
  }

  /** Takes `cost` units now. */
  take(cost: number, now: number): void {
    this.#tat = takeTat(this.#tat, now, cost, this.#limit, this.windowMs);
  }

  /** Corrects a take by `delta` units; a refund never moves the schedule back past now. */
  adjust(delta: number, now: number): void {
    this.#tat = adjustTat(this.#tat, now, delta, this.#limit, this.windowMs);
  }

  /** Nothing may be sent before `at`. */
  tighten(at: number): void {
    if (this.#notBefore === undefined || at > this.#notBefore) this.#notBefore = at;
  }

  /** Fraction of the window's capacity not yet committed by the schedule: 0–1. */
  headroom(now: number): number {
    if (this.#notBefore !== undefined && this.#notBefore > now) return 0;
    const ahead = this.#tat === undefined ? 0 : this.#tat - now;
    return ahead <= 0 ? 1 : Math.max(0, 1 - ahead / this.windowMs);
  }
}

/**
 * The floor a provider's reading sets: how long until its bucket holds `cost` units (1 for requests, a
 * call's tokens for tokens). OpenAI, Groq and Anthropic keep a bucket refilled continuously at `limit` per
 * window and send `remaining` and the time `resetMs` until it is *full* again, so the units missing come
 * back at one per `windowMs / limit`: a minute's reset at `remaining: 0` and 600 rpm means the next
 * request may go in 100 ms, not in a minute. Never more than the reset (the bucket is full by then); the
 * reset itself when the limit is unknown.
 */
export function floorOfReading(
  reading: { readonly remaining?: number; readonly resetMs?: number; readonly windowMs: number },
  limit: number | undefined,
  cost = 1,
): number {
  const { remaining, resetMs } = reading;
  if (remaining === undefined) return 0;
  const missing = cost - remaining;
  if (missing <= 0) return 0;
  const refill = limit !== undefined && limit > 0 ? (missing * reading.windowMs) / limit : undefined;
  if (resetMs === undefined || !(resetMs > 0)) return refill ?? 0;
  return refill === undefined ? resetMs : Math.min(resetMs, refill);
}
