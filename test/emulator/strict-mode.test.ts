import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type PoolLimits } from '../../src/emulator/index.js';
import { emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Hi.' }];

async function setup(limits: PoolLimits) {
  const clock = testClock(Date.parse('2025-01-01T00:00:00Z'));
  const emulator = await emulatorFor(
    { keys: [{ key: KEY_A, name: 'a' }], pools: { a: { strict: true, ...limits } }, now: clock.now },
    closers,
  );
  return { emulator, clock };
}

function openai(url: string): OpenAI {
  return new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', url), maxRetries: 0 });
}

async function failure<E>(promise: Promise<unknown>): Promise<E> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  )) as E;
}

describe('strict mode (GCRA buckets with a burst of N requests)', () => {
  it('drains to remaining 0, resets to a full bucket, and 429s with remaining 0 plus the reset', async () => {
    const { emulator, clock } = await setup({ rpm: 600, tpm: 1_000_000 });
    const client = openai(emulator.url);
    const first = await client.chat.completions.create({ model: 'm', messages }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.response.headers.get('x-ratelimit-reset-requests')).toBe('100ms');
    const second = await client.chat.completions.create({ model: 'm', messages }).withResponse();
    expect(second.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(second.response.headers.get('x-ratelimit-reset-requests')).toBe('200ms');

    const limited = await failure<InstanceType<typeof OpenAI.RateLimitError>>(
      client.chat.completions.create({ model: 'm', messages }),
    );
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited.code).toBe('rate_limit_exceeded');
    expect(limited.message).toContain('Please try again in 100ms.');
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers?.get('x-ratelimit-reset-requests')).toBe('200ms');

    clock.advance(100); // one emission interval: room for exactly one
    await client.chat.completions.create({ model: 'm', messages });
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 3, 429: 2 });
    expect(emulator.ledger.peakBurst('a', 600, 60_000)).toBeLessThanOrEqual(2);
    expect(emulator.ledger.peakBurst('a', 600, 60_000)).toBeGreaterThan(1);
  });

  it('takes the burst from `burst`, and the token bucket is burst × tpm / rpm', async () => {
    const { emulator, clock } = await setup({ rpm: 60, tpm: 6000, burst: 3 });
    const client = openai(emulator.url);
    // Token capacity 3 × 6000 / 60 = 300. OpenAI charges max_tokens up front.
    const ok = await client.chat.completions.create({ model: 'm', messages, max_tokens: 200 }).withResponse();
    expect(ok.response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
    expect(ok.response.headers.get('x-ratelimit-remaining-tokens')).toBe('100');
    expect(ok.response.headers.get('x-ratelimit-reset-tokens')).toBe('2s');
    const limited = await failure<InstanceType<typeof OpenAI.RateLimitError>>(
      client.chat.completions.create({ model: 'm', messages, max_tokens: 200 }),
    );
    expect(limited.type).toBe('tokens');
    // The limit a 429 is about reports 0; the others tell the truth.
    expect(limited.headers?.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('2');
    // A request larger than the token burst (but within the limit) goes once the bucket is full, into debt.
    clock.advance(2000);
    const big = await client.chat.completions
      .create({ model: 'm', messages, max_tokens: 1000 })
      .withResponse();
    expect(big.response.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(big.response.headers.get('x-ratelimit-reset-tokens')).toBe('10s');
    expect(emulator.ledger.peakBurst('a', 6000, 60_000, 'tokens')).toBeLessThanOrEqual(1000);
  });

  it('Anthropic: remaining 0, RFC 3339 reset and retry-after on the 429', async () => {
    const { emulator } = await setup({ rpm: 60, tpm: 1_000_000, burst: 1 });
    const client = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const ok = await client.messages.create({ model: 'c', max_tokens: 10, messages }).withResponse();
    expect(ok.response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(ok.response.headers.get('anthropic-ratelimit-requests-reset')).toBe('2025-01-01T00:00:01Z');
    const limited = await failure<InstanceType<typeof Anthropic.RateLimitError>>(
      client.messages.create({ model: 'c', max_tokens: 10, messages }),
    );
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(limited.headers?.get('retry-after')).toBe('1');
    expect(limited.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(limited.headers?.get('anthropic-ratelimit-requests-reset')).toBe('2025-01-01T00:00:01Z');
  });

  it('Groq: the daily request bucket holds the burst too, and its 429 carries retry-after', async () => {
    const { emulator } = await setup({ rpd: 1440, tpm: 1_000_000, burst: 2 });
    const client = new Groq({ apiKey: KEY_A, baseURL: baseUrlFor('groq', emulator.url), maxRetries: 0 });
    const first = await client.chat.completions.create({ model: 'g', messages }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('1440');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.response.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');
    await client.chat.completions.create({ model: 'g', messages });
    const limited = await failure<InstanceType<typeof Groq.RateLimitError>>(
      client.chat.completions.create({ model: 'g', messages }),
    );
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers?.get('x-ratelimit-reset-requests')).toBe('2m0s');
    expect(limited.headers?.get('retry-after')).toBe('60');
  });

  it('Gemini: a 429 RESOURCE_EXHAUSTED with RetryInfo in whole seconds and no rate-limit headers', async () => {
    const { emulator } = await setup({ rpm: 10, tpm: 1_000_000, burst: 1 });
    const ai = new GoogleGenAI({
      apiKey: KEY_A,
      httpOptions: { baseUrl: baseUrlFor('google-genai', emulator.url) },
    });
    await ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Hi.' });
    const error = await failure<ApiError>(
      ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Hi.' }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(429);
    expect(error.message).toContain('RESOURCE_EXHAUSTED');
    expect(error.message).toContain('"retryDelay":"6s"');
    expect(error.message).toContain('GenerateRequestsPerMinutePerProjectPerModel-FreeTier');
  });
});
