import { afterEach, describe, expect, it, vi } from 'vitest';
import { BENCH_DEFAULTS, type BenchOptions } from '../../../src/cli/bench/bench-options.js';
import { groupOrders } from '../../../src/cli/bench/process-bench.js';
import { buildWorkload } from '../../../src/cli/bench/workload.js';

const options = {
  ...BENCH_DEFAULTS,
  maxConcurrent: ['auto'],
  strategies: ['least-loaded'],
  runTimeoutSeconds: 60,
} as unknown as BenchOptions;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('keymux bench --processes: the orders of one group', () => {
  it('gives every process of a Redis group the same store prefix, however the clock moves meanwhile', () => {
    let now = 1_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now++);
    const jobs = buildWorkload(40, 1);
    const slices = [0, 1, 2, 3].map((i) => jobs.slice(i * 10, (i + 1) * 10));
    const orders = groupOrders({
      options,
      group: { store: 'redis', limits: 'configured' },
      groupIndex: 0,
      slices,
      target: { baseURL: 'http://127.0.0.1:1/v1', keys: [] },
      concurrency: 25,
      slots: 'auto',
      redisUrl: 'redis://127.0.0.1:6379',
    });
    expect(orders).toHaveLength(4);
    const prefixes = new Set(orders.map((o) => o.redis?.prefix));
    expect(prefixes.size).toBe(1);
    expect(orders.every((o) => o.redis?.processes === 4)).toBe(true);
    expect(orders.map((o) => o.jobs.length)).toEqual([10, 10, 10, 10]);
  });

  it('gives a memory group no Redis at all', () => {
    const orders = groupOrders({
      options,
      group: { store: 'memory', limits: 'learned' },
      groupIndex: 1,
      slices: [buildWorkload(2, 1)],
      target: { baseURL: undefined, keys: [] },
      concurrency: 5,
      slots: 5,
      redisUrl: 'redis://127.0.0.1:6379',
    });
    expect(orders[0]?.redis).toBeUndefined();
    expect(orders[0]?.limits).toBeUndefined();
  });
});
