import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisStore, redisStore } from '../../src/store/redis-store.js';
import type { StoreEvent, TakeRequest } from '../../src/store/store.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

const TIMEOUT_MS = 100;
/** Far above the deadline: a call slower than this hangs, whatever the machine's speed. */
const HANG_MS = TIMEOUT_MS + 1500;

const address = { provider: 'openai', key: 'k1' };
const take: TakeRequest = {
  ...address,
  scope: 'k1',
  limits: [{ name: 'rpm', limit: 60, units: 1 }],
  probeTtlMs: 1000,
};

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await call();
  return { value, ms: performance.now() - start };
}

/** Calls the store until Redis answers it again (the store's breaker lets a trial through every 50 ms). */
async function untilRecovered(store: RedisStore): Promise<void> {
  for (let i = 0; i < 200 && store.mode !== 'redis'; i++) {
    await store.snapshot(address, 'k1');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(store.mode).toBe('redis');
}

describe.each(CLIENT_KINDS)('redisStore when Redis is slow or down ($name)', (kind) => {
  let server: RedisServer;
  let client: TestClient;
  let store: RedisStore;
  const events: StoreEvent[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    client = await kind.connect(server.url);
    store = redisStore({
      client: client.client,
      timeoutMs: TIMEOUT_MS,
      failureThreshold: 1,
      recoverAfterMs: 50,
      processes: 4,
    });
    store.on((event) => events.push(event));
  });
  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  it('answers locally within its deadline while Redis stalls, then recovers', async () => {
    expect((await store.take(take)).ok).toBe(true);
    server.pause();
    try {
      // Booked (reserve): the local schedule's first slot is on this process's grid, up to an interval away.
      const stalled = await timed(() => store.take({ ...take, key: 'k2', scope: 'k2', reserveMs: 5000 }));
      expect(stalled.ms).toBeLessThan(HANG_MS);
      expect(stalled.value.ok).toBe(true); // answered by the local fallback
      expect(store.mode).toBe('degraded');
      expect(events.map((e) => e.type)).toEqual(['store-degraded']);
    } finally {
      server.resume();
    }
    await untilRecovered(store);
    expect(events.map((e) => e.type)).toEqual(['store-degraded', 'store-recovered']);
  });

  it('survives a crash and a restart: local pacing at its share, no hung call, state handed back', async () => {
    events.length = 0;
    await server.stop();
    const calls = [
      await timed(() => store.take({ ...take, key: 'k3', scope: 'k3', reserveMs: 5000 })),
      await timed(() => store.take({ ...take, key: 'k3', scope: 'k3' })),
      await timed(() => store.extendDeadline(address, 'cooldown', 30_000)),
      await timed(() => store.settle({ provider: 'openai', scope: 'k3', limits: [] })),
    ];
    for (const call of calls) expect(call.ms).toBeLessThan(HANG_MS);
    expect(store.mode).toBe('degraded');
    // Local share of 1/4: 60 rpm becomes 15, one send every 4 s.
    expect(calls[1]?.value).toMatchObject({ ok: false, reason: 'rate' });
    const refused = calls[1]?.value;
    if (refused && typeof refused === 'object' && 'waitMs' in refused)
      expect(refused.waitMs).toBeGreaterThan(3000);

    await server.start(); // empty: no state and no scripts, so NOSCRIPT is met on the way back
    await untilRecovered(store);
    expect(events.map((e) => e.type)).toEqual(['store-degraded', 'store-recovered']);
    // The re-sync hands the local cooldown and schedule back to Redis, where other processes see them.
    const peer = await kind.connect(server.url);
    try {
      const seen = redisStore({ client: peer.client, timeoutMs: 2000 });
      let snap = await seen.snapshot(address, 'k3');
      for (let i = 0; i < 100 && snap.cooldownMs === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        snap = await seen.snapshot(address, 'k3');
      }
      expect(snap.cooldownMs).toBeGreaterThan(20_000);
      expect(snap.limits.rpm?.aheadMs).toBeGreaterThan(0);
      expect(await seen.take({ ...take, key: 'k3', scope: 'k3' })).toMatchObject({
        ok: false,
        reason: 'rate',
      });
      expect(seen.mode).toBe('redis');
    } finally {
      await peer.quit();
    }
  });
});
