import { describe, expect, it } from 'vitest';
import { formatGoDuration } from '../../src/emulator/dialects/go-duration.js';
import { FaultInjector } from '../../src/emulator/faults/faults.js';
import { Ledger, type MutableLedgerEntry } from '../../src/emulator/ledger.js';
import { QuotaPool } from '../../src/emulator/limits/quota-pool.js';
import { TokenBucket } from '../../src/emulator/limits/token-bucket.js';
import { seededRandom } from '../../src/emulator/random.js';

describe('formatGoDuration', () => {
  it('writes durations as Go does', () => {
    expect(
      [0, 12, 999, 1000, 1200, 17_280, 60_000, 360_000, 86_400, 3_723_500].map(formatGoDuration),
    ).toEqual(['0s', '12ms', '999ms', '1s', '1.2s', '17.28s', '1m0s', '6m0s', '1m26.4s', '1h2m3.5s']);
  });
});

describe('TokenBucket', () => {
  it('refills continuously and reports reset as (capacity − level) × period / limit', () => {
    const bucket = new TokenBucket(60, 60_000, 60, 0);
    for (let i = 0; i < 10; i++) bucket.take(1, 0);
    expect(bucket.remaining(0)).toBe(50);
    expect(bucket.resetMs(0)).toBe(10_000);
    expect(bucket.remaining(1000)).toBe(51);
    expect(bucket.waitFor(52, 1000)).toBe(1000);
    expect(bucket.remaining(1_000_000)).toBe(60);
  });
});

describe('QuotaPool', () => {
  it('refuses with the binding limit and charges nothing when any limit refuses', () => {
    const pool = new QuotaPool('p', { rpm: 10, tpm: 100 });
    expect(pool.admit(80, 0)).toEqual({ ok: true });
    expect(pool.admit(30, 0)).toMatchObject({
      ok: false,
      dimension: 'tokens-minute',
      used: 80,
      requested: 30,
      tooLarge: false,
    });
    expect(pool.admit(101, 0)).toMatchObject({ ok: false, tooLarge: true });
    expect(pool.state(0)['requests-minute']?.remaining).toBe(9);
    pool.adjustTokens(-50, 0);
    expect(pool.state(0)['tokens-minute']?.remaining).toBe(70);
  });
});

describe('FaultInjector', () => {
  const target = (key: string, elapsedMs = 0) => ({ key, provider: 'openai' as const, elapsedMs });

  it('fires for the next N requests of one key only', () => {
    const faults = new FaultInjector(seededRandom(1), [{ kind: 'overloaded', key: 'a', count: 2 }]);
    const picks = ['a', 'b', 'a', 'a'].map((k) => faults.pick(target(k), 'after-limits')?.kind);
    expect(picks).toEqual(['overloaded', undefined, 'overloaded', undefined]);
  });

  it('honours skip, every, a time window and phases', () => {
    const faults = new FaultInjector(seededRandom(1), [
      { kind: 'server-error', skip: 1, every: 2 },
      { kind: 'rate-limit', fromMs: 1000, untilMs: 2000 },
    ]);
    expect([1, 2, 3, 4, 5].map(() => faults.pick(target('a'), 'after-limits')?.kind)).toEqual([
      undefined,
      'server-error',
      undefined,
      'server-error',
      undefined,
    ]);
    expect([0, 1000, 1999, 2000].map((t) => faults.pick(target('a', t), 'before-limits')?.kind)).toEqual([
      undefined,
      'rate-limit',
      'rate-limit',
      undefined,
    ]);
  });

  it('fires at a seeded rate, the same way every run', () => {
    const run = () => {
      const faults = new FaultInjector(seededRandom(42), [{ kind: 'reset', rate: 0.25 }]);
      return Array.from({ length: 400 }, () => faults.pick(target('a'), 'after-limits') !== undefined);
    };
    const fired = run().filter(Boolean).length;
    expect(run()).toEqual(run());
    expect(fired).toBeGreaterThan(60);
    expect(fired).toBeLessThan(140);
  });

  it('rejects a bad fault with a message naming the field', () => {
    const faults = new FaultInjector(seededRandom(1));
    expect(() => faults.add({ kind: 'reset', rate: 2 })).toThrow(/^fault: rate:/);
  });
});

describe('Ledger', () => {
  const entry = (
    startedAt: number,
    overrides: Partial<MutableLedgerEntry> = {},
  ): Omit<MutableLedgerEntry, 'seq'> => ({
    requestId: undefined,
    responseId: 'r',
    provider: 'openai',
    endpoint: 'chat',
    key: 'a',
    pool: 'p',
    model: 'm',
    stream: false,
    status: 200,
    outcome: 'ok',
    fault: undefined,
    scripted: false,
    overloaded: false,
    admitted: true,
    inputTokens: 1,
    outputTokens: 1,
    chargedTokens: 10,
    startedAt,
    endedAt: startedAt,
    ...overrides,
  });

  it('finds the busiest half-open window, counting admitted requests only', () => {
    const ledger = new Ledger();
    for (const t of [0, 10_000, 59_999, 60_000, 61_000]) ledger.open(entry(t));
    ledger.open(entry(30_000, { admitted: false, status: 429, outcome: 'limited' }));
    expect(ledger.maxPerSlidingWindow('p', 60_000)).toBe(4);
    expect(ledger.maxPerSlidingWindow('p', 60_000, 'tokens')).toBe(40);
    expect(ledger.countByStatus()).toEqual({ 200: 5, 429: 1 });
    expect(ledger.countByKey({ admitted: true })).toEqual({ a: 5 });
  });

  it('finds the smallest GCRA burst the admitted requests fit in', () => {
    const ledger = new Ledger();
    // 60 rpm = one per second: three at once need a burst of 3; then one a second keeps the debt flat.
    for (const t of [0, 0, 0, 1000, 2000, 3000]) ledger.open(entry(t));
    ledger.open(entry(3000, { admitted: false, status: 429, outcome: 'limited' }));
    expect(ledger.peakBurst('p', 60, 60_000)).toBe(3);
    expect(ledger.peakBurst('p', 120, 60_000)).toBe(3);
    expect(ledger.peakBurst('p', 6000, 60_000, 'tokens')).toBe(30);
    expect(ledger.peakBurst('q', 60, 60_000)).toBe(0);
  });

  it('reports request ids answered twice, tracks peak concurrency, and resets', () => {
    const ledger = new Ledger();
    ledger.open(entry(0, { requestId: 'job-1' }));
    ledger.open(entry(1, { requestId: 'job-1' }));
    ledger.open(entry(2, { requestId: 'job-2' }));
    ledger.open(entry(3, { requestId: 'job-2', status: 503, outcome: 'fault' }));
    expect(ledger.duplicates()).toEqual(['job-1']);
    ledger.enter('p');
    ledger.enter('p');
    ledger.leave('p');
    ledger.enter('q');
    expect([ledger.peakConcurrency('p'), ledger.peakConcurrency('q'), ledger.peakConcurrency()]).toEqual([
      2, 1, 2,
    ]);
    ledger.reset();
    expect(ledger.size).toBe(0);
    expect([ledger.peakConcurrency('p'), ledger.peakConcurrency()]).toEqual([1, 2]);
  });
});
