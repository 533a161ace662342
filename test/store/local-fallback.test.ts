import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/store/memory-store.js';
import type { RedisClientLike } from '../../src/store/redis-client.js';
import { resolveRedisStoreOptions } from '../../src/store/redis-store-options.js';
import type { TakeRequest } from '../../src/store/store.js';
import { StoreBreaker } from '../../src/store/store-breaker.js';
import { ManualClock } from '../support/manual-clock.js';

const take = (reserveMs = 0): TakeRequest => ({
  provider: 'openai',
  key: 'k1',
  scope: 'k1',
  limits: [{ name: 'rpm', limit: 60, units: 1 }],
  probeTtlMs: 1000,
  reserveMs,
});

// Shape only: option resolution never sends a command.
const client = { evalsha: async () => [], eval: async () => [] } as unknown as RedisClientLike;

describe('local shares of processes that fall back together', () => {
  it('a fresh local schedule starts where `stagger` says in its first interval, and keeps that start', async () => {
    const clock = new ManualClock(1_000_000);
    // 60 rpm at a quarter share: 15 rpm, one send every 4 s; this process starts half-way in.
    const store = memoryStore({ clock, share: 0.25, stagger: () => 0.5 });
    expect(store.take(take())).toEqual({ ok: false, waitMs: 2000, reason: 'rate', learned: {} });
    await clock.advance(500);
    expect(store.take(take())).toMatchObject({ ok: false, waitMs: 1500 });
    await clock.advance(1500);
    expect(store.take(take())).toMatchObject({ ok: true, delayMs: 0 });
    expect(store.take(take())).toMatchObject({ ok: false, waitMs: 4000 });
    // A booked take (reserve) goes at the staggered start too.
    const booked = memoryStore({ clock, share: 0.25, stagger: () => 0.25 });
    expect(booked.take(take(5000))).toMatchObject({ ok: true, delayMs: 1000 });
  });

  it('without stagger a fresh schedule sends at once, as a process alone does', () => {
    const store = memoryStore({ clock: new ManualClock(0), share: 0.25 });
    expect(store.take(take())).toMatchObject({ ok: true, delayMs: 0 });
  });

  it('processes offset by their index interleave their shares; a random start without one; none alone', () => {
    const starts = [0, 1, 2, 3].map((processIndex) =>
      resolveRedisStoreOptions({ client, processes: 4, processIndex }).stagger(),
    );
    expect(starts).toEqual([0, 0.25, 0.5, 0.75]);
    expect(resolveRedisStoreOptions({ client, processes: 4, random: () => 0.3 }).stagger()).toBe(0.3);
    expect(resolveRedisStoreOptions({ client, random: () => 0.3 }).stagger()).toBe(0);
    expect(() => resolveRedisStoreOptions({ client, processes: 4, processIndex: 4 })).toThrow(
      'store.processIndex',
    );
  });
});

describe("the store's breaker", () => {
  it('counts the calls in flight that time out together in one stall as one failure', () => {
    const breaker = new StoreBreaker(2, 1000);
    // Three calls sent at 0, 5 and 10 all miss their deadline when the process wakes at 400.
    expect(breaker.onFailure('send', 400, 0)).toBe(false);
    expect(breaker.onFailure('send', 400, 5)).toBe(false);
    expect(breaker.onFailure('send', 401, 10)).toBe(false);
    expect(breaker.isOpen).toBe(false);
    // A call made after that failure, failing too: two in a row, Redis is away.
    expect(breaker.onFailure('send', 600, 450)).toBe(true);
    expect(breaker.isOpen).toBe(true);
  });
});
