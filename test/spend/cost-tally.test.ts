import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TokenUsage } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { registerSpendMetrics } from '../../src/serve/spend-metrics.js';
import { bucketsOf, costOf, PriceBook } from '../../src/spend/prices.js';
import { Spend, type SpendRequest } from '../../src/spend/spend.js';
import { fakeAdapter } from '../support/fake-provider.js';

/**
 * USD per million tokens. `lc` has a long-context tier above 1 000 prompt tokens (every token of such a
 * call at its prices) without a cache-write price there; `plain` has no cache prices at all; `mystery`
 * is in no table.
 */
const prices = {
  lc: {
    input: 1.1,
    output: 4.4,
    cachedInput: 0.11,
    cacheWrite: 1.375,
    batchInput: 0.55,
    batchOutput: 2.2,
    longContext: { above: 1000, input: 2.2, output: 8.8, cachedInput: 0.22 },
  },
  plain: { input: 0.15, output: 0.6 },
};

interface Call {
  readonly model: string;
  readonly key: string;
  readonly batch: boolean;
  readonly usage: TokenUsage;
}

/** A workload that crosses every rule of `costOf`: tiers by each call's prompt, unknown buckets, batch prices. */
function workload(): Call[] {
  const calls: Call[] = [];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 48271) % 2147483647;
    return seed % n;
  };
  const models = ['lc', 'plain', 'mystery'];
  for (let i = 0; i < 300; i++) {
    const model = models[next(3)] as string;
    const buckets = {
      uncachedInput: next(900) + 1,
      cacheRead: next(4) === 0 ? next(600) : 0,
      cacheWrite: next(6) === 0 ? next(300) : 0,
      cacheWrite1h: 0,
      output: next(400),
      reasoning: next(5) === 0 ? next(200) : 0,
    };
    const usage: TokenUsage =
      next(4) === 0
        ? { inputTokens: buckets.uncachedInput, outputTokens: buckets.output }
        : {
            inputTokens: buckets.uncachedInput + buckets.cacheRead + buckets.cacheWrite,
            outputTokens: buckets.output + buckets.reasoning,
            buckets,
          };
    calls.push({ model, key: next(2) === 0 ? 'k1' : 'k2', batch: next(5) === 0, usage });
  }
  return calls;
}

function fakeMux(budgets: boolean): Multiplexer {
  const mux = new Multiplexer({
    prices,
    ...(budgets ? { budgets: [{ name: 'never-refuses', tokens: Number.MAX_SAFE_INTEGER }] } : {}),
  });
  mux.registerProvider(fakeAdapter());
  const key = { maxConcurrentRequests: 50, queueSize: 1000, limits: { rpm: 1_000_000 } };
  mux.addKey('fake', { name: 'k1', apiKey: 'sk-canary-tally-000000001', ...key });
  mux.addKey('fake', { name: 'k2', apiKey: 'sk-canary-tally-000000002', ...key });
  return mux;
}

async function run(mux: Multiplexer, calls: readonly Call[]): Promise<void> {
  for (const call of calls) {
    const spend: SpendRequest = {
      model: call.model,
      promptTokens: 2000,
      maxOutputTokens: 1000,
      batch: call.batch,
    };
    await mux.execute(
      'fake',
      async (_client, ctx) => {
        ctx.reportUsage(call.usage);
      },
      { strategy: 'specific', keyName: call.key, tokens: 3000 },
      spend,
    );
  }
}

async function spendMetrics(mux: Multiplexer): Promise<string> {
  const registry = new Registry();
  registerSpendMetrics(mux, registry);
  return (await registry.metrics())
    .split('\n')
    .filter((line) => line.startsWith('keymux_spend_usd_total'))
    .join('\n');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('costs counted per key and model, priced when read', () => {
  it('the same figures with and without budgets, each row the sum of its calls priced one by one', async () => {
    const calls = workload();
    const [without, withBudget] = [fakeMux(false), fakeMux(true)];
    await run(without, calls);
    await run(withBudget, calls);
    const costs = without.getUsageStats().spend?.costs ?? [];
    expect(withBudget.getUsageStats().spend?.costs).toEqual(costs);
    expect(await spendMetrics(withBudget)).toBe(await spendMetrics(without));

    // Each call priced alone, as costOf prices one answer (its own tier, null for an unknown bucket).
    const book = new PriceBook(prices);
    const expected = new Map<string, { usd: number; tokens: number; calls: number; unknownCalls: number }>();
    for (const call of calls) {
      const row = expected.get(`${call.key}/${call.model}`) ?? {
        usd: 0,
        tokens: 0,
        calls: 0,
        unknownCalls: 0,
      };
      const buckets = bucketsOf(call.usage);
      const usd = costOf(buckets, book.lookup(call.model), { batch: call.batch });
      row.calls++;
      row.tokens += Object.values(buckets).reduce((a, b) => a + b, 0);
      if (usd === null) row.unknownCalls++;
      else row.usd += usd;
      expected.set(`${call.key}/${call.model}`, row);
    }
    expect(costs).toHaveLength(expected.size);
    for (const row of costs) {
      const want = expected.get(`${row.key}/${row.model}`);
      expect({ ...row, usd: 0 }).toEqual({
        ...want,
        usd: 0,
        provider: 'fake',
        key: row.key,
        model: row.model,
      });
      // Summed in whole tokens and priced once: equal to the call-by-call sum but for its rounding.
      expect(row.usd).toBeCloseTo(want?.usd ?? -1, 12);
    }
    // The workload does cross the rules it is meant to: long prompts, unknown buckets, unknown models.
    expect(costs.find((r) => r.model === 'mystery')?.usd).toBe(0);
    expect(costs.filter((r) => r.model !== 'mystery' && r.unknownCalls > 0).length).toBeGreaterThan(0);
    expect(calls.some((c) => c.model === 'lc' && c.usage.inputTokens > 1000)).toBe(true);
    await Promise.all([without.close(), withBudget.close()]);
  });

  it('a call no budget covers runs no code of src/spend: no guard, no price lookup, no cost worked out', async () => {
    const reserve = vi.spyOn(Spend.prototype, 'reserve');
    const settle = vi.spyOn(Spend.prototype, 'settle');
    const lookup = vi.spyOn(PriceBook.prototype, 'lookup');
    const mux = new Multiplexer({ prices, budgets: [{ name: 'exp', usd: 1, tag: 'exp-42' }] });
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'k1', apiKey: 'sk-canary-tally-000000001', limits: { rpm: 1_000_000 } });
    const usage = { inputTokens: 10, outputTokens: 5 };
    const spend: SpendRequest = { model: 'lc', promptTokens: 10, maxOutputTokens: 5 };
    const call = (tag?: string): Promise<void> =>
      mux.execute(
        'fake',
        async (_c, ctx) => ctx.reportUsage(usage),
        { tokens: 15, ...(tag ? { tag } : {}) },
        spend,
      );
    await call(); // the model's cost line is made once: its rule comes from the price table
    lookup.mockClear();
    for (let i = 0; i < 20; i++) await call();
    expect(reserve).not.toHaveBeenCalled();
    expect(settle).not.toHaveBeenCalled();
    expect(lookup).not.toHaveBeenCalled();
    expect(mux.getUsageStats().spend?.costs[0]).toMatchObject({ model: 'lc', calls: 21, tokens: 315 });
    // A call the budget covers is guarded.
    await call('exp-42');
    expect(reserve).toHaveBeenCalledTimes(1);
    expect(settle).toHaveBeenCalledTimes(1);
    await mux.close();
  });
});
