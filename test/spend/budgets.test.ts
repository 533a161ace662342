import { describe, expect, it } from 'vitest';
import { openAIClient } from '../../src/clients/sdk-clients.js';
import { BudgetExceededError, ConfigError } from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { setup } from '../clients/support.js';
import { fakeAdapter } from '../support/fake-provider.js';

const messages = [{ role: 'user' as const, content: 'Say something about budgets.' }];
const model = 'emu-model';
/** USD per million tokens: every token costs a micro-dollar, so costs read as token counts. */
const prices = { [model]: { input: 1, output: 1 } };

function fakeMux(options: ConstructorParameters<typeof Multiplexer>[0]): Multiplexer {
  const mux = new Multiplexer(options);
  mux.registerProvider(fakeAdapter());
  // Configured limits: the keys take calls at once instead of one at a time while learning theirs.
  const key = { maxConcurrentRequests: 500, queueSize: 1000, limits: { rpm: 1_000_000 } };
  mux.addKey('fake', { name: 'k1', apiKey: 'sk-canary-value-000000001', ...key });
  mux.addKey('fake', { name: 'k2', apiKey: 'sk-canary-value-000000002', ...key });
  return mux;
}

describe('budgets', () => {
  it('200 concurrent calls land exactly on a token budget, never over', async () => {
    const mux = fakeMux({ budgets: [{ name: 'all', tokens: 1000 }] });
    let ran = 0;
    let refusals = 0;
    // Every call that starts stays in flight until all 200 have started or been refused: the
    // reservations, not the order of events, must keep the total on the budget.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const settledAll = (): void => {
      if (ran + refusals === 200) open();
    };
    mux.on('budget-exceeded', () => {
      refusals++;
      settledAll();
    });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () =>
        mux.execute(
          'fake',
          async (_client, ctx) => {
            ran++;
            settledAll();
            await gate;
            ctx.reportUsage({ inputTokens: 4, outputTokens: 6 });
            return 'ok';
          },
          { tokens: 10 },
        ),
      ),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(results.length - refused.length).toBe(100);
    expect(ran).toBe(100);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
    expect(mux.getUsageStats().spend?.budgets[0]).toMatchObject({
      name: 'all',
      spent: 1000,
      reserved: 0,
      left: 0,
    });
    await mux.close();
  });

  it('settles to the real usage: a call that used less than its worst case leaves room for more', async () => {
    const mux = fakeMux({ budgets: [{ name: 'all', tokens: 100 }] });
    for (let i = 0; i < 10; i++) {
      await mux.execute('fake', async (_c, ctx) => ctx.reportUsage({ inputTokens: 5, outputTokens: 0 }), {
        tokens: 50,
      });
    }
    expect(mux.getUsageStats().spend?.budgets[0]).toMatchObject({ spent: 50, reserved: 0 });
    await mux.close();
  });

  it('a failed call releases its reservation', async () => {
    const mux = fakeMux({ budgets: [{ name: 'all', tokens: 100 }] });
    await expect(
      mux.execute('fake', async () => Promise.reject(new Error('bad request')), { tokens: 80 }),
    ).rejects.toThrow('bad request');
    expect(mux.getUsageStats().spend?.budgets[0]).toMatchObject({ spent: 0, reserved: 0, left: 100 });
    await mux.close();
  });

  it('a call without a token estimate cannot be bounded: a token budget refuses it', async () => {
    const mux = fakeMux({ budgets: [{ name: 'all', tokens: 100 }] });
    const error = await mux.execute('fake', async () => 'x').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'all', reason: 'unbounded-output' });
    await mux.close();
  });

  it('a tag budget counts only calls with that tag; key budgets only their keys', async () => {
    const mux = fakeMux({
      budgets: [
        { name: 'exp', tokens: 10, tag: 'exp-42' },
        { name: 'k2-only', tokens: 10, keys: ['k2'] },
      ],
    });
    const use = async (
      _c: unknown,
      ctx: { reportUsage(u: { inputTokens: number; outputTokens: number }): void },
    ) => ctx.reportUsage({ inputTokens: 10, outputTokens: 0 });
    await mux.execute('fake', use, { tokens: 10, tag: 'exp-42', strategy: 'specific', keyName: 'k1' });
    await expect(
      mux.execute('fake', use, { tokens: 10, tag: 'exp-42', keyName: 'k1', strategy: 'specific' }),
    ).rejects.toMatchObject({ budget: 'exp' });
    // Untagged calls on k1 are under no budget.
    await mux.execute('fake', use, { tokens: 10, strategy: 'specific', keyName: 'k1' });
    await mux.execute('fake', use, { tokens: 10, strategy: 'specific', keyName: 'k2' });
    await expect(
      mux.execute('fake', use, { tokens: 10, strategy: 'specific', keyName: 'k2' }),
    ).rejects.toMatchObject({ budget: 'k2-only' });
    await mux.close();
  });

  it('bad budgets and prices fail at once with a ConfigError naming the field', () => {
    expect(() => new Multiplexer({ budgets: [{ name: 'x', usd: 1, tokens: 2 }] })).toThrow(ConfigError);
    expect(() => new Multiplexer({ budgets: [{ name: 'x', usd: -1 }] })).toThrow('budgets[0].usd');
    expect(() => new Multiplexer({ budgets: [{ name: 'x', usd: 1, period: 'fortnight' as never }] })).toThrow(
      'budgets[0].period',
    );
    expect(
      () =>
        new Multiplexer({
          budgets: [
            { name: 'x', usd: 1 },
            { name: 'x', tokens: 1 },
          ],
        }),
    ).toThrow('budgets[1].name');
    expect(() => new Multiplexer({ prices: { m: { input: 1 } as never } })).toThrow('prices.m.output');
    expect(() => new Multiplexer({ budget: [] } as never)).toThrow(/budgets/);
  });
});

describe('budgets through the OpenAI SDK against the emulator', () => {
  it('a refused call never reaches the provider; spend stays within the USD budget', async () => {
    // Each call's worst case: its prompt estimate + max_tokens 20, about 40 micro-dollars.
    const { emulator, mux } = await setup(
      'openai',
      'openai',
      {},
      { prices, budgets: [{ name: 'day', usd: 0.0002, period: 'day' }] },
      1,
    );
    const events: KeymuxEvent[] = [];
    mux.on('*', (e) => events.push(e));
    const client = openAIClient(mux);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => client.chat.completions.create({ model, messages, max_tokens: 20 })),
    );
    const served = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason);
    expect(served).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(emulator.ledger.countByKey()).toEqual({ a: served });
    for (const error of refused) {
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(error).toMatchObject({ budget: 'day', reason: 'exceeded' });
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain('sk-emu');
    }
    const spend = mux.getUsageStats().spend;
    expect(spend?.budgets[0]?.spent).toBeLessThanOrEqual(0.0002);
    expect(spend?.budgets[0]?.reserved).toBe(0);
    expect(spend?.costs).toEqual([
      expect.objectContaining({ key: 'a', model, calls: served, unknownCalls: 0 }),
    ]);
    expect(spend?.costs[0]?.usd).toBeCloseTo(spend?.budgets[0]?.spent ?? -1, 12);
    expect(events.filter((e) => e.type === 'budget-exceeded')).toHaveLength(refused.length);
    expect(events.filter((e) => e.type === 'budget-warning')).toHaveLength(1);
  });

  it('a call with no max_tokens and a model with no known cap is refused by a budget, before sending', async () => {
    const { emulator, mux } = await setup(
      'openai',
      'openai',
      {},
      { prices, budgets: [{ name: 'all', usd: 1 }] },
      1,
    );
    await expect(openAIClient(mux).chat.completions.create({ model, messages })).rejects.toMatchObject({
      reason: 'unbounded-output',
    });
    await expect(
      openAIClient(mux).chat.completions.create({ model: 'no-price-model', messages, max_tokens: 5 }),
    ).rejects.toMatchObject({ reason: 'unknown-price' });
    expect(emulator.ledger.countByKey()).toEqual({});
  });

  it('without budgets, every call is still costed per key and model (unknown prices counted apart)', async () => {
    const { mux } = await setup('openai', 'openai', {}, { prices }, 1);
    const client = openAIClient(mux);
    await client.chat.completions.create({ model, messages });
    await client.chat.completions.create({ model: 'no-price-model', messages });
    const costs = mux.getUsageStats().spend?.costs ?? [];
    expect(costs.find((c) => c.model === model)).toMatchObject({ calls: 1, unknownCalls: 0 });
    expect(costs.find((c) => c.model === model)?.usd).toBeGreaterThan(0);
    expect(costs.find((c) => c.model === 'no-price-model')).toMatchObject({
      calls: 1,
      unknownCalls: 1,
      usd: 0,
    });
  });

  it('a tag given to the client counts against the tag budget', async () => {
    const { emulator, mux } = await setup(
      'openai',
      'openai',
      {},
      { prices, budgets: [{ name: 'exp', usd: 0.00001, tag: 'exp-42' }] },
      1,
    );
    await expect(
      openAIClient(mux, { tag: 'exp-42' }).chat.completions.create({ model, messages, max_tokens: 20 }),
    ).rejects.toMatchObject({ budget: 'exp' });
    await openAIClient(mux).chat.completions.create({ model, messages, max_tokens: 20 });
    expect(emulator.ledger.countByKey()).toEqual({ a: 1 });
  });

  it('a stream holds its worst case until it ends, then settles to the usage it reported', async () => {
    const { mux } = await setup('openai', 'openai', {}, { prices, budgets: [{ name: 'all', usd: 1 }] }, 1);
    const stream = await openAIClient(mux).chat.completions.create({
      model,
      messages,
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    // Handed out, not yet read: the call's worst case (prompt estimate + 20 output tokens) is reserved.
    const open = mux.getUsageStats().spend?.budgets[0];
    expect(open?.spent).toBe(0);
    expect(open?.reserved).toBeGreaterThanOrEqual(20e-6);
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
    for await (const chunk of stream) usage = chunk.usage ?? usage;
    await mux.drain();
    const ended = mux.getUsageStats().spend?.budgets[0];
    expect(ended?.reserved).toBe(0);
    // Every token costs a micro-dollar: the spend is the stream's own count, not its worst case.
    expect(usage).toBeDefined();
    expect(ended?.spent).toBeCloseTo(
      ((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0)) * 1e-6,
      12,
    );
    expect(ended?.spent).toBeLessThan(open?.reserved ?? 0);
  });
});
