import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/policy/rate-limiter.js';
import { StoreKeyGate } from '../../src/store/key-gate.js';
import { type RedisStore, redisStore } from '../../src/store/redis-store.js';
import type { StoreEvent, TakeRequest } from '../../src/store/store.js';
import { ManualClock } from '../support/manual-clock.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

// 600 rpm: one send every 100 ms at the full limit, every 200 ms at this process's half share.
const take: TakeRequest = {
  provider: 'openai',
  key: 'k1',
  scope: 'k1',
  limits: [{ name: 'rpm', limit: 600, units: 1 }],
  probeTtlMs: 1000,
};

let server: RedisServer;
let client: TestClient;
let peer: TestClient;
beforeAll(async () => {
  server = await RedisServer.start();
  [client, peer] = await Promise.all([
    CLIENT_KINDS[0]!.connect(server.url),
    CLIENT_KINDS[0]!.connect(server.url),
  ]);
});
afterAll(async () => {
  await Promise.all([client.quit(), peer.quit()]);
  await server.stop();
});

describe('a Redis store coming back after an outage', () => {
  it('stays on its local share until the hand-over’s agreed end, charging Redis, instead of sending at the full rate at once', async () => {
    const prefix = `handover-${Date.now()}`;
    const store: RedisStore = redisStore({
      client: client.client,
      prefix,
      processes: 2,
      processIndex: 0,
      timeoutMs: 500,
      failureThreshold: 1,
      recoverAfterMs: 1000,
    });
    const events: StoreEvent[] = [];
    store.on((e) => events.push(e));
    expect(await store.ready()).toEqual({ ok: true });
    await server.stop();
    await store.take(take); // fails over to the local share
    expect(store.mode).toBe('degraded');
    await server.start();
    for (let i = 0; i < 200 && !events.some((e) => e.type === 'store-recovered'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      await store.take(take); // the trial after recoverAfterMs, and the local takes meanwhile
    }
    expect(events.map((e) => e.type)).toEqual(['store-degraded', 'store-recovered']);
    // Just back: Redis's schedule of the key is empty (the restarted server kept nothing), yet the store
    // paces at its half share, one send every 200 ms, not at the full limit's 100.
    expect(await spacing(store)).toBeGreaterThan(150);
    // Past its own recoverAfterMs, still local: the hand-over ends where the first process back set it in
    // Redis, 2 × recoverAfterMs on, so that every process (each back within recoverAfterMs) leaves together.
    const recoveredAt = events.find((e) => e.type === 'store-recovered')?.at ?? 0;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, recoveredAt + 1300 - Date.now())));
    expect(await spacing(store)).toBeGreaterThan(150);
    const end = Number(await peer.command(['GET', `keymux:{${prefix}}:handover`]));
    expect(end).toBeGreaterThan(0);
    // Every local send of the hand-over is charged to Redis, where the other processes see it.
    const seen = redisStore({ client: peer.client, prefix, timeoutMs: 2000 });
    let ahead = 0;
    for (let i = 0; i < 100 && ahead === 0; i++) {
      ahead = (await seen.snapshot({ provider: 'openai', key: 'k1' }, 'k1')).limits.rpm?.aheadMs ?? 0;
      if (ahead === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(ahead).toBeGreaterThan(0);
    store.close();
  });
});

describe('a call waiting for a slot booked in Redis', () => {
  it('keeps the slot when Redis goes away meanwhile, and its local schedule starts after it', async () => {
    if (!server.running) await server.start();
    const client2 = await CLIENT_KINDS[0]!.connect(server.url);
    const store = redisStore({
      client: client2.client,
      prefix: `booked-${Date.now()}`,
      // The whole limit locally, without a grid: where the local schedule starts is then exact.
      localShare: 1,
      timeoutMs: 500,
      failureThreshold: 1,
      recoverAfterMs: 60_000,
    });
    // The gate's waits on a manual clock: the booked slot comes when the test says.
    const clock = new ManualClock(1_000_000);
    const gate = new StoreKeyGate({
      store,
      address: { provider: 'openai', key: 'k1' },
      scope: 'k1',
      limiter: new RateLimiter({ rpm: 60 }),
      clock,
      probeTtlMs: 1000,
      reopenMs: 1000,
    });
    try {
      expect(await gate.take(0)).toBe(0); // sent now
      let answer: number | undefined;
      const second = gate.take(0).then((wait) => {
        answer = wait;
      });
      // Booked about a second ahead in Redis (one a second); the call waits for it.
      for (let i = 0; i < 200 && gate.waitMs(clock.now()) === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const booked = gate.waitMs(clock.now());
      expect(booked).toBeGreaterThan(900);
      await server.stop();
      await store.settle({ provider: 'openai', scope: 'k1', limits: [] }); // finds Redis gone
      expect(store.mode).toBe('degraded');
      await clock.advance(booked);
      await second;
      // Sent: every booking was made in the one shared schedule, so together they stay under the limit.
      expect(answer).toBe(0);
      // The local schedule starts one interval (60 rpm: 1 s) after the shared schedule's reach as this
      // process knows it (its last booking was about a second ahead, and others booked after it about as
      // far ahead): about 2 s from now, not at once, where a send would meet the bookings others made
      // before the outage.
      const third = gate.take(0);
      for (let i = 0; i < 200 && gate.waitMs(clock.now()) === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(gate.waitMs(clock.now())).toBeGreaterThanOrEqual(1500);
      await clock.advance(gate.waitMs(clock.now()));
      expect(await third).toBe(0);
    } finally {
      await client2.quit();
      store.close();
      await server.start();
    }
  });
});

/**
 * Ms the store's schedule puts between one send and the next: two takes that may book ahead, one after the
 * other, and the distance between their slots. A busy machine delays when the takes are asked, not where
 * the schedule puts the slots.
 */
async function spacing(store: RedisStore): Promise<number> {
  const slot = async (): Promise<number> => {
    const askedAt = performance.now();
    const result = await store.take({ ...take, reserveMs: 5000 });
    if (!result.ok) throw new Error(`take refused: ${JSON.stringify(result)}`);
    return askedAt + result.delayMs;
  };
  const first = await slot();
  return (await slot()) - first;
}

describe('a take whose Redis call is late while Redis is not away', () => {
  it('is refused for a moment and asks Redis again, instead of sending on the local schedule', async () => {
    if (!server.running) await server.start();
    const store = redisStore({
      client: client.client,
      prefix: `late-${Date.now()}`,
      processes: 2,
      processIndex: 0,
      timeoutMs: 100,
      failureThreshold: 2,
    });
    try {
      expect(await store.ready()).toEqual({ ok: true });
      // Redis holds every client's commands for 400 ms: this take misses its 100 ms deadline.
      await peer.command(['CLIENT', 'PAUSE', '400', 'ALL']);
      // Other processes go on taking from Redis: a local send now would come on top of their schedule.
      const late = await store.take({ ...take, reserveMs: 5000 });
      expect(late).toEqual({ ok: false, waitMs: 100, reason: 'rate', learned: {} });
      expect(store.mode).toBe('redis');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await store.take({ ...take, reserveMs: 5000 })).toMatchObject({ ok: true });
    } finally {
      store.close();
    }
  });
});
