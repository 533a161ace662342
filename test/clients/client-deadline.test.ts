import { describe, expect, it, onTestFinished } from 'vitest';
import { DEADLINE_AT, type DeadlineCarrier } from '../../src/core/deadline.js';
import { Dispatcher } from '../../src/dispatch/job-dispatcher.js';
import { setupFallbacks } from '../fallback/support.js';
import { ManualClock } from '../support/manual-clock.js';

const messages = [{ role: 'user' as const, content: 'Say something about deadlines.' }];

describe('a wrapped client’s deadline', () => {
  it('counts from each request, once: the models of its fallback chain share it', async () => {
    const clock = new ManualClock(50_000);
    const seen: Array<number | undefined> = [];
    // Wrapped clients hand their jobs to the dispatcher directly (bound when the multiplexer is made):
    // what it is given is watched from before the multiplexer exists.
    const execute = Dispatcher.prototype.execute;
    Dispatcher.prototype.execute = function (this: Dispatcher, provider, fn, options, request) {
      seen.push((options as DeadlineCarrier | undefined)?.[DEADLINE_AT]);
      // Time passes between the first model's answer and the fallback's job.
      void clock.advance(1_000);
      return execute.call(this, provider, fn, options, request);
    } as typeof execute;
    onTestFinished(() => {
      Dispatcher.prototype.execute = execute;
    });
    const { mux } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, fallbacks: { 'gpt-4.1': ['groq/llama-3.3-70b-versatile'] } },
      [{ kind: 'quota', model: 'gpt-4.1' }],
    );
    seen.length = 0;
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
