import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor } from '../../src/emulator/index.js';
import { modelScope } from '../../src/emulator/limits/model-scope.js';
import { emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'hi' }];

/** Status and remaining requests of one OpenAI chat completion. */
async function send(client: OpenAI, model: string): Promise<string> {
  try {
    const { response } = await client.chat.completions.create({ model, messages }).withResponse();
    return `${response.status} ${response.headers.get('x-ratelimit-remaining-requests')}`;
  } catch (error) {
    const e = error as { status: number; headers: Headers };
    return `${e.status} ${e.headers.get('x-ratelimit-remaining-requests')}`;
  }
}

describe('emulator limits per model (as providers count them)', () => {
  it('keeps each model of a key in its own buckets: a 429 on one leaves the other serving', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'a' }], pools: { a: { rpm: 2, strict: true, burst: 1 } }, now: clock.now },
      closers,
    );
    const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    expect(await send(client, 'gpt-4.1')).toBe('200 0');
    expect(await send(client, 'gpt-4.1')).toBe('429 0');
    // A dated snapshot counts with its model.
    expect(await send(client, 'gpt-4.1-2025-04-14')).toBe('429 0');
    // Another model has its own bucket: full, and its headers speak of it.
    expect(await send(client, 'gpt-4.1-mini')).toBe('200 0');
    expect(emulator.poolState('a', 'gpt-4.1')['requests-minute']?.remaining).toBe(0);
    clock.advance(30_000);
    expect(emulator.poolState('a', 'gpt-4.1')['requests-minute']?.remaining).toBe(1);
    expect(emulator.ledger.maxPerSlidingWindow('a', 60_000, 'requests', 'gpt-4.1')).toBe(1);
    expect(emulator.ledger.maxPerSlidingWindow('a', 60_000)).toBe(2);
  });

  it('shares one set of buckets among the models with `perModel: false`', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      {
        keys: [{ key: KEY_A, name: 'a' }],
        pools: { a: { rpm: 2, strict: true, burst: 1, perModel: false } },
        now: clock.now,
      },
      closers,
    );
    const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    expect(await send(client, 'gpt-4.1')).toBe('200 0');
    expect(await send(client, 'gpt-4.1-mini')).toBe('429 0');
  });

  it('counts Anthropic models of one class together', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      {
        keys: [{ key: KEY_A, name: 'a' }],
        pools: { a: { rpm: 2, strict: true, burst: 1 } },
        now: clock.now,
      },
      closers,
    );
    const client = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const status = (model: string) =>
      client.messages.create({ model, max_tokens: 10, messages }).then(
        () => 200,
        (e: { status: number }) => e.status,
      );
    expect(await status('claude-opus-4-7')).toBe(200);
    expect(await status('claude-opus-4-8')).toBe(429);
    expect(await status('claude-haiku-4-5')).toBe(200);
  });

  it('maps models to the scopes providers limit by', () => {
    expect(modelScope('openai', 'gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(modelScope('gemini', 'models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(modelScope('anthropic', 'claude-opus-4-1-20250805')).toBe('claude-opus-4');
    expect(modelScope('anthropic', 'claude-3-5-haiku-20241022')).toBe('claude-3-5-haiku');
    expect(modelScope('groq', 'llama-3.3-70b-versatile')).toBe('llama-3.3-70b-versatile');
  });
});
