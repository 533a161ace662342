import type { RateLimits } from '../config/options.js';
import type { LearnedLimits } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import { type LimitName, MINUTE_MS, WINDOW_MS } from '../core/key-state-store.js';
import type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';
import { type RateLimitBackoff, rateLimitDelay } from './backoff.js';
import { type BucketKind, floorOfReading, GcraBucket } from './gcra.js';
import { type BucketEntry, SlidingBucket } from './sliding-bucket.js';

export type { LimitName };

const SHAPES: Record<LimitName, { kind: BucketKind; windowMs: number }> = {
  rpm: { kind: 'requests', windowMs: WINDOW_MS.rpm },
  tpm: { kind: 'tokens', windowMs: WINDOW_MS.tpm },
  rpd: { kind: 'requests', windowMs: WINDOW_MS.rpd },
  tpd: { kind: 'tokens', windowMs: WINDOW_MS.tpd },
};

/** One limit: its schedule, and for a configured limit the log of real sends that guards every window. */
interface Limit {
  readonly gcra: GcraBucket;
  readonly log: SlidingBucket | undefined;
  /** The provider's count of units used in its window, from its last reading (learned limits). */
  seen: number;
}

/** What one call took from the token logs, so its estimate can be corrected afterwards. */
export interface Reservation {
  readonly tokens: number;
  readonly entries: ReadonlyArray<{ readonly log: SlidingBucket; readonly entry: BucketEntry }>;
}

const NO_ENTRIES: Reservation['entries'] = Object.freeze([]);

export interface LimitUsage {
  readonly limit: number;
  readonly used: number;
  readonly percent: number;
  readonly learned: boolean;
}

/**
 * The rate limits of one key, or of a quota group of keys. Each limit is a continuously refilled bucket
 * (GCRA) that keymux paces evenly; configured limits also keep a log of real sends, so no sliding window
 * ever holds more than the limit. Limits nobody configured are learned from the provider's headers.
 */
export class RateLimiter {
  readonly #limits = new Map<LimitName, Limit>();
  readonly #learned = new Set<LimitName>();
  /** Nothing configured and nothing learned yet, from a provider that sends limit headers: send one, learn. */
  #learning: boolean;
  /** Tokens per call lately: how many an empty tokens bucket must hold again before the next call. */
  #meanTokens = 0;
  #calls = 0;

  constructor(limits: RateLimits = {}, expectsHeaders = false) {
    for (const name of Object.keys(SHAPES) as LimitName[]) {
      const limit = limits[name];
      if (limit !== undefined) this.#set(name, limit, true);
    }
    this.#learning = expectsHeaders && this.#limits.size === 0;
  }

  get hasLimits(): boolean {
    return this.#limits.size > 0;
  }

  /** Tokens per call lately (a running mean over the last 100 takes). */
  get meanTokens(): number {
    return this.#meanTokens;
  }

  /** True until the first response of a key whose limits are unknown: its key sends one request at a time. */
  get learning(): boolean {
    return this.#learning;
  }

  /** Milliseconds until a call of `tokens` may start; 0 when it may start now. */
  waitFor(tokens: number, now: number): number {
    let wait = 0;
    for (const limit of this.#limits.values()) {
      wait = Math.max(wait, limit.gcra.waitFor(now));
      if (limit.log) wait = Math.max(wait, limit.log.waitFor(costOf(limit.gcra.kind, tokens), now));
    }
    return wait;
  }

  take(tokens: number, now: number): Reservation {
    this.#calls += 1;
    this.#meanTokens += (tokens - this.#meanTokens) / Math.min(this.#calls, 100);
    let entries: Array<{ log: SlidingBucket; entry: BucketEntry }> | undefined;
    for (const { gcra, log } of this.#limits.values()) {
      const cost = costOf(gcra.kind, tokens);
      gcra.take(cost, now);
      const entry = log?.add(cost, now);
      // Only token counts are corrected afterwards.
      if (log && entry && gcra.kind === 'tokens') {
        entries ??= [];
        entries.push({ log, entry });
      }
    }
    return { tokens, entries: entries ?? NO_ENTRIES };
  }

  /** Replaces a reservation's token estimate by what the call really used. */
  reconcile(reservation: Reservation, actualTokens: number, now: number): void {
    const delta = actualTokens - reservation.tokens;
    if (delta === 0) return;
    for (const { gcra } of this.#limits.values()) if (gcra.kind === 'tokens') gcra.adjust(delta, now);
    for (const { log, entry } of reservation.entries) log.adjust(entry, delta, now);
  }

  /**
   * Keeps the buckets in step with what the provider says. Learns limits nobody configured; a reading
   * (limit L, remaining R, reset S: the time until the bucket is full) only ever pushes the schedule later,
   * to when the provider's bucket, refilled at L per window, holds a call again (see `floorOfReading`):
   * with R ≥ a call's units nothing waits; at R = 0 one unit comes back in window / L, not in S.
   * Returns the limits learned, if any.
   */
  observe(info: RateLimitInfo | undefined, now: number): LearnedLimits | undefined {
    this.#learning = false;
    if (!info) return undefined;
    let learned: Partial<Record<LimitName, number>> | undefined;
    for (const [kind, reading] of [
      ['requests', info.requests],
      ['tokens', info.tokens],
    ] as const) {
      if (!reading) continue;
      const name = limitNameOf(kind, reading.windowMs);
      let limit = this.#limits.get(name);
      const L = reading.limit;
      if (L !== undefined && L > 0 && (!limit || (this.#learned.has(name) && limit.gcra.limit !== L))) {
        if (limit) limit.gcra.setLimit(L);
        else limit = this.#set(name, L, false);
        learned ??= {};
        learned[name] = L;
      }
      if (limit) tighten(limit, reading, now, this.#meanTokens);
    }
    return learned;
  }

  /** Per limit: the limit, units used in the current window, percent used, and whether it was learned. */
  usage(now: number): Partial<Record<LimitName, LimitUsage>> {
    const out: Partial<Record<LimitName, LimitUsage>> = {};
    for (const [name, limit] of this.#limits) {
      const used = limit.log ? limit.log.used(now) : limit.seen;
      const max = limit.gcra.limit;
      out[name] = {
        limit: max,
        used,
        percent: Math.round((used / max) * 1000) / 10,
        learned: this.#learned.has(name),
      };
    }
    return out;
  }

  /**
   * Calls per ms the limits allow in the long run, for calls of `meanTokens` each: the tightest of them.
   * Undefined with no limits (nothing configured or learned yet).
   */
  allowedRate(meanTokens: number): number | undefined {
    let rate: number | undefined;
    for (const { gcra } of this.#limits.values()) {
      const perCall = costOf(gcra.kind, Math.max(1, meanTokens));
      const r = gcra.limit / gcra.windowMs / perCall;
      rate = rate === undefined ? r : Math.min(rate, r);
    }
    return rate;
  }

  /** Fraction of the tightest limit still free: 1 with no limits. */
  headroom(now: number): number {
    let free = 1;
    for (const { gcra, log } of this.#limits.values()) {
      free = Math.min(free, gcra.headroom(now));
      if (log) free = Math.min(free, 1 - log.used(now) / log.limit);
    }
    return Math.max(0, free);
  }

  #set(name: LimitName, max: number, configured: boolean): Limit {
    const { kind, windowMs } = SHAPES[name];
    const limit: Limit = {
      gcra: new GcraBucket(kind, max, windowMs),
      log: configured ? new SlidingBucket(max, windowMs) : undefined,
      seen: 0,
    };
    this.#limits.set(name, limit);
    if (!configured) this.#learned.add(name);
    return limit;
  }
}

function tighten(limit: Limit, reading: LimitReading, now: number, meanTokens: number): void {
  if (reading.remaining === undefined) return;
  const { gcra } = limit;
  limit.seen = Math.max(0, gcra.limit - reading.remaining);
  const cost = costOf(gcra.kind, Math.max(1, meanTokens));
  const floor = Math.min(floorOfReading(reading, reading.limit ?? gcra.limit, cost), gcra.windowMs);
  if (floor > 0) gcra.tighten(now + floor);
}

function costOf(kind: BucketKind, tokens: number): number {
  return kind === 'requests' ? 1 : tokens;
}

/** The limit a provider's reading of `kind` over `windowMs` is about. */
export function limitNameOf(kind: BucketKind, windowMs: number): LimitName {
  const perDay = windowMs > MINUTE_MS;
  if (kind === 'requests') return perDay ? 'rpd' : 'rpm';
  return perDay ? 'tpd' : 'tpm';
}

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
  onRateLimited(failure: Failure, now: number, policy: RateLimitBackoff, random: () => number): number {
    this.#streak++;
    // The same delays as a key's 429 (KeyHealth).
    const delay = rateLimitDelay(policy, this.#streak, random, failure.retryAfterMs);
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
