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
