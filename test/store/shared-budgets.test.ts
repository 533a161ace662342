import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Multiplexer } from '../../src/multiplexer.js';
import { bundleForNode } from '../support/build-cli.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';
import { budgetMux } from './support/budget-mux.js';
import type { BudgetProcessReport } from './support/budget-process.js';

/** The forked processes run one esbuild bundle of support/budget-process.ts (plain node, no tsx). */
const WORKER = fileURLToPath(new URL('../../dist-test/budget-process.js', import.meta.url));

let server: RedisServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  const bundled = bundleForNode(
    fileURLToPath(new URL('./support/budget-process.ts', import.meta.url)),
    WORKER,
  );
  [server] = await Promise.all([RedisServer.start(), bundled]);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
});

/** Multiplexers in this process, each on its own Redis connection, under one prefix. */
async function processes(count: number, prefix: string, tokens: number): Promise<Multiplexer[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { mux, client } = await budgetMux(server.url, prefix, i, tokens);
      clients.push(client);
      return mux;
    }),
  );
}

describe('budgets shared through Redis', () => {
  it('4 OS processes, 100 concurrent calls each, land exactly on one budget: never over', async () => {
    const prefix = 'budget4';
    const children = Array.from({ length: 4 }, (_, i) =>
      fork(WORKER, [server.url, prefix, String(i), '100', '1000'], { stdio: 'inherit' }),
    );
    const reports = children.map(
      (child) =>
        new Promise<BudgetProcessReport>((resolve, reject) => {
          child.on('message', (m) => {
            if (typeof m === 'object') resolve(m as BudgetProcessReport);
          });
          child.once('exit', (code) =>
            reject(new Error(`budget process exited with ${code} before reporting`)),
          );
        }),
    );
    // Every process connected before any sends: their 100 calls each overlap in Redis. A process that
    // dies first fails the test at once (its report's rejection), never a hang.
    const ready = children.map(
      (child) => new Promise<void>((resolve) => child.once('message', () => resolve())),
    );
    await Promise.race([Promise.all(ready), Promise.all(reports)]);
    for (const child of children) child.send('go');
    const done = await Promise.all(reports);
    for (const r of done) expect(r.other).toEqual([]);
    // Each call reserves 10 and spends 10: exactly 100 of the 400 fit, whichever process sent them.
    expect(done.reduce((sum, r) => sum + r.ran, 0)).toBe(100);
    expect(done.reduce((sum, r) => sum + r.refused, 0)).toBe(300);
    const admin = await CLIENT_KINDS[0]?.connect(server.url);
    if (!admin) throw new Error('no client');
    clients.push(admin);
    const hash = (await admin.command(['HGETALL', `keymux:{${prefix}:budgets}:budget:shared`])) as unknown;
    const fields = Array.isArray(hash)
      ? Object.fromEntries(Array.from({ length: hash.length / 2 }, (_, i) => [hash[2 * i], hash[2 * i + 1]]))
      : (hash as Record<string, string>);
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
