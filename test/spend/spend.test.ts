import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../src/core/job-context.js';
import { Spend, type SpendRequest } from '../../src/spend/spend.js';
import { ManualClock } from '../support/manual-clock.js';

function context(): JobContext {
  return {
    key: { provider: 'openai', name: 'k1', label: 'k1' },
    jobId: 1,
    attempt: 1,
    signal: new AbortController().signal,
    hold: () => undefined,
    reportUsage: () => undefined,
  };
}

describe('Spend: a call sent through a Batch API', () => {
  // USD per million tokens: batch at half price, as OpenAI's, Anthropic's and Gemini's Batch APIs charge.
  const prices = { m: { input: 2, output: 8, batchInput: 1, batchOutput: 4 } };

  async function run(batch: boolean): Promise<Spend> {
    // 1000 prompt + 1000 output tokens: 0.01 USD at standard prices, 0.005 at batch prices.
    const spend = new Spend(
      { prices, budgets: [{ name: 'b', usd: 0.0075 }] },
      new ManualClock(),
      () => undefined,
    );
    const request: SpendRequest = { model: 'm', promptTokens: 1000, maxOutputTokens: 1000, batch };
    // What a key's lane does around the attempt: reserve, call, settle with the answer's usage.
    const ctx = context();
    const job = { tag: undefined, tokens: 2000, spend: spend.spendOf(request, undefined) };
    const ticket = await spend.reserve(job, ctx.key);
    await spend.settle(job, ticket, { inputTokens: 1000, outputTokens: 1000 });
    // The dispatcher counts the answer's usage on the call's cost line (src/core/key-counters.ts).
    spend.tally.line('openai', 'm', batch).add(ctx.key, { inputTokens: 1000, outputTokens: 1000 });
    return spend;
  }

  it('is reserved and costed at the batch prices', async () => {
    const spend = await run(true);
    expect(spend.snapshot().costs[0]?.usd).toBeCloseTo(0.005, 12);
    expect(spend.snapshot().budgets[0]).toMatchObject({ name: 'b', reserved: 0 });
    expect(spend.snapshot().budgets[0]?.spent).toBeCloseTo(0.005, 9);
  });

  it('the same call sent synchronously is reserved at the standard prices: the budget refuses it', async () => {
    await expect(run(false)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', budget: 'b' });
  });
});
