import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator } from '../../src/emulator/index.js';
import { drain, emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];

async function setup(): Promise<{ emulator: Emulator; client: OpenAI; clock: ReturnType<typeof testClock> }> {
  const clock = testClock();
  const emulator = await emulatorFor(
    {
      keys: [{ key: KEY_A, name: 'alpha' }],
      pools: { alpha: { rpm: 10, tpm: 10_000 } },
      now: clock.now,
      seed: 7,
    },
    closers,
  );
  const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
  return { emulator, client, clock };
}

describe('emulator with the openai SDK', () => {
  it('answers a chat completion with usage and rate-limit headers matching the pool', async () => {
    const { emulator, client } = await setup();
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages, max_tokens: 50 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    // 1 of 10 rpm used: 1 × 60 s / 10 = 6 s to refill; 50 tokens (max_tokens > prompt) of 10 000.
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('6s');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('9950');
    expect(response.headers.get('x-ratelimit-reset-tokens')).toBe('300ms');
    expect(emulator.poolState('alpha')['requests-minute']?.remaining).toBe(9);
    const [entry] = emulator.ledger.entries();
    expect(entry).toMatchObject({
      key: 'alpha',
      pool: 'alpha',
      status: 200,
      outcome: 'ok',
      chargedTokens: 50,
    });
    expect(JSON.stringify(emulator.ledger.entries())).not.toContain(KEY_A);
  });

  it('streams chunks, then the usage chunk, then [DONE]', async () => {
    const { client } = await setup();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { items, error } = await drain(stream);
    expect(error).toBeUndefined();
    const last = items.at(-1);
    expect(last?.choices).toEqual([]);
    const text = items.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(last?.usage?.completion_tokens).toBe(text.split(' ').length);
    expect(items.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true);
  });

  it('surfaces a limit 429 as RateLimitError with readable headers', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'alpha' }], pools: { alpha: { rpm: 2 } }, now: clock.now },
      closers,
    );
    const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    await client.chat.completions.create({ model: 'm', messages });
    await client.chat.completions.create({ model: 'm', messages });
    const error = await client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.code).toBe('rate_limit_exceeded');
    expect(rateLimit.type).toBe('requests');
    expect(rateLimit.message).toContain(
      'on requests per min (RPM): Limit 2, Used 2, Requested 1. Please try again in 30s.',
    );
    expect(rateLimit.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(rateLimit.headers?.get('x-ratelimit-reset-requests')).toBe('1m0s');
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 2, 429: 1 });
  });

  it('answers insufficient_quota as a RateLimitError with that code', async () => {
    const { emulator, client } = await setup();
    emulator.addFault({ kind: 'quota', key: 'alpha', count: 1 });
    const error = await client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
    await expect(client.chat.completions.create({ model: 'm', messages })).resolves.toBeDefined();
  });

  it('rejects an unknown key with AuthenticationError', async () => {
    const { emulator } = await setup();
    const stranger = new OpenAI({
      apiKey: 'sk-unknown-000000000000',
      baseURL: baseUrlFor('openai', emulator.url),
      maxRetries: 0,
    });
    await expect(stranger.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    expect(emulator.ledger.entries()[0]).toMatchObject({
      key: undefined,
      status: 401,
      outcome: 'unauthorized',
    });
  });

  it('surfaces injected 503, 500, HTML 502 and a 529 as InternalServerError', async () => {
    const { emulator, client } = await setup();
    emulator.setFaults([
      { kind: 'unavailable', count: 1 },
      { kind: 'server-error', count: 1 },
      { kind: 'html', count: 1 },
      { kind: 'overloaded', status: 529, count: 1 },
    ]);
    for (const status of [503, 500, 502, 529]) {
      const error = await client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(status);
    }
    expect(emulator.faults().map((f) => f.fired)).toEqual([1, 1, 1, 1]);
  });

  it('cuts a stream mid-way: the SDK yields the first chunks, then throws', async () => {
    const { emulator, client } = await setup();
    emulator.addFault({ kind: 'cut', cutAfterChunks: 3 });
    const { items, error } = await drain(
      await client.chat.completions.create({ model: 'm', messages, stream: true }),
    );
    expect(items).toHaveLength(3);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.ledger.entries()[0]).toMatchObject({ outcome: 'fault', fault: 'cut', admitted: true });
  });

  it('resets the connection, hangs past the timeout, and sends malformed JSON', async () => {
    const { emulator, client } = await setup();
    emulator.setFaults([
      { kind: 'reset', count: 1 },
      { kind: 'hang', count: 1 },
      { kind: 'malformed-json', count: 1 },
    ]);
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    await expect(
      client.chat.completions.create({ model: 'm', messages }, { timeout: 100 }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toThrow();
    expect(emulator.ledger.entries().map((e) => e.fault)).toEqual(['reset', 'hang', 'malformed-json']);
  });

  it('serves deterministic embeddings with usage', async () => {
    const { client } = await setup();
    const first = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['alpha', 'beta'],
    });
    const again = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'alpha',
      encoding_format: 'float',
    });
    expect(first.data).toHaveLength(2);
    expect(first.data[0]?.embedding).toHaveLength(64);
    expect(first.usage.prompt_tokens).toBe(3); // ceil(5 / 4) + ceil(4 / 4)
    expect(again.data[0]?.embedding).toEqual(first.data[0]?.embedding);
    const norm = Math.hypot(...(first.data[1]?.embedding ?? []));
    expect(norm).toBeCloseTo(1, 5);
  });
});
