import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];
const prices = { 'gpt-4o-mini': { input: 1, output: 2 }, 'claude-x': { input: 1, output: 2 } };

describe('spend through the gateway', () => {
  it('a refused call is a 429 in the provider’s error shape with code budget_exceeded; /metrics shows the money', async () => {
    // One call's worst case is about 24 micro-dollars: the budget holds one, not two.
    const budgets = [{ name: 'tiny', usd: 0.00004, period: 'day' as const }];
    const { url, emulator } = await startStack({ mux: { prices, budgets } }, closers);
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 10 });
    const refused = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages, max_tokens: 10 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(refused).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(String((refused as Error).message)).toContain('budget "tiny"');
    expect(Object.values(emulator.ledger.countByKey()).reduce((a, b) => a + b, 0)).toBe(1);

    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const error = await anthropic.messages
      .create({ model: 'claude-x', max_tokens: 10, messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as { error?: { error?: { type?: string } } }).error?.error?.type).toBe('rate_limit_error');

    const text = await (await fetch(`${url}/metrics`)).text();
    const spent =
      /^keymux_spend_usd_total\{provider="openai",model="gpt-4o-mini",key="openai-[ab]"\} (\S+)$/m.exec(text);
    expect(Number(spent?.[1])).toBeGreaterThan(0);
    const left = /^keymux_budget_remaining_usd\{budget="tiny"\} (\S+)$/m.exec(text);
    expect(Number(left?.[1])).toBeCloseTo(0.00004 - Number(spent?.[1]), 12);
    for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  });
});
