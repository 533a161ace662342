import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ShutdownError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import type { RedisClientLike } from '../../src/store/redis-client.js';
import { type RedisStore, redisStore } from '../../src/store/redis-store.js';
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
function processes(limits: { rpd?: number }, stores: RedisStore[] = [], perModel = false) {
  run += 1;
  return [0, 1].map(() => {
    const store = redisStore({ client: counted, prefix: `mux${run}`, timeoutMs: 2000 });
    stores.push(store);
    const mux = new Multiplexer({ store, maxRetries: 1 });
    // perModel: the provider limits each model apart (as OpenAI does), so a job's model is its limit scope.
    mux.registerProvider(
      perModel ? { ...fakeAdapter(), limitScope: (model: string) => model } : fakeAdapter(),
    );
    mux.addKey('fake', { name: 'a', apiKey: 'secret-a-0123456789', limits });
    return mux;
  });
}

describe('multiplexers sharing a Redis store', () => {
  it('send no more than the key’s limit between them, with one round trip per job', async () => {
    const stores: RedisStore[] = [];
    const muxes = processes({ rpd: 10 }, stores);
    let calls = 0;
    // Each store's start reads once (this client has no SCRIPT LOAD): per process, not per job.
    await Promise.all(stores.map((s) => s.ready()));
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
    // At most one take per job (the fake provider reports no tokens, so no settle), 10 of them admitted:
    // once a take is refused, the process's other jobs wait in its backlog without asking again.
    expect(scripts - before).toBeGreaterThanOrEqual(10);
    expect(scripts - before).toBeLessThanOrEqual(16);
    await Promise.all(muxes.map((m) => m.close()));
    expect((await settled).filter((s) => s.status === 'fulfilled')).toHaveLength(10);
  });

  it.each([
    ['a key', false],
    ['a model of a key', true],
  ])(
    'shares a cooldown: after one process meets a 429 on %s, the other waits on that key',
    async (_what, perModel) => {
      const [a, b] = processes({}, [], perModel);
      const model = perModel ? { model: 'm1' } : {};
      await expect(
        a!.execute('fake', async () => Promise.reject(new HttpError(429, 'slow down', 60_000)), model),
      ).rejects.toThrow();
      const store = redisStore({ client: client.client, prefix: `mux${run}`, timeoutMs: 2000 });
      const snap = await store.snapshot({ provider: 'fake', key: 'a' }, 'a');
      expect(snap.cooldownMs).toBeGreaterThan(50_000);
      let ran = false;
      const job = b!
        .execute(
          'fake',
          async () => {
            ran = true;
          },
          model,
        )
        .then(
          () => 'ran',
          (error: unknown) => error,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran).toBe(false);
      await Promise.all([a!.close(), b!.close()]);
      expect(await job).toBeInstanceOf(ShutdownError);
    },
  );

  it('keeps serving every job while Redis is down, says so, and comes back to Redis', async () => {
    run += 1;
    const events: string[] = [];
    const mux = Multiplexer.fromEnv(
      { KEYMUX_REDIS_URL: server.url, KEYMUX_REDIS_PREFIX: `env${run}`, KEYMUX_PROCESSES: '2' },
      { maxRetries: 1 },
    );
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'a', apiKey: 'secret-a-0123456789', limits: { rpm: 60_000 } });
    mux.on('*', (e) => {
      if (e.type.startsWith('store-')) events.push(e.type);
    });
    const job = () => mux.execute('fake', async () => 'ok');
    // The client connects in the background: start-up did not wait, and the store may answer locally first.
    for (let i = 0; i < 100 && mux.storeMode !== 'redis'; i++) {
      await job();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(mux.storeMode).toBe('redis');
    events.length = 0;
    await server.stop();
    try {
      const during = await Promise.all(Array.from({ length: 5 }, job));
      expect(during).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(mux.storeMode).toBe('degraded');
      expect(mux.getUsageStats().store).toEqual({ mode: 'degraded' });
    } finally {
      await server.start();
    }
    for (let i = 0; i < 200 && mux.storeMode !== 'redis'; i++) {
      await job();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(mux.storeMode).toBe('redis');
    expect(events).toEqual(['store-degraded', 'store-recovered']);
    await mux.close();
    // Our client reconnected to the restarted server for the next tests.
    for (let i = 0; i < 100; i++) {
      if (
        await client.command(['PING']).then(
          () => true,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });

  it('rejects a bad KEYMUX_PROCESSES or URL with a ConfigError naming it', () => {
    expect(() => Multiplexer.fromEnv({ KEYMUX_REDIS_URL: server.url, KEYMUX_PROCESSES: 'two' })).toThrow(
      /KEYMUX_PROCESSES/,
    );
    expect(() => Multiplexer.fromEnv({ KEYMUX_REDIS_URL: 'http://x' })).toThrow(ConfigError);
  });
});
