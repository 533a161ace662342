import Anthropic from '@anthropic-ai/sdk';
import { type ApiError, GoogleGenAI } from '@google/genai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { summarizeLedger } from '../../src/cli/emulate.js';
import { baseUrlFor, type Emulator, EmulatorConfigError } from '../../src/emulator/index.js';
import { drain, emulatorFor, KEY_A, KEY_B, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Hi.' }];

async function setup(): Promise<Emulator> {
  const clock = testClock();
  return emulatorFor(
    {
      keys: [
        { key: KEY_A, name: 'a' },
        { key: KEY_B, name: 'b' },
      ],
      outputTokens: { min: 6, max: 6 },
      now: clock.now,
    },
    closers,
  );
}

const openai = (e: Emulator, key = KEY_A) =>
  new OpenAI({ apiKey: key, baseURL: baseUrlFor('openai', e.url), maxRetries: 0 });

async function failure<E>(promise: Promise<unknown>): Promise<E> {
  return (await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  )) as E;
}

describe('quota-exhausted keys', () => {
  it('OpenAI and Groq: 429 insufficient_quota, with retry-after only when asked', async () => {
    const emulator = await setup();
    emulator.addFault({ kind: 'quota', key: 'a' });
    emulator.addFault({ kind: 'quota', key: 'b', retryAfterMs: 1500 });
    const bare = await failure<InstanceType<typeof OpenAI.RateLimitError>>(
      openai(emulator).chat.completions.create({ model: 'm', messages }),
    );
    expect(bare).toBeInstanceOf(OpenAI.RateLimitError);
    expect(bare.code).toBe('insufficient_quota');
    expect(bare.type).toBe('insufficient_quota');
    expect(bare.headers?.get('retry-after')).toBeNull();
    const groq = new Groq({ apiKey: KEY_B, baseURL: baseUrlFor('groq', emulator.url), maxRetries: 0 });
    const hinted = await failure<InstanceType<typeof Groq.RateLimitError>>(
      groq.chat.completions.create({ model: 'g', messages }),
    );
    expect(hinted.status).toBe(429);
    expect(hinted.error).toMatchObject({ error: { code: 'insufficient_quota' } });
    expect(hinted.headers?.get('retry-after')).toBe('2');
    expect(emulator.ledger.countByStatus({ outcome: 'fault' })).toEqual({ 429: 2 });
    expect(emulator.ledger.countByFault()).toEqual({ quota: 2 });
    expect(summarizeLedger(emulator, ['a', 'b'])).toContain('  faults {"quota":2}');
    expect(emulator.ledger.entries().map((e) => [e.fault, e.admitted])).toEqual([
      ['quota', false],
      ['quota', false],
    ]);
  });

  it("Anthropic: the credit-balance 400, and Gemini's daily quota without RetryInfo unless asked", async () => {
    const emulator = await setup();
    emulator.addFault({ kind: 'quota', key: 'a', provider: 'anthropic', retryAfterMs: 3000 });
    emulator.addFault({ kind: 'quota', key: 'a', provider: 'gemini', count: 1 });
    emulator.addFault({ kind: 'quota', key: 'a', provider: 'gemini', retryAfterMs: 30_500 });
    const anthropic = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const credit = await failure<InstanceType<typeof Anthropic.BadRequestError>>(
      anthropic.messages.create({ model: 'c', max_tokens: 10, messages }),
    );
    expect(credit).toBeInstanceOf(Anthropic.BadRequestError);
    expect(credit.error).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(credit.message).toContain('credit balance is too low');
    expect(credit.headers?.get('retry-after')).toBe('3');

    const ai = new GoogleGenAI({
      apiKey: KEY_A,
      httpOptions: { baseUrl: baseUrlFor('google-genai', emulator.url) },
    });
    const call = () => ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Hi.' });
    const daily = await failure<ApiError>(call());
    expect(daily.status).toBe(429);
    expect(daily.message).toContain('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(daily.message).not.toContain('RetryInfo');
    const hinted = await failure<ApiError>(call());
    expect(hinted.message).toContain('"retryDelay":"30s"');
  });
});

describe('streams cut or stalled after k chunks', () => {
  it('cuts an Anthropic stream: no message_stop, the SDK throws, the ledger says cut', async () => {
    const emulator = await setup();
    emulator.addFault({ kind: 'cut', cutAfterChunks: 2, key: 'a' });
    const anthropic = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const { items, error } = await drain(
      await anthropic.messages.create({ model: 'c', max_tokens: 50, messages, stream: true }),
    );
    expect(items.map((e) => e.type)).toEqual(['message_start', 'content_block_start']);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.ledger.entries()[0]).toMatchObject({ fault: 'cut', outcome: 'fault', status: 200 });
  });

  it('stalls a stream: k chunks, then silence with the socket open, until the client aborts', async () => {
    const emulator = await setup();
    emulator.addFault({ kind: 'stall', stallAfterChunks: 3, count: 1 });
    const controller = new AbortController();
    const stream = await openai(emulator).chat.completions.create(
      { model: 'm', messages, stream: true },
      { signal: controller.signal },
    );
    const seen: unknown[] = [];
    const reading = drain(
      (async function* () {
        for await (const chunk of stream) {
          seen.push(chunk);
          yield chunk;
        }
      })(),
    );
    // The three chunks arrive; nothing more does, and the request is still open on the emulator.
    await expect.poll(() => seen.length).toBe(3);
    expect(emulator.ledger.entries()[0]).toMatchObject({ fault: 'stall', outcome: 'pending' });
    controller.abort();
    // The openai SDK ends an aborted stream quietly: the loop just stops after the three chunks.
    const { items } = await reading;
    expect(items).toHaveLength(3);
    await expect.poll(() => emulator.ledger.entries()[0]?.outcome).toBe('fault');
    // count: 1 — the next stream is whole.
    const next = await drain(
      await openai(emulator).chat.completions.create({ model: 'm', messages, stream: true }),
    );
    expect(next.error).toBeUndefined();
  });
});

describe('per-key scripts', () => {
  it('answers a key by its script, request by request, then normally; other keys are untouched', async () => {
    const emulator = await setup();
    emulator.setScript('b', [503, 503, { status: 429, retryAfterMs: 2000 }, 200, 529, { kind: 'quota' }]);
    const b = openai(emulator, KEY_B);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const outcome = await b.chat.completions.create({ model: 'm', messages }).then(
        () => 200,
        (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).status ?? -1,
      );
      statuses.push(outcome);
      if (i === 1)
        await expect(
          openai(emulator).chat.completions.create({ model: 'm', messages }),
        ).resolves.toBeDefined();
    }
    expect(statuses).toEqual([503, 503, 429, 200, 529, 429, 200]);
    expect(emulator.scriptRemaining('b')).toBe(0);
    const entries = emulator.ledger.entries({ key: 'b' });
    expect(entries.map((e) => e.fault)).toEqual([
      'unavailable',
      'unavailable',
      'rate-limit',
      undefined,
      'overloaded',
      'quota',
      undefined,
    ]);
    expect(entries.map((e) => e.scripted)).toEqual([true, true, true, true, true, true, false]);
    expect(emulator.ledger.countByFault({ key: 'b' })).toEqual({
      unavailable: 2,
      'rate-limit': 1,
      overloaded: 1,
      quota: 1,
    });
    expect(emulator.ledger.entries({ key: 'a' })[0]?.scripted).toBe(false);
  });

  it('puts retry-after and extra headers on a step, and checks names and steps', async () => {
    const emulator = await setup();
    emulator.setScript('a', [
      { status: 429, retryAfterMs: 2000, headers: { 'x-ratelimit-remaining-requests': '0' } },
    ]);
    const limited = await failure<InstanceType<typeof OpenAI.RateLimitError>>(
      openai(emulator).chat.completions.create({ model: 'm', messages }),
    );
    expect(limited.headers?.get('retry-after')).toBe('2');
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.message).toContain('Please try again in 2s.');
    expect(() => emulator.setScript('nobody', [503])).toThrow(EmulatorConfigError);
    expect(() => emulator.setScript('a', [99])).toThrow(/script of a/);
    await expect(
      emulatorFor({ keys: [{ key: KEY_A, name: 'a' }], scripts: { z: [503] } }, closers),
    ).rejects.toThrow('scripts.z: no key is named "z"');
  });

  it('an unauthorized step answers 401 for a known key; a limited request keeps its step', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      {
        keys: [{ key: KEY_A, name: 'a' }],
        pools: { a: { rpm: 1 } },
        scripts: { a: [200, 401] },
        now: clock.now,
      },
      closers,
    );
    const client = openai(emulator);
    await client.chat.completions.create({ model: 'm', messages });
    // The 401 step is unaffected by the pool's limits: it answers without charging.
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    emulator.setScript('a', [200]);
    await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.RateLimitError,
    );
    expect(emulator.scriptRemaining('a')).toBe(1);
    clock.advance(60_000);
    await client.chat.completions.create({ model: 'm', messages });
    expect(emulator.scriptRemaining('a')).toBe(0);
  });
});
