import { ConfigError } from '../core/errors.js';
import type {
  AdaptiveConcurrencyOptions,
  CallFailure,
  CallSuccess,
  ConcurrencyState,
} from './adaptive-concurrency-options.js';

/** Slots a key starts with under `'auto'`. */
export const DEFAULT_INITIAL_CONCURRENCY = 5;
/** The most slots `'auto'` ever gives one key. */
export const DEFAULT_CONCURRENCY_CEILING = 256;

// Gradient2's defaults (Netflix concurrency-limits): latency within 1.5× its baseline is no queueing,
// each sample moves the estimate a fifth of the way, and 4 slots of headroom are probed for.
const TOLERANCE = 1.5;
const SMOOTHING = 0.2;
const QUEUE = 4;
/** Little's law sized for the p90 latency, with a quarter more so jitter never leaves the limit binding. */
const HEADROOM = 1.25;
/** Multiplicative decrease on transient failures and the least one on latency (TCP halves; 0.8 keeps most of the rate). */
const BACKOFF = 0.8;
/** Transient failures tolerated per window of `limit` calls before cutting: a stray 500 is not overload. */
const FAILURE_SHARE = 0.05;

/**
 * A key's concurrency limit. Pinned when `maxConcurrentRequests` is a number. Under `'auto'` it is
 * Netflix's Gradient2 on the key's call latencies, capped by Little's law when the key's rate is known:
 * - grows while jobs wait for a slot and latency stays within 1.5× its long-term baseline, by ~0.8 a call
 *   (about ×1.8 per round trip); after trouble, by ~0.8 a round trip (slower still near the level that
 *   failed) until half again past it;
 * - never past ceil(rate allowed × p90 latency × 1.25) when the rate is known (more slots would only
 *   wait for the rate limiter), nor past the ceiling;
 * - shrinks multiplicatively, at most once per window of calls started since the last cut: by the
 *   gradient (baseline × 1.5 / recent latency, between 0.5 and 0.8) when latency rises past the
 *   tolerance while at least half the slots are busy, and by ×0.8 when transient failures (5xx, timeouts) pass 5% of a
 *   window's calls;
 * A 429 changes nothing while the key's rate is known: it is the rate model's to act on, and counting it
 * here would shrink twice. With no rate known, it cuts as a 5xx does.
 * No timers: every decision is taken on a call's outcome, at the time it reports.
 */
export class AdaptiveConcurrency {
  readonly adaptive: boolean;
  readonly #initial: number;
  readonly #ceiling: number;
  readonly #allowedRate: () => number | undefined;
  readonly #latency = new LatencyWindow();
  readonly #listeners: Array<(limit: number) => void> = [];
  #estimate: number;
  #limit: number;
  #inFlight = 0;
  /** Mean body duration of streams (ms after the first byte), over `#streams` streams. */
  #bodyMs = 0;
  #streams = 0;
  /** The estimate at which trouble was last seen; growth is slow below it. */
  #troubleAt: number | undefined;
  #cutAt = Number.NEGATIVE_INFINITY;
  /** Latency samples from calls started since the last cut. */
  #fresh = 0;
  #windowCalls = 0;
  #windowFailures = 0;

  constructor(options: AdaptiveConcurrencyOptions = {}) {
    const setting = options.maxConcurrentRequests ?? 'auto';
    this.#ceiling = count(
      options.maxConcurrencyCeiling ?? DEFAULT_CONCURRENCY_CEILING,
      'maxConcurrencyCeiling',
    );
    this.adaptive = setting === 'auto';
    this.#initial =
      setting === 'auto'
        ? Math.min(
            this.#ceiling,
            count(options.initialConcurrency ?? DEFAULT_INITIAL_CONCURRENCY, 'initialConcurrency'),
          )
        : count(setting, 'maxConcurrentRequests');
    this.#allowedRate = options.allowedRate ?? (() => undefined);
    this.#estimate = this.#initial;
    this.#limit = this.#initial;
  }

  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls `listener` with the new limit whenever it changes; returns the unsubscribe. */
  onChange(listener: (limit: number) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  /** A call took a slot. Every `onStart` must be followed by exactly one `onSuccess` or `onFailure`. */
  onStart(_now: number): void {
    this.#inFlight++;
  }

  onSuccess(call: CallSuccess): void {
    const busy = this.#release();
    if (!this.adaptive) return;
    const firstByte = call.firstByteMs;
    this.#latency.add(
      firstByte === undefined ? call.latencyMs : this.#streamSample(firstByte, call.latencyMs),
      1 / this.#estimate,
    );
    this.#countCall();
    if (call.now - call.latencyMs >= this.#cutAt) this.#fresh++;
    const { shortMs, baselineMs } = this.#latency;
    const gradient = shortMs > 0 ? Math.max(0.5, Math.min(1, (TOLERANCE * baselineMs) / shortMs)) : 1;
    if (gradient < 1) {
      // Queueing. With few calls in flight it is not ours to fix (Gradient2's app-limited rule); and the
      // latencies must mostly come from calls started under the current limit, or one spell cuts twice.
      if (busy && this.#fresh >= Math.min(this.#latency.size, this.#estimate)) {
        // Latency alone never takes a key below its starting slots: a provider that is lastingly slower
        // looks like queueing until the baseline learns it, and that must not starve the key.
        this.#cut(
          Math.max(Math.min(gradient, BACKOFF), Math.min(1, this.#initial / this.#estimate)),
          call.now,
        );
      }
      return;
    }
    if (call.saturated) this.#grow();
  }

  onFailure(call: CallFailure): void {
    this.#release();
    if (!this.adaptive || !this.#isTrouble(call)) return;
    // Failures of calls started before the last cut were caused by the limit already cut.
    if (call.now - call.latencyMs < this.#cutAt) return;
    this.#countCall();
    this.#windowFailures++;
    if (this.#windowFailures >= Math.max(1, FAILURE_SHARE * this.#estimate)) this.#cut(BACKOFF, call.now);
  }

  /**
   * 5xx and timeouts are trouble. A 429 is the rate model's to act on, unless the key has no rate to pace
   * by (nothing configured, a provider that sends no limit headers): then it is the only sign of the
   * rate, and slots that grow on latency alone must shrink on it, or they would grow into a wall of 429s.
   */
  #isTrouble(call: CallFailure): boolean {
    if (call.class === 'transient') return true;
    return call.class === 'rate-limited' && this.#allowedRate() === undefined;
  }

  /** Back to the starting limit, forgetting latencies and trouble (e.g. on `resetKey`). */
  reset(): void {
    this.#latency.clear();
    this.#bodyMs = 0;
    this.#streams = 0;
    this.#troubleAt = undefined;
    this.#cutAt = Number.NEGATIVE_INFINITY;
    this.#fresh = 0;
    this.#windowCalls = 0;
    this.#windowFailures = 0;
    this.#set(this.#initial);
  }

  state(): ConcurrencyState {
    return {
      limit: this.#limit,
      adaptive: this.adaptive,
      target: this.#target(),
      latencyP90Ms: this.#latency.p90(),
      latencyMs: this.#latency.shortMs,
      baselineMs: this.#latency.baselineMs,
    };
  }

  /** Whether at least half the slots were busy, counting the call that just ended. */
  #release(): boolean {
    const busy = this.#inFlight >= this.#limit / 2;
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    return busy;
  }

  /**
   * A stream's length is the caller's choice (max tokens, reading speed), not the provider's load: its
   * own body time is replaced by the mean, so only a slower first byte or slower streaming on average
   * reads as congestion, while the mean still sizes the slots for the streams' whole lives.
   */
  #streamSample(firstByteMs: number, latencyMs: number): number {
    const body = Math.max(0, latencyMs - firstByteMs);
    // A plain mean over the first 50 streams (a mean of one or two would move like a single stream),
    // then an exponential one over about as many.
    this.#streams++;
    this.#bodyMs += (body - this.#bodyMs) / Math.min(this.#streams, 50);
    return firstByteMs + this.#bodyMs;
  }

  /**
   * As many latencies as the starting slots: enough to size the slots by. Waiting for more costs a round
   * trip (at 5 s latency, the 10th call of a key ends about 5 s after its 5th).
   */
  #sampled(): boolean {
    return this.#latency.count >= Math.min(this.#latency.size, this.#initial);
  }

  #countCall(): void {
    if (++this.#windowCalls < this.#estimate) return;
    this.#windowCalls = 0;
    this.#windowFailures = 0;
  }

  #grow(): void {
    // One target per decision: it reads the limits and sorts the latency window.
    const target = this.#target();
    const cap = Math.min(this.#ceiling, Math.max(this.#initial, target ?? this.#ceiling));
    if (this.#estimate >= cap) {
      // The rate's target fell (faster calls, a tighter learned limit): step down to it, not at once.
      if (this.#estimate > cap) this.#set(Math.max(cap, this.#estimate - 1));
      return;
    }
    // Past the level that failed by half again, the trouble was passing: probe fast again.
    if (this.#troubleAt !== undefined && this.#estimate > this.#troubleAt * 1.5) this.#troubleAt = undefined;
    // The provider promised the rate (configured or learned limits) and no trouble was ever seen: once a
    // window of latencies says what the rate needs, take it at once rather than over several round
    // trips (at 5 s latency each one costs seconds of the key's rate). Trouble later cuts as usual.
    const untroubled = this.#troubleAt === undefined && this.#cutAt === Number.NEGATIVE_INFINITY;
    if (untroubled && target !== undefined && this.#sampled()) {
      this.#set(cap);
      return;
    }
    this.#set(Math.min(cap, this.#estimate + this.#step()));
  }

  /**
   * Growth per call: ~0.8 (Gradient2's smoothing × queue size) while no trouble is known; after trouble,
   * ~0.8 per round trip, and an eighth of that within one slot of the level that failed, so the limit
   * sits just under it and probes it only now and then (CUBIC's plateau around its last maximum).
   */
  #step(): number {
    const step = SMOOTHING * QUEUE;
    if (this.#troubleAt === undefined) return step;
    const nearTrouble = this.#estimate > this.#troubleAt - 1 && this.#estimate < this.#troubleAt + 1;
    return step / this.#estimate / (nearTrouble ? 8 : 1);
  }

  #cut(factor: number, now: number): void {
    this.#troubleAt = this.#estimate;
    this.#cutAt = now;
    this.#fresh = 0;
    this.#windowCalls = 0;
    this.#windowFailures = 0;
    this.#set(this.#estimate * factor);
  }

  #target(): number | undefined {
    const rate = this.#allowedRate();
    if (rate === undefined || !(rate > 0) || this.#latency.count === 0) return undefined;
    return Math.ceil(rate * this.#latency.p90() * HEADROOM);
  }

  #set(estimate: number): void {
    this.#estimate = Math.max(1, Math.min(this.#ceiling, estimate));
    const limit = Math.floor(this.#estimate);
    if (limit === this.#limit) return;
    this.#limit = limit;
    for (const listener of this.#listeners) listener(limit);
  }
}

function count(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(
      field,
      `expected an integer from 1 and up, got \`${String(value)}\` (${typeof value})`,
    );
  }
  return value;
}

/**
 * A key's recent call latencies: the last `size` samples in a fixed ring (O(1) per sample, no allocation),
 * their mean (the short-term latency), their p90 (the latency Little's law is sized for), and a long-term
 * baseline that the short-term latency is judged against.
 *
 * The baseline is the floor recent latency is judged against. It follows the ring's mean, not single
 * samples, so the output-length spread of LLM calls averages out (a minimum of single calls would sit far
 * below a typical one and read every normal window as congestion). It rises over ~25 round trips and
 * falls ten times faster: it stays near the low end of normal windows, and a spell of overload does not
 * drag it up (Gradient2's plain average does, until queueing no longer shows), while a provider that is
 * lastingly slower is still learned. Round trips, not samples: a key with 100 slots sees 100 samples a
 * round trip, and must not learn a congested latency 100 times faster than a key with one.
 */
export class LatencyWindow {
  readonly #ring: Float64Array;
  readonly #scratch: Float64Array;
  readonly #rise: number;
  readonly #fall: number;
  #next = 0;
  #count = 0;
  #sum = 0;
  #baseline = 0;
  #seen = 0;

  constructor(
    readonly size = 20,
    riseRoundTrips = 25,
  ) {
    this.#ring = new Float64Array(size);
    this.#scratch = new Float64Array(size);
    this.#rise = 1 / riseRoundTrips;
    this.#fall = 10 / riseRoundTrips;
  }

  /** Samples in the ring (at most `size`). */
  get count(): number {
    return this.#count;
  }

  /** Mean of the samples in the ring; 0 before the first. */
  get shortMs(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /** The long-term latency the short-term one is compared with; 0 before the first sample. */
  get baselineMs(): number {
    return this.#baseline;
  }

  /** `share`: the part of a round trip this sample stands for, 1 / the calls in flight per round trip. */
  add(latencyMs: number, share: number): void {
    const sample = Math.max(0, latencyMs);
    if (this.#count === this.size) this.#sum -= this.#ring[this.#next]!;
    else this.#count++;
    this.#ring[this.#next] = sample;
    this.#sum += sample;
    this.#next = (this.#next + 1) % this.size;
    this.#seen++;
    const short = this.shortMs;
    // Until the ring is full the baseline is the plain mean: one early outlier must not become the floor.
    if (this.#seen <= this.size) this.#baseline = short;
    else
      this.#baseline +=
        (short - this.#baseline) * Math.min(1, (short > this.#baseline ? this.#rise : this.#fall) * share);
  }

  /** The p90 of the samples in the ring (nearest rank); 0 before the first. Sorts at most `size` numbers. */
  p90(): number {
    const n = this.#count;
    if (n === 0) return 0;
    const sorted = this.#scratch.subarray(0, n);
    sorted.set(this.#ring.subarray(0, n));
    sorted.sort();
    return sorted[Math.ceil(0.9 * n) - 1]!;
  }

  clear(): void {
    this.#next = 0;
    this.#count = 0;
    this.#sum = 0;
    this.#baseline = 0;
    this.#seen = 0;
  }
}
