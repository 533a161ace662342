import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { RateLimiter } from '../../src/policy/rate-limiter.js';
import { StoreKeyGate } from '../../src/store/key-gate.js';
import { memoryStore } from '../../src/store/memory-store.js';
import type { SettleRequest } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';

const address = { provider: 'openai', key: 'k1' };

function gate(clock: Clock) {
  const store = memoryStore({ clock });
  const shared = new StoreKeyGate({
    store,
    address,
    scope: 'k1',
    limiter: new RateLimiter({ rpm: 60 }),
    clock,
    probeTtlMs: 1000,
    reopenMs: 1000,
  });
  return { store, shared };
}

describe('StoreKeyGate', () => {
  it('remembers how long the last refused take said to wait, without asking the store again', async () => {
    const clock = new ManualClock(1_000_000);
    const { store, shared } = gate(clock);
    expect(shared.waitMs(clock.now())).toBe(0);
    // Another process's 429 cooled the key down for 5 s: this process's take learns it.
    await store.extendDeadline(address, 'cooldown', 5000);
    expect(await shared.take(0)).toBe(5000);
    expect(shared.waitMs(clock.now())).toBe(5000);
    await clock.advance(2000);
    expect(shared.waitMs(clock.now())).toBe(3000);
    await clock.advance(3000);
    expect(shared.waitMs(clock.now())).toBe(0);
    // A take that goes through clears it. At one a second, the next is booked a second ahead: the take
    // holds the call until its slot (no second round trip), and the one after that is refused until its
    // slot is within the booking horizon.
    expect(await shared.take(0)).toBe(0);
    expect(shared.waitMs(clock.now())).toBe(0);
    let booked: number | undefined;
    void shared.take(0).then((wait) => {
      booked = wait;
    });
    await clock.advance(0);
    expect(shared.waitMs(clock.now())).toBe(1000);
    expect(
      await store.take({
        ...address,
        scope: 'k1',
        limits: [{ name: 'rpm', limit: 60, units: 1 }],
        probeTtlMs: 1000,
        reserveMs: 1000,
      }),
    ).toMatchObject({ ok: false, waitMs: 1000 });
    await clock.advance(999);
    expect(booked).toBeUndefined();
    await clock.advance(1);
    expect(booked).toBe(0);
  });

  it('shares a response’s readings at once, all its limits in one round trip, and only when they matter', async () => {
    const { store, shared } = gate(new ManualClock(1_000_000));
    const settles: SettleRequest[] = [];
    const settle = store.settle.bind(store);
    store.settle = (request) => {
      settles.push(request);
      settle(request);
    };
    // The request bucket is empty for 500 ms (worth telling the others now); the token bucket has room.
    shared.observe({
      requests: { limit: 60, remaining: 0, resetMs: 500, windowMs: 60_000 },
      tokens: { limit: 1000, remaining: 900, resetMs: 6000, windowMs: 60_000 },
    });
    expect(settles).toHaveLength(1);
    expect(settles[0]).toMatchObject({ limits: [], readings: [{ name: 'rpm', floorMs: 500 }] });
    expect((await store.snapshot(address, 'k1')).limits.rpm?.notBeforeMs).toBe(500);
    // Buckets with room, and an estimate that was right: nothing to send.
    shared.observe({ requests: { limit: 60, remaining: 3, resetMs: 500, windowMs: 60_000 } });
    shared.settle(50, 50);
    shared.release();
    expect(settles).toHaveLength(1);
  });

  it('keeps to itself an empty bucket’s floor that its own booked send already lies beyond', async () => {
    const clock = new ManualClock(1_000_000);
    const { store, shared } = gate(clock);
    const settles: SettleRequest[] = [];
    const settle = store.settle.bind(store);
    store.settle = (request) => {
      settles.push(request);
      settle(request);
    };
    // At one a second, the second take books a send 1 s ahead: the shared schedule runs past it.
    expect(await shared.take(0)).toBe(0);
    void shared.take(0);
    await clock.advance(0);
    // An answer reads the bucket empty, full in 500 ms: before the booked send, so nothing to tell.
    shared.observe({ requests: { limit: 30, remaining: 0, resetMs: 500, windowMs: 60_000 } });
    expect(settles).toHaveLength(0);
    // Empty, with one request back in 1.5 s (full in 1.5 s, at 30 a minute): past it, shared.
    shared.observe({ requests: { limit: 30, remaining: 0, resetMs: 1500, windowMs: 60_000 } });
    expect(settles).toHaveLength(1);
    expect(settles[0]).toMatchObject({ readings: [{ name: 'rpm', floorMs: 1500 }] });
    await clock.advance(1000);
  });

  it('gives a booked slot up and asks again when the process woke too late to keep it', async () => {
    const manual = new ManualClock(1_000_000);
    // A busy process: every timer fires 80 ms after it was due.
    const late: Clock = {
      now: () => manual.now(),
      sleep: (ms, signal) => manual.sleep(ms + 80, signal),
    };
    const { shared } = gate(late);
    expect(await shared.take(0)).toBe(0);
    let answer: number | undefined;
    void shared.take(0).then((wait) => {
      answer = wait;
    });
    await manual.advance(1080);
    expect(answer).toBe(1); // not 0: the worker waits a moment and takes again
  });
});
