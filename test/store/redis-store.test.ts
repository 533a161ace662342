import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_CONTACT_POLL_MS, TAKE_LUA } from '../../src/store/lua/take.js';
import { type RedisStore, redisStore } from '../../src/store/redis-store.js';
import type { TakeRequest } from '../../src/store/store.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

const TAKE_SHA = createHash('sha1').update(TAKE_LUA).digest('hex');

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server.stop();
});

let run = 0;
/** A fresh prefix per test, so tests share the server and never each other's keys. */
function fresh(client: TestClient): { store: RedisStore; prefix: string } {
  run += 1;
  const prefix = `t${run}`;
  return { store: redisStore({ client: client.client, prefix, timeoutMs: 2000 }), prefix };
}

const rpm = (limit: number | undefined, key = 'k1'): TakeRequest => ({
  provider: 'openai',
  key,
  scope: key,
  limits: [{ name: 'rpm', limit, units: 1 }],
  probeTtlMs: 10_000,
});

describe.each(CLIENT_KINDS)('redisStore on $name', (kind) => {
  let client: TestClient;
  let other: TestClient;
  beforeAll(async () => {
    client = await kind.connect(server.url);
    other = await kind.connect(server.url);
  });
  afterAll(async () => {
    await client.quit();
    await other.quit();
  });

  it('admits exactly the limit of 200 concurrent takes from two connections', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    // A daily limit may be used whole at once: exactly 50 of the 200 may pass, whatever the interleaving.
    const daily: TakeRequest = { ...rpm(undefined), limits: [{ name: 'rpd', limit: 50, units: 1 }] };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : peer).take(daily)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    for (const r of results) if (!r.ok) expect(r.reason).toBe('rate');
    const snap = await store.snapshot({ provider: 'openai', key: 'k1' }, 'k1');
    expect(snap.limits.rpd?.aheadMs).toBeGreaterThan(86_000_000); // 50 × a fiftieth of a day
    expect(snap.limits.rpd?.aheadMs).toBeLessThanOrEqual(86_400_000);
    expect(store.mode).toBe('redis');
    expect(peer.mode).toBe('redis');
  });

  it('admits exactly one of 200 concurrent takes on a paced limit, and moves it by one interval', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : peer).take(rpm(1))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    // One interval of an rpm of 1 is 60 s: had two takes slipped through, the schedule would run 120 s ahead.
    const snap = await store.snapshot({ provider: 'openai', key: 'k1' }, 'k1');
    expect(snap.limits.rpm?.aheadMs).toBeGreaterThan(50_000);
    expect(snap.limits.rpm?.aheadMs).toBeLessThanOrEqual(60_000);
  });

  it('books each of 200 concurrent takes its own slot within the horizon, and refuses the rest', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    // One a second, booked up to 5 s ahead: slots at 0, 1, …, 5 s, each given to exactly one take.
    const booking: TakeRequest = { ...rpm(60), reserveMs: 5000 };
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? store : peer).take(booking)),
    );
    const delays = results.flatMap((r) => (r.ok ? [r.delayMs] : [])).sort((a, b) => a - b);
    expect(delays).toHaveLength(6);
    delays.forEach((delay, slot) => {
      expect(delay).toBeLessThanOrEqual(slot * 1000);
      expect(delay).toBeGreaterThan(slot * 1000 - 1000);
    });
    // The refused come back when the next free slot (6 s ahead) is within the horizon.
    for (const r of results) if (!r.ok) expect(r).toMatchObject({ reason: 'rate' });
    const waits = results.flatMap((r) => (r.ok ? [] : [r.waitMs]));
    expect(Math.min(...waits)).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1000);
  });

  it('refuses all or nothing across limits and writes nothing on refusal', async () => {
    const { store } = fresh(client);
    const both = (tokens: number): TakeRequest => ({
      ...rpm(1000),
      limits: [
        { name: 'rpm', limit: 1000, units: 1 },
        { name: 'tpm', limit: 60, units: tokens },
      ],
    });
    await store.tighten({ provider: 'openai', scope: 'k1', name: 'tpm', floorMs: 30_000 });
    const refused = await store.take(both(5));
    expect(refused).toMatchObject({ ok: false, reason: 'rate' });
    if (!refused.ok) expect(refused.waitMs).toBeGreaterThan(20_000);
    const snap = await store.snapshot({ provider: 'openai', key: 'k1' }, 'k1');
    expect(snap.limits.rpm).toBeUndefined();
    expect(snap.limits.tpm).toMatchObject({ aheadMs: 0 });
    expect(snap.limits.tpm?.notBeforeMs).toBeLessThanOrEqual(30_000);
  });

  it('settles token estimates: debt moves the schedule later, a refund never before now', async () => {
    const { store } = fresh(client);
    const address = { provider: 'openai', key: 'k1' };
    const tpm = (units: number) => ({
      provider: 'openai',
      scope: 'k1',
      limits: [{ name: 'tpm' as const, limit: 60, units }],
    });
    expect((await store.take({ ...rpm(undefined), limits: tpm(10).limits })).ok).toBe(true);
    const ahead = async () => (await store.snapshot(address, 'k1')).limits.tpm?.aheadMs ?? 0;
    expect(await ahead()).toBeGreaterThan(9_000); // 10 tokens at one a second
    await store.settle(tpm(-4));
    expect(await ahead()).toBeGreaterThan(5_000);
    expect(await ahead()).toBeLessThanOrEqual(6_000);
    await store.settle(tpm(10));
    expect(await ahead()).toBeGreaterThan(15_000);
    await store.settle(tpm(-1000));
    expect(await ahead()).toBe(0);
    expect((await store.take({ ...rpm(undefined), limits: tpm(1).limits })).ok).toBe(true);
  });

  it('tightens from a reading, never loosens, and shares a learned limit with another process', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    await store.tighten({ provider: 'openai', scope: 'k1', name: 'rpm', floorMs: 5_000, learn: 600 });
    await store.tighten({ provider: 'openai', scope: 'k1', name: 'rpm', floorMs: 1_000 });
    const snap = await peer.snapshot({ provider: 'openai', key: 'k1' }, 'k1');
    expect(snap.limits.rpm?.learned).toBe(600);
    expect(snap.limits.rpm?.notBeforeMs).toBeGreaterThan(4_000);
    const refused = await peer.take(rpm(undefined));
    expect(refused).toMatchObject({ ok: false, reason: 'rate', learned: { rpm: 600 } });
  });

  it('lets one process alone make the first contact with a key whose limits nobody knows, until one is learned', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    const unknown: TakeRequest = {
      ...rpm(undefined),
      limits: [
        { name: 'rpm', limit: undefined, units: 1 },
        { name: 'tpm', limit: undefined, units: 10 },
      ],
    };
    expect(await store.take(unknown)).toMatchObject({ ok: true });
    // The others ask again shortly: the first answer's headers are about to teach everyone the limits.
    const waiting = await peer.take(unknown);
    expect(waiting).toMatchObject({ ok: false, reason: 'rate' });
    if (!waiting.ok) expect(waiting.waitMs).toBeLessThanOrEqual(FIRST_CONTACT_POLL_MS);
    await store.tighten({ provider: 'openai', scope: 'k1', name: 'rpm', floorMs: 0, learn: 60_000 });
    expect(await peer.take(unknown)).toMatchObject({ ok: true, learned: { rpm: 60_000 } });
    // A key with a configured limit never waits for a first contact (a daily limit may go at once).
    const daily: TakeRequest = {
      ...unknown,
      key: 'k2',
      scope: 'k2',
      limits: [{ name: 'rpd', limit: 100, units: 1 }],
    };
    expect(await peer.take(daily)).toMatchObject({ ok: true });
    expect(await store.take(daily)).toMatchObject({ ok: true });
  });

  it('applies a call’s readings with its settle, in the one script', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    expect((await store.take(rpm(undefined))).ok).toBe(true);
    await store.settle({
      provider: 'openai',
      scope: 'k1',
      limits: [{ name: 'tpm', limit: undefined, units: -5 }],
      readings: [
        { name: 'rpm', floorMs: 3_000, learn: 600 },
        { name: 'tpm', floorMs: 0, learn: 6_000 },
      ],
    });
    const snap = await peer.snapshot({ provider: 'openai', key: 'k1' }, 'k1');
    expect(snap.limits.rpm).toMatchObject({ learned: 600 });
    expect(snap.limits.rpm?.notBeforeMs).toBeGreaterThan(2_000);
    expect(snap.limits.tpm).toMatchObject({ learned: 6_000 });
    expect(await peer.take(rpm(undefined))).toMatchObject({
      ok: false,
      reason: 'rate',
      learned: { rpm: 600 },
    });
  });

  it('extends a cooldown, never shortens it, and refuses takes on the key while it runs', async () => {
    const { store } = fresh(client);
    const address = { provider: 'openai', key: 'k1' };
    expect(await store.extendDeadline(address, 'cooldown', 10_000)).toBeGreaterThan(9_000);
    const left = await store.extendDeadline(address, 'cooldown', 1_000);
    expect(left).toBeGreaterThan(9_000);
    expect(await store.take(rpm(600))).toMatchObject({ ok: false, reason: 'cooldown' });
    await store.extendDeadline(address, 'exhausted', 20_000);
    expect((await store.snapshot(address, 'k1')).exhaustedMs).toBeGreaterThan(19_000);
    await store.clearKey(address);
    expect(await store.take(rpm(600))).toMatchObject({ ok: true });
  });

  it('lets one probe through a half-open breaker; its lease expires if its holder dies', async () => {
    const { store, prefix } = fresh(client);
    const peer = redisStore({ client: other.client, prefix, timeoutMs: 2000 });
    const address = { provider: 'openai', key: 'k1' };
    const probe = { ...rpm(undefined), probeTtlMs: 500 };
    await store.openBreaker(address, 0);
    const first = await store.take(probe);
    expect(first.ok && first.probe).toBeTruthy();
    expect(await peer.take(probe)).toMatchObject({ ok: false, reason: 'breaker' });
    expect((await peer.snapshot(address, 'k1')).probeHeld).toBe(true);
    // The holder never reports back: Redis drops its lease after the TTL and the next take probes.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const second = await peer.take(probe);
    expect(second.ok && second.probe).toBeTruthy();
    if (first.ok && first.probe) await store.releaseProbe(address, first.probe); // a stale token frees nothing
    expect(await store.take(probe)).toMatchObject({ ok: false, reason: 'breaker' });
    await peer.closeBreaker(address);
    expect(await store.take(probe)).toMatchObject({ ok: true, probe: undefined });
    expect((await store.snapshot(address, 'k1')).breaker).toBe('closed');
  });

  it('runs a script again by EVAL when Redis answers NOSCRIPT', async () => {
    const { store } = fresh(client);
    expect((await store.take(rpm(6000))).ok).toBe(true);
    await client.command(['SCRIPT', 'FLUSH']);
    const before = await client.command(['SCRIPT', 'EXISTS', TAKE_SHA]);
    expect(before).toEqual([0]);
    expect(await store.take(rpm(6000, 'k2'))).toMatchObject({ ok: true });
    expect(await client.command(['SCRIPT', 'EXISTS', TAKE_SHA])).toEqual([1]);
    expect(store.mode).toBe('redis');
  });

  it('keeps every key of a pool under one Cluster hash tag', async () => {
    const { store, prefix } = fresh(client);
    await store.take({ ...rpm(600), scope: 'group-a' });
    await store.extendDeadline({ provider: 'openai', key: 'k1' }, 'cooldown', 1000);
    const keys = (await client.command(['KEYS', `keymux:{${prefix}:openai}:*`])) as string[];
    expect(keys.sort()).toEqual([
      `keymux:{${prefix}:openai}:key:k1`,
      `keymux:{${prefix}:openai}:rate:group-a`,
    ]);
    for (const key of keys) {
      expect(await client.command(['PTTL', key])).toBeGreaterThan(0);
    }
  });
});
