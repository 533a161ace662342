import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShutdownError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import type { RedisClientLike } from '../../src/store/redis-client.js';
import { redisStore } from '../../src/store/redis-store.js';
import { fakeAdapter, HttpError } from '../support/fake-provider.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

let server: RedisServer;
let client: TestClient;
let scripts = 0;
/** The client, counting the script calls (round trips) the store makes. */
let counted: RedisClientLike;
beforeAll(async () => {
  server = await RedisServer.start();
  client = await (CLIENT_KINDS[0]?.connect(server.url) ?? Promise.reject(new Error('no client kind')));
  const inner = client.client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  counted = {
    evalSha: (...args: unknown[]) => {
      scripts += 1;
      return inner.evalSha!.apply(inner, args);
    },
    eval: (...args: unknown[]) => inner.eval!.apply(inner, args),
  } as unknown as RedisClientLike;
});
afterAll(async () => {
  await client.quit();
  await server.stop();
});

let run = 0;
/** Two multiplexers on one Redis prefix: two processes on one set of keys. */
function processes(limits: { rpd?: number }) {
  run += 1;
  return [0, 1].map(() => {
    const mux = new Multiplexer({
      store: redisStore({ client: counted, prefix: `mux${run}`, timeoutMs: 2000 }),
      maxRetries: 1,
    });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'a', apiKey: 'secret-a-0123456789', limits });
    return mux;
  });
}

describe('multiplexers sharing a Redis store', () => {
  it('send no more than the key’s limit between them, with one round trip per job', async () => {
    const muxes = processes({ rpd: 10 });
    let calls = 0;
    const before = scripts;
    const jobs = muxes.flatMap((mux) =>
      Array.from({ length: 8 }, () =>
        mux.execute('fake', async () => {
          calls += 1;
          return 'ok';
        }),
      ),
    );
    const settled = Promise.allSettled(jobs);
    for (let i = 0; i < 200 && calls < 10; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // 16 jobs, a daily limit of 10 across both processes: 10 run, 6 wait for the next day.
    expect(calls).toBe(10);
    expect(muxes.map((m) => m.getUsageStats().store)).toEqual([{ mode: 'redis' }, { mode: 'redis' }]);
    // One take per job (the fake provider reports no tokens, so no settle): 16 takes, 10 admitted.
    expect(scripts - before).toBe(16);
    await Promise.all(muxes.map((m) => m.close()));
    expect((await settled).filter((s) => s.status === 'fulfilled')).toHaveLength(10);
  });

  it('shares a cooldown: after one process meets a 429, the other waits on that key', async () => {
    const [a, b] = processes({});
    await expect(
      a!.execute('fake', async () => Promise.reject(new HttpError(429, 'slow down', 60_000))),
    ).rejects.toThrow();
    const store = redisStore({ client: client.client, prefix: `mux${run}`, timeoutMs: 2000 });
    const snap = await store.snapshot({ provider: 'fake', key: 'a' }, 'a');
    expect(snap.cooldownMs).toBeGreaterThan(50_000);
    let ran = false;
    const job = b!
      .execute('fake', async () => {
        ran = true;
      })
      .then(
        () => 'ran',
        (error: unknown) => error,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ran).toBe(false);
    await Promise.all([a!.close(), b!.close()]);
    expect(await job).toBeInstanceOf(ShutdownError);
  });
});
