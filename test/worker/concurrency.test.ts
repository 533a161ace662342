import { describe, expect, it } from 'vitest';
import { ConcurrencyGovernor } from '../../src/worker/concurrency.js';

describe('ConcurrencyGovernor (AIMD for keys with no known limits)', () => {
  it('halves on a 429 and grows back by one per full window of saturated successes', () => {
    const changes: number[] = [];
    const g = new ConcurrencyGovernor(8, () => true);
    g.onChange((n) => changes.push(n));
    g.onRateLimited();
    expect(g.limit).toBe(4);
    g.onRateLimited();
    expect(g.limit).toBe(2);
    g.onSuccess(true);
    expect(g.limit).toBe(2);
    g.onSuccess(true);
    expect(g.limit).toBe(3);
    for (let i = 0; i < 3; i++) g.onSuccess(true);
    expect(g.limit).toBe(4);
    expect(changes).toEqual([4, 2, 3, 4]);
  });

  it('does not grow while the key is not saturated, nor past its maximum, nor below one', () => {
    const g = new ConcurrencyGovernor(2, () => true);
    for (let i = 0; i < 5; i++) g.onRateLimited();
    expect(g.limit).toBe(1);
    for (let i = 0; i < 10; i++) g.onSuccess(false);
    expect(g.limit).toBe(1);
    for (let i = 0; i < 10; i++) g.onSuccess(true);
    expect(g.limit).toBe(2);
  });

  it('stays fixed while the key has limits to pace by', () => {
    const g = new ConcurrencyGovernor(5, () => false);
    g.onRateLimited();
    expect(g.limit).toBe(5);
  });
});
