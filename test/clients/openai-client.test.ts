import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.js';
import { openAIClient } from '../../src/providers/clients.js';
import { setup } from './support.js';

const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];

describe('openAIClient against the emulator', () => {
  it('round-robin spreads calls evenly and keeps the SDK’s result type', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const client = openAIClient(mux, 'round-robin');
    const results = await Promise.all(
      Array.from({ length: 9 }, () => client.chat.completions.create({ model: 'gpt-4o-mini', messages })),
    );
    expect(results.every((r) => r.object === 'chat.completion')).toBe(true);
    // Once the SDK's ESM build is loaded (by the first call), the wrapper is an instance of the caller's OpenAI.
    expect(client).toBeInstanceOf(OpenAI);
    expect(emulator.ledger.countByKey()).toEqual({ a: 3, b: 3, c: 3 });
  });

  it('a 400 is thrown once as ProviderError whose cause is the SDK’s own BadRequestError', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const client = openAIClient(mux);
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).cause).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as ProviderError).status).toBe(400);
    expect(emulator.ledger.size).toBe(1);
  });
});
