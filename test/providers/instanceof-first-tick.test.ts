import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';

// Its own file, so that no earlier test has loaded the SDKs through keymux.
describe('a wrapped client is an instance of the caller’s SDK class at once', () => {
  it('instanceof OpenAI holds right after getOpenAIClient(), with no await in between', async () => {
    const mux = new Multiplexer();
    const openai = mux.getOpenAIClient();
    expect(openai instanceof OpenAI).toBe(true);
    expect(mux.getAnthropicClient() instanceof Anthropic).toBe(true);
    await mux.close();
  });
});
