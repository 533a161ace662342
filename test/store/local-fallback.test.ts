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
  it('a fresh local schedule starts on the store’s own grid, (k + stagger) × interval, and keeps it', async () => {
    const clock = new ManualClock(1_000_000);
    // 60 rpm at a quarter share: 15 rpm, one send every 4 s, on the grid 1 002 000, 1 006 000, …
    const store = memoryStore({ clock, share: 0.25, stagger: () => 0.5 });
    expect(store.take(take())).toEqual({ ok: false, waitMs: 2000, reason: 'rate', learned: {} });
    await clock.advance(500);
    expect(store.take(take())).toMatchObject({ ok: false, waitMs: 1500 });
    await clock.advance(1500);
    expect(store.take(take())).toMatchObject({ ok: true, delayMs: 0 });
    expect(store.take(take())).toMatchObject({ ok: false, waitMs: 4000 });
    // Idle past its slot: the schedule restarts on the same grid, not at an arbitrary now.
    await clock.advance(5000); // 1 007 000
    expect(store.take(take(5000))).toMatchObject({ ok: true, delayMs: 3000 });
  });

  it('processes falling back at different moments take turns on their slots', async () => {
    const clock = new ManualClock(1_000_300);
    // Two processes at half of 60 rpm each: one send every 2 s each, phases 0 and 0.5.
    const a = memoryStore({ clock, share: 0.5, stagger: () => 0 });
    const b = memoryStore({ clock, share: 0.5, stagger: () => 0.5 });
    const sends: number[] = [];
    const send = (store: typeof a): void => {
      const result = store.take(take(5000));
      if (result.ok) sends.push(clock.now() + result.delayMs);
    };
    send(a); // a falls back at 1 000 300
    await clock.advance(800);
    send(b); // b at 1 001 100
    for (let i = 0; i < 3; i++) {
      await clock.advance(2000);
      send(a);
      send(b);
    }
    // Every send a full-rate interval (1 s) from the last: never two at once.
    expect(sends.sort((x, y) => x - y)).toEqual([
      1_002_000, 1_003_000, 1_004_000, 1_005_000, 1_006_000, 1_007_000, 1_008_000, 1_009_000,
    ]);
  });

  it('after sends booked in Redis, a process takes its own first slot after them, not one local interval on', () => {
    const clock = new ManualClock(1_000_000);
    // 60 rpm shared by 4 processes: the whole limit sends every 1 s, each process every 4 s, this one at
    // phase 0.5 (1 002 000, 1 006 000, …). The shared schedule runs 3.2 s ahead (to 1 003 200): the next
    // slot of the whole limit is at 1 004 200 or after, and this process's first one after that, 1 006 000.
    // One local interval after the bookings (4 s: 1 007 200 → 1 010 000) would leave the slots of
    // 1 006 000 idle in every process.
    const store = memoryStore({ clock, share: 0.25, stagger: () => 0.5 });
    expect(store.take({ ...take(10_000), bookedMs: 3200 })).toMatchObject({ ok: true, delayMs: 6000 });
  });

  it('without stagger a fresh schedule sends at once, as a process alone does', () => {
    const store = memoryStore({ clock: new ManualClock(0), share: 0.25 });
    expect(store.take(take())).toMatchObject({ ok: true, delayMs: 0 });
  });

  it('a process’s phase: its index over the processes, else one random draw; none alone', () => {
    const starts = [0, 1, 2, 3].map((processIndex) =>
      resolveRedisStoreOptions({ client, processes: 4, processIndex }).stagger?.(),
    );
    expect(starts).toEqual([0, 0.25, 0.5, 0.75]);
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0.3;
    };
    const drawn = resolveRedisStoreOptions({ client, processes: 4, random }).stagger;
    expect([drawn?.(), drawn?.()]).toEqual([0.3, 0.3]);
    expect(draws).toBe(1); // one phase for the whole process
    expect(resolveRedisStoreOptions({ client, random: () => 0.3 }).stagger).toBeUndefined();
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
