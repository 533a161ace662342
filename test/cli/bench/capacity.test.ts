import { describe, expect, it } from 'vitest';
import { goodputPercent, theoreticalCapacity } from '../../../src/cli/bench/capacity.js';

describe('theoreticalCapacity', () => {
  it('sums the tightest of rpm, tpm and concurrency over the keys', () => {
    const keys = Array.from({ length: 5 }, () => ({ rpm: 600, tpm: 60_000, concurrency: 5 }));
    const c = theoreticalCapacity(keys, 50, 200);
    expect(c.perKey[0]).toEqual({ byRpm: 10, byTpm: 20, byConcurrency: 25, rps: 10, binding: 'rpm' });
    expect(c.rps).toBe(50);
  });

  it('lets tokens bind when requests are large, and concurrency when latency is long', () => {
    expect(theoreticalCapacity([{ rpm: 600, tpm: 60_000 }], 200, 200).perKey[0]?.binding).toBe('tpm');
    expect(theoreticalCapacity([{ rpm: 600, concurrency: 1 }], 10, 500).perKey[0]).toMatchObject({
      rps: 2,
      binding: 'concurrency',
    });
  });

  it('is unbounded (null) when a key has no limit at all', () => {
    expect(theoreticalCapacity([{ rpm: 60 }, {}], 10, 100).rps).toBeNull();
  });

  it('gives goodput as a percentage with one decimal', () => {
    expect(goodputPercent(48.76, 50)).toBe(97.5);
    expect(goodputPercent(10, null)).toBeNull();
  });
});
