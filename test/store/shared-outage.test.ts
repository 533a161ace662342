import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import { redisStore } from '../../src/store/redis-store.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

/** 1 200 rpm: one send every 50 ms between both processes, or every 100 ms each while Redis is away. */
const RPM = 1200;
const JOBS_PER_PROCESS = 30;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let clients: TestClient[];
beforeAll(async () => {
  server = await RedisServer.start();
  // One process on node-redis, the other on ioredis: both libraries read and write the same state.
  clients = await Promise.all(CLIENT_KINDS.map((kind) => kind.connect(server.url)));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
});

describe('two processes on one key while their Redis crashes and comes back', () => {
  it('settle every job once, pace together at each one’s local share, and report both mode changes', async () => {
    const sends: Array<{ at: number; job: string }> = [];
    const events: string[][] = [[], []];
    const muxes = clients.map((c, p) => {
      const mux = new Multiplexer({
        store: redisStore({
          client: c.client,
          prefix: 'outage',
          processes: 2,
          timeoutMs: 200,
          failureThreshold: 1,
          recoverAfterMs: 50,
        }),
        maxRetries: 3,
      });
      mux.registerProvider(fakeAdapter());
      mux.addKey('fake', { name: 'a', apiKey: 'secret-a-0123456789', limits: { rpm: RPM } });
      mux.on('*', (e) => {
        if (e.type === 'store-degraded' || e.type === 'store-recovered') events[p]?.push(e.type);
      });
      return mux;
    });
    const jobs = muxes.flatMap((mux, p) =>
      Array.from({ length: JOBS_PER_PROCESS }, (_, i) => {
        const job = `p${p}-${i}`;
        return mux.execute('fake', async () => {
          sends.push({ at: performance.now(), job });
          await sleep(5);
          return job;
        });
      }),
    );
    const settled = Promise.allSettled(jobs);

    // Crash Redis a third of the way through, for 1.5 s (about 30 sends' worth), then start it empty.
    while (sends.length < 20) await sleep(10);
    await server.stop();
    const downAt = performance.now();
    await sleep(1500);
    await server.start();
    const upAt = performance.now();

    const results = await settled;
    // A process that finished its jobs before its client reconnected comes back on its next call.
    for (const mux of muxes) {
      for (let i = 0; i < 250 && mux.storeMode !== 'redis'; i++) {
        await mux.execute('fake', async () => 'late');
        await sleep(20);
      }
      expect(mux.storeMode).toBe('redis');
    }
    await Promise.all(muxes.map((m) => m.close()));
    // Every job settled, none failed, and each was sent exactly once: nothing lost, nothing doubled.
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'fulfilled'));
    const perJob = new Map<string, number>();
    for (const s of sends) perJob.set(s.job, (perJob.get(s.job) ?? 0) + 1);
    expect(perJob.size).toBe(2 * JOBS_PER_PROCESS);
    expect([...perJob.values()].every((n) => n === 1)).toBe(true);
    // Both processes went local and came back, and said so.
    for (const seen of events) {
      expect(seen[0]).toBe('store-degraded');
      expect(seen.at(-1)).toBe('store-recovered');
    }
    // While Redis was away each paced to half the limit, so together they stayed at about the limit: the
    // sends of the outage fit its length at 1 200 rpm, give or take each pacer's first send and slack.
    const during = sends.filter((s) => s.at >= downAt && s.at < upAt).length;
    const allowed = ((upAt - downAt) / 60_000) * RPM;
    expect(during).toBeLessThanOrEqual(allowed + 6);
  }, 30_000);
});
