import Groq from 'groq-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator } from '../../src/emulator/index.js';
import { drain, emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Hello, Groq.' }];

async function setup(tpm = 1000): Promise<{ emulator: Emulator; client: Groq }> {
  const clock = testClock();
  const emulator = await emulatorFor(
    { keys: [{ key: KEY_A, name: 'g' }], pools: { g: { rpm: 30, rpd: 1000, tpm } }, now: clock.now },
    closers,
  );
  return {
    emulator,
    client: new Groq({ apiKey: KEY_A, baseURL: baseUrlFor('groq', emulator.url), maxRetries: 0 }),
  };
}

describe('emulator with the groq-sdk', () => {
  it('counts requests per day and tokens per minute in its headers, with no retry-after on success', async () => {
    const { client } = await setup();
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3.1-8b-instant', messages, max_tokens: 100 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeTruthy();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('999');
    // 1 of 1000 per day: 86 400 s / 1000.
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('1m26.4s');
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('900');
    expect(response.headers.get('x-ratelimit-reset-tokens')).toBe('6s');
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('streams', async () => {
    const { client } = await setup();
    const { items, error } = await drain(
      await client.chat.completions.create({ model: 'm', messages, stream: true }),
    );
    expect(error).toBeUndefined();
    expect(items.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers a TPM overrun with a 429 RateLimitError carrying retry-after', async () => {
    const { client } = await setup();
    await client.chat.completions.create({ model: 'm', messages, max_tokens: 600 });
    const error = await client.chat.completions
      .create({ model: 'm', messages, max_tokens: 600 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.RateLimitError);
    const limited = error as InstanceType<typeof Groq.RateLimitError>;
    expect(limited.headers?.get('retry-after')).toBe('12'); // 200 tokens missing at 1000/min
    expect(limited.headers?.get('x-ratelimit-remaining-tokens')).toBe('400');
    expect(limited.message).toContain('on tokens per minute (TPM): Limit 1000, Used 600, Requested 600');
  });

  it('answers a request larger than the TPM with 413', async () => {
    const { client } = await setup(100);
    const error = await client.chat.completions
      .create({ model: 'm', messages, max_tokens: 500 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Groq.APIError);
    expect((error as InstanceType<typeof Groq.APIError>).status).toBe(413);
  });

  it('rejects an unknown key with AuthenticationError, and surfaces 503 and a cut stream', async () => {
    const { emulator, client } = await setup();
    const stranger = new Groq({
      apiKey: 'gsk_unknown',
      baseURL: baseUrlFor('groq', emulator.url),
      maxRetries: 0,
    });
    await expect(stranger.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      Groq.AuthenticationError,
    );
    emulator.setFaults([
      { kind: 'overloaded', count: 1 },
      { kind: 'cut', cutAfterChunks: 1 },
    ]);
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      Groq.InternalServerError,
    );
    const { items, error } = await drain(
      await client.chat.completions.create({ model: 'm', messages, stream: true }),
    );
    expect(items).toHaveLength(1);
    expect(error).toBeInstanceOf(Error);
  });
});
