/**
 * What sharing state through Redis costs per job: round trips and added latency, on loopback, against
 * the memory store. Starts its own redis-server (binary `redis-server`, or REDIS_SERVER_BIN).
 * - store level: one take + one settle per job, sequential, p50/p99;
 * - multiplexer level: jobs one at a time through `mux.execute` (a no-op provider reporting tokens that
 *   differ from the estimate, so every job also settles), memory store vs redisStore, p50/p99;
 * - the same with budgets: one token budget that never refuses, so each job also reserves its estimate
 *   and settles its usage (in Redis with redisStore: through its slice), and what that adds per job: the
 *   median over ROUNDS rounds of each round's own difference (the pair run back to back, alternating).
 * Run: npx tsx bench/store-latency.ts   (JOBS=… and ROUNDS=… to change the size)
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { Multiplexer } from '../src/multiplexer.js';
import type { ProviderAdapter } from '../src/providers/adapter.js';
import { memoryStore } from '../src/store/memory-store.js';
import type { RedisClientLike } from '../src/store/redis-client.js';
import { redisStore } from '../src/store/redis-store.js';
import type { KeyStateStore, TakeRequest } from '../src/store/store.js';
import { RedisServer } from '../test/support/redis-server.js';

const JOBS = Number(process.env.JOBS ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const take: TakeRequest = {
  provider: 'bench',
  key: 'k',
  scope: 'k',
  limits: [
    { name: 'rpm', limit: 1e9, units: 1 },
    { name: 'tpm', limit: 1e12, units: 100 },
  ],
  probeTtlMs: 1000,
};

function quantiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}

async function storeLevel(store: KeyStateStore): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const start = performance.now();
    await store.take(take);
    await store.settle({ provider: 'bench', scope: 'k', limits: [{ name: 'tpm', limit: 1e12, units: -20 }] });
    samples.push(performance.now() - start);
  }
  return samples;
}

const noop: ProviderAdapter = {
  name: 'bench',
  createClient: () => ({}),
  classify: (error) => ({
    class: 'bad-request',
    status: undefined,
    retryAfterMs: undefined,
    message: '',
    error,
  }),
};

const BUDGETS = [{ name: 'bench', tokens: Number.MAX_SAFE_INTEGER }];

async function muxLevel(store: KeyStateStore | undefined, budgets = false): Promise<number[]> {
  const mux = new Multiplexer({ ...(store ? { store } : {}), ...(budgets ? { budgets: BUDGETS } : {}) });
  mux.registerProvider(noop);
  mux.addKey('bench', { name: 'k', apiKey: 'bench-key-0123456789', limits: { rpm: 1e9, tpm: 1e12 } });
  const samples: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const start = performance.now();
    await mux.execute(
      'bench',
      async (_client, ctx) => {
        ctx.reportUsage({ inputTokens: 50, outputTokens: 30 });
      },
      { tokens: 100 },
    );
    samples.push(performance.now() - start);
  }
  await mux.close();
  return samples;
}

/** Wraps a client to count the scripts it runs: Redis round trips. */
function counting(client: RedisClientLike): { client: RedisClientLike; count: () => number } {
  let n = 0;
  const wrapped = new Proxy(client as object, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const lower = String(prop).toLowerCase();
      return (...args: unknown[]) => {
        if (lower === 'evalsha' || lower === 'eval') n += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client: wrapped as RedisClientLike, count: () => n };
}

const fmt = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const nodeRedis = createClient({ url: server.url, disableOfflineQueue: true });
  await nodeRedis.connect();
  const ioredis = new Redis(server.url, { enableOfflineQueue: false, lazyConnect: true });
  await ioredis.connect();
  try {
    const rows: string[] = [];
    const mem = quantiles(await storeLevel(memoryStore()));
    rows.push(`store take+settle  memory      p50 ${fmt(mem.p50)}  p99 ${fmt(mem.p99)}`);
    for (const [name, raw] of [
      ['node-redis', nodeRedis],
      ['ioredis', ioredis],
    ] as const) {
      const { client, count } = counting(raw);
      const store = redisStore({ client, prefix: `bench-${name}`, timeoutMs: 1000 });
      await storeLevel(store); // warm up: scripts loaded, connection hot
      const before = count();
      const q = quantiles(await storeLevel(store));
      const trips = (count() - before) / JOBS;
      rows.push(
        `store take+settle  ${name.padEnd(10)}  p50 ${fmt(q.p50)}  p99 ${fmt(q.p99)}  round trips/job ${trips}`,
      );
    }
    // Without and with budgets, ROUNDS pairs back to back in alternating order: what budgets add is the
    // median of the rounds' own differences at p50 (a fixed order let warm-up pass for a difference).
    let memoryP50 = 0;
    for (const [name, raw] of [
      ['memory', undefined],
      ['node-redis', nodeRedis],
      ['ioredis', ioredis],
    ] as const) {
      const runs = [false, true].map((budgets) => {
        const counted = raw && counting(raw);
        const store =
          counted &&
          redisStore({ client: counted.client, prefix: `bench-mux-${name}-${budgets}`, timeoutMs: 1000 });
        return {
          budgets,
          count: counted?.count ?? (() => 0),
          run: () => muxLevel(store, budgets),
          q: [] as Array<{ p50: number; p99: number }>,
          trips: 0,
        };
      });
      for (const r of runs) await r.run(); // warm up: scripts loaded, connection hot
      const added: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? runs : [...runs].reverse();
        for (const r of order) {
          const before = r.count();
          r.q.push(quantiles(await r.run()));
          r.trips = (r.count() - before) / JOBS;
        }
        const [off, on] = runs.map((r) => r.q[round]?.p50 ?? 0) as [number, number];
        added.push((on - off) / off);
      }
      const p50s = runs.map((r) => median(r.q.map((q) => q.p50)));
      if (name === 'memory') memoryP50 = p50s[0] ?? 0;
      for (const [i, r] of runs.entries()) {
        const p50 = p50s[i] ?? 0;
        const p99 = median(r.q.map((q) => q.p99));
        const trips = raw ? `  round trips/job ${r.trips}` : '';
        const tail = r.budgets
          ? `  budgets added p50 ${(median(added) * 100).toFixed(1)}% (rounds: ${added.map((a) => `${(a * 100).toFixed(0)}%`).join(', ')})`
          : raw
            ? `  added to memory p50 ${fmt(p50 - memoryP50)}`
            : '';
        rows.push(
          `mux.execute ${r.budgets ? '+budgets' : '        '} ${name.padEnd(10)}  p50 ${fmt(p50)}  p99 ${fmt(p99)}${trips}${tail}`,
        );
      }
    }
    process.stdout.write(`${JOBS} jobs, one at a time, loopback\n${rows.join('\n')}\n`);
  } finally {
    nodeRedis.destroy();
    ioredis.disconnect();
    await server.stop();
  }
}

await main();
