import Anthropic from '@anthropic-ai/sdk';
import Groq from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import { anthropicClient, groqClient } from '../../src/clients/sdk-clients.js';
import { ProviderError } from '../../src/core/errors.js';
import { setup } from './support.js';

const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];

describe('anthropicClient against the emulator', () => {
  const model = 'claude-3-5-haiku-latest';

  it('round-robin spreads messages.create evenly; usage matches the ledger', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic');
    const client = anthropicClient(mux, 'round-robin');
    // One call at a time first: each key learns its limits (until then it sends one request at a time).
    for (let i = 0; i < 3; i++) await client.messages.create({ model, max_tokens: 64, messages });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => client.messages.create({ model, max_tokens: 64, messages })),
    );
    expect(results.every((r) => r.type === 'message')).toBe(true);
    // Turns among the keys that can send now (each paced 6 ms apart): every key serves its share.
    const counts = Object.values(emulator.ledger.countByKey());
    expect(counts).toHaveLength(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(9);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(2);
    const ledger = emulator.ledger.entries();
    const stats = mux.getUsageStats().providers.anthropic;
    expect(stats?.inputTokens).toBe(ledger.reduce((s, e) => s + e.inputTokens, 0));
    expect(stats?.outputTokens).toBe(ledger.reduce((s, e) => s + e.outputTokens, 0));
  });

  it('a 529 fails over; a 400 is thrown once with the SDK’s BadRequestError as cause', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic');
    emulator.addFault({ kind: 'overloaded', key: 'a', count: 1 });
    const client = anthropicClient(mux, 'round-robin');
    await client.messages.create({ model, max_tokens: 16, messages });
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      ['a', 529],
      ['b', 200],
    ]);
    const error = await client.messages
      .create({ model, messages } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).cause).toBeInstanceOf(Anthropic.BadRequestError);
    expect(emulator.ledger.size).toBe(3);
  });

  it('streams events through the SDK’s Stream and releases the slot at the end', async () => {
    const { emulator, mux } = await setup('anthropic', 'anthropic', {}, { maxConcurrentRequests: 1 }, 1);
    const client = anthropicClient(mux);
    const stream = await client.messages.create({ model, max_tokens: 32, messages, stream: true });
    expect(mux.getUsageStats().providers.anthropic?.keys[0]?.inFlight).toBe(1);
    const types: string[] = [];
    let output = 0;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_delta') output = event.usage.output_tokens;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(output).toBe(emulator.ledger.entries()[0]?.outputTokens);
    await expect.poll(() => mux.getUsageStats().providers.anthropic?.keys[0]?.inFlight).toBe(0);
  });
});

describe('groqClient against the emulator', () => {
  const model = 'llama-3.1-8b-instant';

  it('round-robin spreads calls; a 401 key is taken out', async () => {
    const { emulator, mux } = await setup('groq', 'groq', {}, {}, 2);
    mux.addKey('groq', { name: 'bad', apiKey: 'gsk-unknown-to-the-emulator', baseURL: emulator.url });
    const client = groqClient(mux, 'round-robin');
    for (let i = 0; i < 6; i++) {
      const r = await client.chat.completions.create({ model, messages });
      expect(r.object).toBe('chat.completion');
    }
    expect(emulator.ledger.countByKey()).toEqual({ a: 3, b: 3, '<unknown>': 1 });
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 6, 401: 1 });
    expect(mux.getUsageStats().providers.groq?.keys.find((k) => k.name === 'bad')?.state).toBe('unavailable');
  });

  it('learns the per-day request limit from Groq’s headers', async () => {
    const { mux } = await setup('groq', 'groq', { defaultLimits: { rpd: 14_400, tpm: 6000 } }, {}, 1);
    await groqClient(mux).chat.completions.create({ model, messages, max_tokens: 20 });
    // Groq limits each model apart: the limits learned are the model's.
    const limits = mux.getUsageStats().providers.groq?.keys[0]?.models[model]?.limits;
    expect(limits?.rpd).toMatchObject({ limit: 14_400, learned: true });
    expect(limits?.tpm).toMatchObject({ limit: 6000, learned: true });
    expect(limits?.rpm).toBeUndefined();
  });

  it('a 400 is thrown once with groq-sdk’s BadRequestError as cause', async () => {
    const { emulator, mux } = await setup('groq', 'groq');
    const error = await groqClient(mux)
      .chat.completions.create({ model, messages: [] })
      .catch((e: unknown) => e);
    expect((error as ProviderError).cause).toBeInstanceOf(Groq.BadRequestError);
    expect(emulator.ledger.size).toBe(1);
  });
});
