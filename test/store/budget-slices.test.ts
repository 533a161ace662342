import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { BudgetExceededError } from '../../src/core/errors.js';
import { Multiplexer } from '../../src/multiplexer.js';
import type { BudgetOptions } from '../../src/spend/budget-config.js';
import { BUDGET_SLICE_LUA } from '../../src/store/lua/budget.js';
import { type RedisClientLike, Script } from '../../src/store/redis-client.js';
import { redisStore } from '../../src/store/redis-store.js';
import type { RedisStoreOptions } from '../../src/store/redis-store-options.js';
import { fakeAdapter } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { RedisServer } from '../support/redis-server.js';
import { CLIENT_KINDS, type TestClient } from './redis-clients.js';
import { budgetMux } from './support/budget-mux.js';

const SLICE_SHA = new Script(BUDGET_SLICE_LUA).sha;

let server: RedisServer;
const clients: TestClient[] = [];
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
  await server.stop();
});

/** The client, with a count of the budget scripts run through it (each one round trip). */
function counting(client: RedisClientLike): { client: RedisClientLike; scripts: () => number } {
  let n = 0;
  const wrapped = new Proxy(client as object, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const name = String(prop).toLowerCase();
      return (...args: unknown[]) => {
        if (
          (name === 'evalsha' && args[0] === SLICE_SHA) ||
          (name === 'eval' && args[0] === BUDGET_SLICE_LUA)
        )
          n++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as RedisClientLike;
  return { client: wrapped, scripts: () => n };
}

interface Proc {
  readonly mux: Multiplexer;
  readonly scripts: () => number;
}

/** One "process" (test/store/support/budget-mux.ts), counting the budget scripts its client runs. */
async function proc(
  prefix: string,
  index: number,
  budgets: readonly BudgetOptions[],
  options: { clock?: Clock; slices?: RedisStoreOptions['budgetSlices'] } = {},
): Promise<Proc> {
  let scripts = (): number => 0;
  const { mux, client } = await budgetMux(server.url, prefix, index, 0, {
    budgets,
    slices: options.slices ?? { syncMs: 20, ttlMs: 5000 },
    ...(options.clock ? { clock: options.clock } : {}),
    wrap: (raw) => {
      const counted = counting(raw);
      scripts = counted.scripts;
      return counted.client;
    },
  });
  clients.push(client);
  return { mux, scripts: () => scripts() };
}

/** One call reserving 10 tokens and spending `spent`. */
function call(mux: Multiplexer, spent = 10, tag?: string): Promise<void> {
  return mux.execute('fake', async (_c, ctx) => ctx.reportUsage({ inputTokens: spent, outputTokens: 0 }), {
    tokens: 10,
    ...(tag ? { tag } : {}),
  });
}

async function hash(prefix: string, name: string): Promise<Record<string, string>> {
  const admin = clients[0];
  if (!admin) throw new Error('no client');
  const reply = (await admin.command(['HGETALL', `keymux:{${prefix}:budgets}:budget:${name}`])) as unknown;
  return Array.isArray(reply)
    ? Object.fromEntries(Array.from({ length: reply.length / 2 }, (_, i) => [reply[2 * i], reply[2 * i + 1]]))
    : (reply as Record<string, string>);
}

async function outcome(p: Promise<void>): Promise<'ran' | 'refused'> {
  try {
    await p;
    return 'ran';
  } catch (error) {
    if (error instanceof BudgetExceededError && error.reason === 'exceeded') return 'refused';
    throw error;
  }
}

describe('shared budgets in slices', () => {
  it('300 calls one after another: a few scripts in all, not two per call; the total lands in Redis', async () => {
    const budgets = [{ name: 'b', tokens: 1_000_000 }];
    // A long sync period: the flushes a timer makes depend on how long the run takes, not on its calls.
    const sliced = await proc('slices-trips', 0, budgets, { slices: { syncMs: 60_000, ttlMs: 120_000 } });
    for (let i = 0; i < 300; i++) await call(sliced.mux);
    expect(sliced.scripts()).toBeLessThan(30);
    await sliced.mux.close();
    expect(await hash('slices-trips', 'b')).toMatchObject({ spent: '3000', reserved: '0' });
    // Without slices, every call reserves and settles in Redis.
    const perCall = await proc('slices-off', 1, budgets, { slices: false });
    for (let i = 0; i < 300; i++) await call(perCall.mux);
    expect(perCall.scripts()).toBe(600);
    await perCall.mux.close();
    expect(await hash('slices-off', 'b')).toMatchObject({ spent: '3000', reserved: '0' });
  });

  it('calls no budget covers never run a budget script', async () => {
    const tagged = await proc('slices-none', 0, [{ name: 'exp', tokens: 1000, tag: 'exp-42' }]);
    const bare = await proc('slices-none', 1, []);
    for (let i = 0; i < 50; i++) await Promise.all([call(tagged.mux), call(bare.mux)]);
    expect(tagged.scripts()).toBe(0);
    expect(bare.scripts()).toBe(0);
    await call(tagged.mux, 10, 'exp-42');
    expect(tagged.scripts()).toBeGreaterThan(0);
    await Promise.all([tagged.mux.close(), bare.mux.close()]);
  });

  it('3 processes, 60 concurrent calls each held open: exactly the 100 the budget holds run', async () => {
    const prefix = 'slices-burst';
    const procs = await Promise.all([0, 1, 2].map((i) => proc(prefix, i, [{ name: 'b', tokens: 1000 }])));
    let started = 0;
    let refused = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const check = (): void => {
      if (started + refused === 180) open();
    };
    for (const p of procs) {
      p.mux.on('budget-exceeded', () => {
        refused++;
        check();
      });
    }
    const results = await Promise.all(
      procs.flatMap((p) =>
        Array.from({ length: 60 }, () =>
          outcome(
            p.mux.execute(
              'fake',
              async (_c, ctx) => {
                started++;
                check();
                await gate;
                ctx.reportUsage({ inputTokens: 10, outputTokens: 0 });
              },
              { tokens: 10 },
            ),
          ),
        ),
      ),
    );
    expect(results.filter((r) => r === 'ran')).toHaveLength(100);
    await Promise.all(procs.map((p) => p.mux.close()));
    expect(await hash(prefix, 'b')).toMatchObject({ spent: '1000', reserved: '0' });
  });

  it('3 processes taking turns, one call at a time: headroom comes back when a call elsewhere is refused', async () => {
    const prefix = 'slices-turns';
    const procs = await Promise.all([0, 1, 2].map((i) => proc(prefix, i, [{ name: 'b', tokens: 1000 }])));
    const results: string[] = [];
    for (let i = 0; i < 150; i++) results.push(await outcome(call((procs[i % 3] as Proc).mux)));
    expect(results.filter((r) => r === 'ran')).toHaveLength(100);
    await Promise.all(procs.map((p) => p.mux.close()));
    expect(await hash(prefix, 'b')).toMatchObject({ spent: '1000', reserved: '0' });
  });

  it('a dead process’s slice is reclaimed when it expires, counted as spent; if it comes back, it starts anew', async () => {
    const prefix = 'slices-dead';
    const t0 = Date.UTC(2026, 0, 1);
    const [clockA, clockB] = [new ManualClock(t0), new ManualClock(t0)];
    const slices = { syncMs: 100, ttlMs: 1000 };
    const budgets = [{ name: 'b', tokens: 100 }];
    const a = await proc(prefix, 0, budgets, { clock: clockA, slices });
    const b = await proc(prefix, 1, budgets, { clock: clockB, slices });
    await call(a.mux); // a's slice: this call's 10 and 40 of headroom
    expect(await hash(prefix, 'b')).toMatchObject({ reserved: '50', spent: '0' });
    // a stops answering (its clock stands still: no renewal). Past its slice's ttl, b's step reclaims it.
    await clockB.advance(2000);
    const results: string[] = [];
    for (let i = 0; i < 6; i++) results.push(await outcome(call(b.mux)));
    expect(results).toEqual(['ran', 'ran', 'ran', 'ran', 'ran', 'refused']);
    const fields = await hash(prefix, 'b');
    expect(Object.keys(fields).filter((f) => /^[sxa]:/.test(f))).toHaveLength(2); // b's own s: and x:
    await b.mux.close();
    expect(await hash(prefix, 'b')).toMatchObject({ spent: '100', reserved: '0' });
    // a comes back: its slice is gone (what it spent on it is counted already), the budget is spent.
    await clockA.advance(2000);
    expect(await outcome(call(a.mux))).toBe('refused');
    await a.mux.close();
    expect(await hash(prefix, 'b')).toMatchObject({ spent: '100', reserved: '0' });
  });

  it('rolls over with the period: what the slice spent in the last one is not counted in the new one', async () => {
    const prefix = 'slices-roll';
    const period = 60_000;
    const t0 = Math.ceil(Date.UTC(2026, 0, 1) / period) * period + 1000;
    const clock = new ManualClock(t0);
    // No sync in between: the period's spend is still in the slice when the period ends.
    const p = await proc(prefix, 0, [{ name: 'b', tokens: 100, period: { ms: period } }], {
      clock,
      slices: { syncMs: 10 * period, ttlMs: 20 * period },
    });
    for (let i = 0; i < 5; i++) await call(p.mux);
    expect(p.mux.getUsageStats().spend?.budgets[0]).toMatchObject({ spent: 50, reserved: 0, left: 50 });
    await clock.advance(period);
    const results: string[] = [];
    for (let i = 0; i < 11; i++) results.push(await outcome(call(p.mux)));
    expect(results.filter((r) => r === 'ran')).toHaveLength(10);
    expect(results[10]).toBe('refused');
    expect(p.mux.getUsageStats().spend?.budgets[0]).toMatchObject({ spent: 100, reserved: 0, left: 0 });
    await p.mux.close();
    expect(await hash(prefix, 'b')).toMatchObject({
      start: String(t0 - 1000 + period),
      spent: '100',
      reserved: '0',
    });
  });

  it('while Redis is away a budgeted call is refused, never sent, even with a slice in hand', async () => {
    const own = await RedisServer.start();
    const raw = await (CLIENT_KINDS[0] as (typeof CLIENT_KINDS)[number]).connect(own.url);
    try {
      const store = redisStore({ client: raw.client, prefix: 'slices-away', timeoutMs: 200 });
      const mux = new Multiplexer({ store, budgets: [{ name: 'b', tokens: 1000 }] });
      mux.registerProvider(fakeAdapter());
      mux.addKey('fake', { name: 'k', apiKey: 'secret-k-0123456789', limits: { rpm: 1_000_000 } });
      let sent = 0;
      const send = (): Promise<void> =>
        mux.execute(
          'fake',
          async (_c, ctx) => {
            sent++;
            ctx.reportUsage({ inputTokens: 10, outputTokens: 0 });
          },
          { tokens: 10 },
        );
      await send(); // the slice now holds room for more calls than this one
      await own.stop();
      const errors: unknown[] = [];
      for (let i = 0; i < 4; i++) errors.push(await send().catch((e: unknown) => e));
      expect(sent).toBe(1);
      for (const error of errors)
        expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', reason: 'store-unavailable' });
      await mux.close();
    } finally {
      await raw.quit();
    }
  });
});
