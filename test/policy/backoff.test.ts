import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/policy/backoff.js';

const policy = { initialRetryDelay: 1000, backoffFactor: 2, maxRetryDelay: 60_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per consecutive failure, with random pinned at its top', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(policy, n, top))).toEqual([
      999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999,
    ]);
  });

  it('applies full jitter: the delay is random × ceiling', () => {
    expect([1, 2, 3].map((n) => backoffDelay(policy, n, () => 0.5))).toEqual([500, 1000, 2000]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
  });

  it('takes a provider hint as a floor', () => {
    expect(backoffDelay(policy, 1, () => 0.5, 1200)).toBe(1200);
    expect(backoffDelay(policy, 4, () => 0.5, 1200)).toBe(4000);
  });

  it('honours another factor and cap', () => {
    const p = { initialRetryDelay: 100, backoffFactor: 3, maxRetryDelay: 1000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(p, n, () => 0.5))).toEqual([50, 150, 450, 500]);
  });

  it('with equal jitter, waits half the ceiling for sure and the other half by chance, to the fraction', () => {
    expect([1, 2, 3, 7].map((n) => backoffDelay(policy, n, () => 0, undefined, 'equal'))).toEqual([
      500, 1000, 2000, 30_000,
    ]);
    expect([1, 2].map((n) => backoffDelay(policy, n, () => 0.5, undefined, 'equal'))).toEqual([750, 1500]);
    expect(backoffDelay(policy, 1, () => 0.333, undefined, 'equal')).toBe(666.5);
  });
});
