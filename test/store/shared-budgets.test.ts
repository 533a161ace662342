import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { redisStore } from '../../src/store/redis-store.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';

let server: RedisServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
});

/** One multiplexer per "process": its own Redis connection (alternating client libraries), one prefix. */
async function processes(count: number, prefix: string, tokens: number): Promise<Multiplexer[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const kind = CLIENT_KINDS[i % CLIENT_KINDS.length];
      const client = await (kind?.connect(server.url) ?? Promise.reject(new Error('no client kind')));
      clients.push(client);
      const store = redisStore({ client: client.client, prefix, timeoutMs: 2000 });
      const mux = new Multiplexer({ store, budgets: [{ name: 'shared', tokens, period: 'day' }] });
      mux.registerProvider(fakeAdapter());
      mux.addKey('fake', {
        name: `k${i}`,
        apiKey: `secret-k${i}-0123456789`,
        maxConcurrentRequests: 200,
        queueSize: 1000,
        limits: { rpm: 1_000_000 },
      });
      return mux;
    }),
  );
}

describe('budgets shared through Redis', () => {
  it('4 processes, 100 concurrent calls each, land exactly on one budget: never over', async () => {
    const muxes = await processes(4, 'budget4', 1000);
    let ran = 0;
    const results = await Promise.allSettled(
      muxes.flatMap((mux) =>
        Array.from({ length: 100 }, () =>
          mux.execute(
            'fake',
            async (_client, ctx) => {
              ran++;
              await new Promise((resolve) => setImmediate(resolve));
              ctx.reportUsage({ inputTokens: 3, outputTokens: 7 });
            },
            { tokens: 10 },
          ),
        ),
      ),
    );
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    for (const r of refused) expect(r.reason).toBeInstanceOf(BudgetExceededError);
    // Each call reserves 10 and spends 10: exactly 100 of the 400 fit, whichever process sent them.
    expect(ran).toBe(100);
    expect(refused).toHaveLength(300);
    const hash = (await clients[0]?.command([
      'HGETALL',
      'keymux:{budget4:budgets}:budget:shared',
    ])) as unknown;
    const fields = Array.isArray(hash)
      ? Object.fromEntries(Array.from({ length: hash.length / 2 }, (_, i) => [hash[2 * i], hash[2 * i + 1]]))
      : (hash as Record<string, string>);
    await Promise.all(muxes.map((mux) => mux.close()));
    expect(fields).toMatchObject({ spent: '1000', reserved: '0' });
  });

  it('a call that fails in one process gives its reservation back to all', async () => {
    const [a, b] = await processes(2, 'budget-release', 10);
    if (!a || !b) throw new Error('two processes');
    await expect(
      a.execute('fake', async () => Promise.reject(new Error('bad request')), { tokens: 10 }),
    ).rejects.toThrow('bad request');
    await b.execute('fake', async (_c, ctx) => ctx.reportUsage({ inputTokens: 10, outputTokens: 0 }), {
      tokens: 10,
    });
    await expect(a.execute('fake', async () => 'x', { tokens: 1 })).rejects.toMatchObject({
      budget: 'shared',
    });
    await Promise.all([a.close(), b.close()]);
  });
});
