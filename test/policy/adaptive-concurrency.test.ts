import { describe, expect, it } from 'vitest';
import { simulate } from '../../bench/adaptive-sim.js';
import { ConfigError } from '../../src/core/errors.js';
import { AdaptiveConcurrency } from '../../src/policy/adaptive-concurrency.js';

/** Runs `count` calls of `latencyMs` each, one after another on a virtual clock, all slots busy. */
function feed(c: AdaptiveConcurrency, clock: { now: number }, count: number, latencyMs: number): void {
  for (let i = 0; i < count; i++) {
    const busy = c.limit;
    for (let s = 0; s < busy; s++) c.onStart(clock.now);
    clock.now += latencyMs;
    for (let s = 0; s < busy; s++) c.onSuccess({ latencyMs, now: clock.now, saturated: true });
  }
}

describe('AdaptiveConcurrency', () => {
  it('grows from 5 to the Little-law target, ceil(rate × p90 × 1.25), when the rate limit is known', () => {
    const run = simulate({ keys: 1, concurrency: 'auto', server: { rpm: 600, latencyMs: 1000 }, jobs: 2000 });
    expect(run.limits[0]![0]).toEqual([0, 5]);
    // 10 req/s × p90 of U(500, 1500) ≈ 1.4 s × 1.25 ≈ 17.5: every key ends within a slot of it.
    for (const limit of run.finalLimits) expect(limit).toBeGreaterThanOrEqual(16);
    for (const limit of run.finalLimits) expect(limit).toBeLessThanOrEqual(19);
    expect(run.capacityShare).toBeGreaterThan(0.95);
    const fixed = simulate({ keys: 1, concurrency: 5, server: { rpm: 600, latencyMs: 1000 }, jobs: 2000 });
    expect(fixed.capacityShare).toBeLessThan(0.55);
  });

  it('holds exactly at the target it reports once latency is steady', () => {
    const c = new AdaptiveConcurrency({ allowedRate: () => 10 / 1000 });
    const clock = { now: 0 };
    feed(c, clock, 30, 4000);
    expect(c.state().target).toBe(50);
    expect(c.limit).toBe(50);
  });

  it('with the rate known and no trouble seen, takes the target once its first 5 latencies are in', () => {
    const c = new AdaptiveConcurrency({ allowedRate: () => 10 / 1000 });
    const clock = { now: 0 };
    for (let s = 0; s < 5; s++) c.onStart(clock.now);
    clock.now += 5000;
    // Four samples are not yet enough: growth is still by steps.
    for (let s = 0; s < 4; s++) c.onSuccess({ latencyMs: 5000, now: clock.now, saturated: true });
    expect(c.limit).toBeLessThan(20);
    // The fifth: 10/s × 5 s × 1.25 = 63 slots at once.
    c.onSuccess({ latencyMs: 5000, now: clock.now, saturated: true });
    expect(c.limit).toBe(63);
  });

  it('after trouble, growth is by steps again, never a jump', () => {
    const c = new AdaptiveConcurrency({ allowedRate: () => 10 / 1000 });
    const clock = { now: 0 };
    for (let i = 0; i < 5; i++) c.onStart(clock.now);
    clock.now += 1000;
    for (let i = 0; i < 5; i++) c.onFailure({ class: 'transient', latencyMs: 1000, now: clock.now });
    const cut = c.limit;
    expect(cut).toBeLessThan(5);
    // Slowly near the level that failed (CUBIC's plateau), then by steps of at most ×1.8 a round trip.
    for (let round = 0; round < 30; round++) {
      const before = c.limit;
      feed(c, clock, 1, 5000);
      expect(c.limit).toBeLessThanOrEqual(Math.ceil(before * 1.8));
    }
    expect(c.limit).toBeGreaterThan(cut);
  });

  it('never goes above maxConcurrencyCeiling', () => {
    const run = simulate({
      keys: 2,
      concurrency: 'auto',
      server: { rpm: 6000, latencyMs: 5000 },
      jobs: 3000,
    });
    const peak = Math.max(...run.limits.flat().map(([, limit]) => limit));
    expect(peak).toBe(256);
    const c = new AdaptiveConcurrency({ maxConcurrencyCeiling: 12 });
    feed(c, { now: 0 }, 50, 1000);
    expect(c.limit).toBe(12);
  });

  it('a number pins the limit: no growth, no decrease, no change event', () => {
    const c = new AdaptiveConcurrency({ maxConcurrentRequests: 7, allowedRate: () => 1 });
    const changes: number[] = [];
    c.onChange((n) => changes.push(n));
    const clock = { now: 0 };
    feed(c, clock, 20, 1000);
    for (let i = 0; i < 10; i++) {
      c.onStart(clock.now);
      clock.now += 10;
      c.onFailure({ class: 'transient', latencyMs: 10, now: clock.now });
    }
    expect(c.limit).toBe(7);
    expect(c.adaptive).toBe(false);
    expect(changes).toEqual([]);
  });

  it('cuts ×0.8 on a 5xx or timeout, once per window: calls started before the cut do not cut again', () => {
    const c = new AdaptiveConcurrency({ initialConcurrency: 20 });
    for (let i = 0; i < 20; i++) c.onStart(0);
    c.onFailure({ class: 'transient', latencyMs: 1000, now: 1000 });
    expect(c.limit).toBe(16);
    for (let i = 0; i < 10; i++) c.onFailure({ class: 'transient', latencyMs: 1000 + i, now: 1000 + i });
    expect(c.limit).toBe(16);
    c.onStart(1100);
    c.onFailure({ class: 'transient', latencyMs: 30_000, now: 31_100 }); // an SDK timeout: transient too
    expect(c.limit).toBe(12);
  });

  it('does not shrink on 429s (with the rate known), bad requests or aborts', () => {
    const c = new AdaptiveConcurrency({ initialConcurrency: 20, allowedRate: () => 10 / 1000 });
    for (const cls of ['rate-limited', 'quota-exhausted', 'bad-request', 'aborted', 'auth'] as const) {
      for (let i = 0; i < 50; i++) {
        c.onStart(i);
        c.onFailure({ class: cls, latencyMs: 100, now: i + 100 });
      }
    }
    expect(c.limit).toBe(20);
    expect(c.inFlight).toBe(0);
  });

  it('with no rate known, a 429 is the only sign of it: it cuts as a 5xx does', () => {
    const c = new AdaptiveConcurrency({ initialConcurrency: 20 });
    for (let i = 0; i < 20; i++) c.onStart(0);
    for (let i = 0; i < 20; i++) c.onFailure({ class: 'rate-limited', latencyMs: 100, now: 100 });
    expect(c.limit).toBe(16);
    const known = new AdaptiveConcurrency({ initialConcurrency: 20, allowedRate: () => 10 / 1000 });
    for (let i = 0; i < 20; i++) known.onStart(0);
    for (let i = 0; i < 20; i++) known.onFailure({ class: 'rate-limited', latencyMs: 100, now: 100 });
    expect(known.limit).toBe(20);
  });

  it('without a known rate grows like Gradient2 on flat latency, and shrinks when latency doubles', () => {
    const c = new AdaptiveConcurrency();
    const clock = { now: 0 };
    feed(c, clock, 6, 1000);
    const grown = c.limit;
    expect(grown).toBeGreaterThan(40);
    feed(c, clock, 3, 2500);
    expect(c.limit).toBeLessThan(grown * 0.8);
    // Latency alone never takes a key below its starting slots.
    feed(c, clock, 40, 5000);
    expect(c.limit).toBeGreaterThanOrEqual(5);
  });

  it('does not grow while no job waits for a slot', () => {
    const c = new AdaptiveConcurrency({ allowedRate: () => 1 });
    for (let i = 0; i < 100; i++) {
      c.onStart(i * 1000);
      c.onSuccess({ latencyMs: 1000, now: (i + 1) * 1000, saturated: false });
    }
    expect(c.limit).toBe(5);
  });

  it('settles near N against a provider that slows down and fails above N concurrent calls', () => {
    const server = { rpm: 600, latencyMs: 5000, overloadAbove: 20 };
    const auto = simulate({ keys: 2, concurrency: 'auto', server, jobs: 4000 });
    expect(auto.settledLimit).toBeGreaterThan(16);
    expect(auto.settledLimit).toBeLessThan(23);
    const five = simulate({ keys: 2, concurrency: 5, server, jobs: 1000 });
    const hundred = simulate({ keys: 2, concurrency: 100, server, jobs: 4000 });
    expect(auto.goodputRps).toBeGreaterThan(five.goodputRps * 2);
    expect(auto.goodputRps).toBeGreaterThan(hundred.goodputRps * 1.2);
    const small = { rpm: 600, latencyMs: 1000, overloadAbove: 8 };
    const autoSmall = simulate({ keys: 2, concurrency: 'auto', server: small, jobs: 4000 });
    expect(autoSmall.settledLimit).toBeGreaterThan(6.5);
    expect(autoSmall.settledLimit).toBeLessThan(9);
    const fiveSmall = simulate({ keys: 2, concurrency: 5, server: small, jobs: 4000 });
    expect(autoSmall.goodputRps).toBeGreaterThan(fiveSmall.goodputRps * 1.15);
  });

  it("a stream's own body length is not congestion, but the mean body still sizes its slots", () => {
    const c = new AdaptiveConcurrency({ allowedRate: () => 10 / 1000 });
    let now = 0;
    for (let round = 0; round < 40; round++) {
      const busy = c.limit;
      for (let s = 0; s < busy; s++) c.onStart(now);
      for (let s = 0; s < busy; s++) {
        // First byte after 500 ms; bodies from 0.5 s to 10 s, as answers of different lengths stream.
        const latencyMs = 1000 + ((s * 7919 + round * 104729) % 19) * 500;
        c.onSuccess({ latencyMs, firstByteMs: 500, now: now + latencyMs, saturated: true });
      }
      now += 10_000;
    }
    const { target, latencyP90Ms } = c.state();
    expect(latencyP90Ms).toBeGreaterThan(4000);
    expect(c.limit).toBe(target);
  });

  it('reset() returns to the starting limit and tells its listeners; unsubscribe stops them', () => {
    const c = new AdaptiveConcurrency();
    const changes: number[] = [];
    const off = c.onChange((n) => changes.push(n));
    feed(c, { now: 0 }, 3, 1000);
    c.reset();
    expect(c.limit).toBe(5);
    expect(changes.at(-1)).toBe(5);
    off();
    feed(c, { now: 0 }, 3, 1000);
    expect(changes.at(-1)).toBe(5);
  });

  it('rejects bad settings with a ConfigError naming the field', () => {
    expect(() => new AdaptiveConcurrency({ maxConcurrentRequests: 0 })).toThrow(ConfigError);
    expect(() => new AdaptiveConcurrency({ maxConcurrencyCeiling: 2.5 })).toThrow(/maxConcurrencyCeiling/);
    expect(() => new AdaptiveConcurrency({ initialConcurrency: -1 })).toThrow(/initialConcurrency/);
  });
});
