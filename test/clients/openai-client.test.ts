import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { openAIClient } from '../../src/clients/sdk-clients.js';
import { ProviderError } from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { baseUrlFor } from '../../src/emulator/index.js';
import { setup } from './support.js';

const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];
const model = 'gpt-4o-mini';

describe('openAIClient against the emulator', () => {
  it('round-robin spreads calls evenly and keeps the SDK’s result type', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const client = openAIClient(mux, 'round-robin');
    // One call at a time first: each key learns its limits (until then it sends one request at a time).
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model, messages });
    const results = await Promise.all(
      Array.from({ length: 9 }, () => client.chat.completions.create({ model, messages })),
    );
    expect(results.every((r) => r.object === 'chat.completion')).toBe(true);
    // Round-robin takes turns among the keys that can send now; each key is paced (the emulator's 10 000
    // rpm: 6 ms apart), so which key is free first varies with the machine: every key serves its share.
    const counts = Object.values(emulator.ledger.countByKey());
    expect(counts).toHaveLength(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3);
    // Once the SDK's ESM build is loaded (by the first call), the wrapper is an instance of the caller's OpenAI.
    expect(client).toBeInstanceOf(OpenAI);
  });

  it('specific hits only its key; withResponse() still gives the response', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const client = openAIClient(mux, { strategy: 'specific', keyName: 'b' });
    const { data, response } = await client.chat.completions.create({ model, messages }).withResponse();
    await Promise.all(
      [1, 2, 3].map(() => client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })),
    );
    expect(data.object).toBe('chat.completion');
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(emulator.ledger.countByKey()).toEqual({ b: 4 });
  });

  it('least-loaded keeps calls off a key whose slots are taken by slow calls', async () => {
    const { emulator, mux } = await setup('openai', 'openai', {}, { maxConcurrentRequests: 2 });
    // One call per key first: a key whose limits are unknown sends one request at a time until it learns them.
    for (const keyName of ['a', 'b', 'c']) {
      await openAIClient(mux, { strategy: 'specific', keyName }).chat.completions.create({ model, messages });
    }
    emulator.addFault({ kind: 'hang', key: 'a' });
    const stuck = new AbortController();
    const slow = openAIClient(mux, { strategy: 'specific', keyName: 'a', signal: stuck.signal });
    const hung = [1, 2].map(() => slow.chat.completions.create({ model, messages }).catch((e: unknown) => e));
    await expect.poll(() => emulator.ledger.countByKey().a).toBe(3);
    const client = openAIClient(mux, 'least-loaded');
    // Pairs: each pair fits in b and c's free slots, while a stays full with its two slow calls.
    for (let i = 0; i < 4; i++) {
      await Promise.all([1, 2].map(() => client.chat.completions.create({ model, messages })));
    }
    // a took none of the eight; b and c split them (a pair lands on one key when the other is paced).
    const counts = emulator.ledger.countByKey();
    expect(counts.a).toBe(3);
    expect((counts.b ?? 0) + (counts.c ?? 0)).toBe(10);
    stuck.abort(new Error('enough'));
    expect(await Promise.all(hung)).toEqual([new Error('enough'), new Error('enough')]);
  });

  it('a 429 with Retry-After on key a sends the call to b at once, and a cools down for the hint', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const events: KeymuxEvent[] = [];
    mux.on('*', (e) => events.push(e));
    emulator.addFault({ kind: 'rate-limit', key: 'a', count: 1 });
    const client = openAIClient(mux, 'round-robin');
    await client.chat.completions.create({ model, messages });
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      ['a', 429],
      ['b', 200],
    ]);
    const limited = events.find((e) => e.type === 'rate-limited');
    expect(limited && limited.until - limited.at).toBe(1000);
    // OpenAI limits each model apart: the model rests on key a, not the key.
    expect(limited).toMatchObject({ model });
    expect(mux.getUsageStats().providers.openai?.keys[0]?.models[model]?.state).toBe('rate-limited');
  });

  it('a 401 key is taken out after one call and the stats say unavailable', async () => {
    const { emulator, mux } = await setup('openai', 'openai', {}, {}, 2);
    mux.addKey('openai', {
      name: 'bad',
      apiKey: 'sk-not-known-to-emulator-9',
      baseURL: baseUrlFor('openai', emulator.url),
    });
    const client = openAIClient(mux, 'round-robin');
    for (let i = 0; i < 6; i++) await client.chat.completions.create({ model, messages });
    const statuses = emulator.ledger.entries().map((e) => e.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    const bad = mux.getUsageStats().providers.openai?.keys.find((k) => k.name === 'bad');
    expect(bad?.state).toBe('unavailable');
    expect(JSON.stringify(mux.getUsageStats())).not.toContain('sk-not-known-to-emulator-9');
  });

  it('a 400 is thrown once as ProviderError whose cause is the SDK’s own BadRequestError', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const client = openAIClient(mux);
    const error = await client.chat.completions.create({ model, messages: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).cause).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as ProviderError).status).toBe(400);
    expect(emulator.ledger.size).toBe(1);
  });

  it('usage tokens match the emulator’s ledger exactly', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    const client = openAIClient(mux);
    const results = await Promise.all(
      [10, 20, 30, 40, 50].map((max_tokens) =>
        client.chat.completions.create({ model, messages, max_tokens }),
      ),
    );
    const ledger = emulator.ledger.entries();
    const stats = mux.getUsageStats().providers.openai;
    const sum = (f: (e: (typeof ledger)[number]) => number) => ledger.reduce((s, e) => s + f(e), 0);
    expect(stats?.inputTokens).toBe(sum((e) => e.inputTokens));
    expect(stats?.outputTokens).toBe(sum((e) => e.outputTokens));
    expect(stats?.outputTokens).toBe(results.reduce((s, r) => s + (r.usage?.completion_tokens ?? 0), 0));
  });
});

describe('openAIClient streams', () => {
  it('a streamed call holds its slot until consumed, and yields every chunk', async () => {
    const { emulator, mux } = await setup('openai', 'openai', {}, { maxConcurrentRequests: 1 }, 1);
    const client = openAIClient(mux);
    const stream = await client.chat.completions.create({
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(typeof stream.toReadableStream).toBe('function');
    expect(mux.getUsageStats().providers.openai?.keys[0]?.inFlight).toBe(1);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    await expect.poll(() => mux.getUsageStats().providers.openai?.keys[0]?.inFlight).toBe(0);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const usage = chunks.at(-1)?.usage;
    const [entry] = emulator.ledger.entries();
    expect(usage?.completion_tokens).toBe(entry?.outputTokens);
    expect(usage?.prompt_tokens).toBe(entry?.inputTokens);
    expect(text.length).toBeGreaterThan(0);
  });

  it('a stream cut after its first chunk is not retried', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    emulator.addFault({ kind: 'cut', cutAfterChunks: 2, count: 1 });
    const client = openAIClient(mux);
    const stream = await client.chat.completions.create({ model, messages, stream: true });
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })().catch((e: unknown) => e);
    expect(seen.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.ledger.size).toBe(1);
  });

  it('a failure before the first chunk fails over like any call', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    emulator.addFault({ kind: 'server-error', key: 'a', count: 1 });
    const client = openAIClient(mux, 'round-robin');
    const stream = await client.chat.completions.create({ model, messages, stream: true });
    let n = 0;
    for await (const _ of stream) n++;
    expect(n).toBeGreaterThan(0);
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      ['a', 500],
      ['b', 200],
    ]);
  });
});
