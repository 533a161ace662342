import { describe, expect, it } from 'vitest';
import { DEADLINE_AT, type DeadlineCarrier } from '../../src/core/deadline.js';
import { setupFallbacks } from '../fallback/support.js';
import { ManualClock } from '../support/manual-clock.js';

const messages = [{ role: 'user' as const, content: 'Say something about deadlines.' }];

describe('a wrapped client’s deadline', () => {
  it('counts from each request, once: the models of its fallback chain share it', async () => {
    const clock = new ManualClock(50_000);
    const { mux } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, fallbacks: { 'gpt-4.1': ['groq/llama-3.3-70b-versatile'] } },
      [{ kind: 'quota', model: 'gpt-4.1' }],
    );
    const seen: Array<number | undefined> = [];
    const execute = mux.execute.bind(mux);
    mux.execute = (provider, fn, options, spend) => {
      seen.push((options as DeadlineCarrier | undefined)?.[DEADLINE_AT]);
      // Time passes between the first model's answer and the fallback's job.
      void clock.advance(1_000);
      return execute(provider, fn, options, spend);
    };
    const openai = mux.getOpenAIClient({ deadline: '6h' });
    const reply = await openai.chat.completions.create({ model: 'gpt-4.1', messages });
    expect(reply.model).toBe('llama-3.3-70b-versatile');
    expect(seen).toEqual([50_000 + 6 * 3_600_000, 50_000 + 6 * 3_600_000]);
    // The next request counts its own six hours.
    await openai.chat.completions
      .create({ model: 'llama-3.3-70b-versatile', messages })
      .catch(() => undefined);
    expect(seen[2]).toBeGreaterThan(seen[0]!);
  });
});
