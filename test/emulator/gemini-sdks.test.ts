import { ApiError, GoogleGenAI } from '@google/genai';
import { GoogleGenerativeAI, GoogleGenerativeAIFetchError } from '@google/generative-ai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator } from '../../src/emulator/index.js';
import { drain, emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const modelName = 'gemini-2.0-flash';

const clock = testClock();

async function setup(rpm = 15): Promise<Emulator> {
  return emulatorFor(
    { keys: [{ key: KEY_A, name: 'gem' }], pools: { gem: { rpm, tpm: 100_000 } }, now: clock.now },
    closers,
  );
}

function legacyModel(emulator: Emulator, key = KEY_A) {
  return new GoogleGenerativeAI(key).getGenerativeModel(
    { model: modelName },
    { baseUrl: baseUrlFor('gemini', emulator.url) },
  );
}

function genai(emulator: Emulator, key = KEY_A): GoogleGenAI {
  return new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: baseUrlFor('google-genai', emulator.url) } });
}

/** Google's errors carry the JSON body in their message; these pull out the parts tests check. */
function retryDelayOf(details: unknown): string | undefined {
  const list = Array.isArray(details) ? (details as Array<Record<string, unknown>>) : [];
  const info = list.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
  return typeof info?.retryDelay === 'string' ? info.retryDelay : undefined;
}

describe('emulator with @google/generative-ai', () => {
  it('generates content with usageMetadata, and streams', async () => {
    const emulator = await setup();
    const model = legacyModel(emulator);
    const result = await model.generateContent('Hello, Gemini.');
    expect(result.response.text().length).toBeGreaterThan(0);
    const usage = result.response.usageMetadata;
    expect(usage?.candidatesTokenCount).toBe(result.response.text().split(' ').length);
    const streamed = await model.generateContentStream('Hello again.');
    const { items, error } = await drain(streamed.stream);
    expect(error).toBeUndefined();
    const final = await streamed.response;
    expect(items.map((c) => c.text()).join('')).toBe(final.text());
    expect(final.candidates?.[0]?.finishReason).toBe('STOP');
    expect(emulator.ledger.entries().map((e) => [e.key, e.stream, e.status])).toEqual([
      ['gem', false, 200],
      ['gem', true, 200],
    ]);
  });

  it('answers 429 RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo', async () => {
    const emulator = await setup(1);
    const model = legacyModel(emulator);
    await model.generateContent('one');
    const error = await model.generateContent('two').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoogleGenerativeAIFetchError);
    const fetchError = error as GoogleGenerativeAIFetchError;
    expect(fetchError.status).toBe(429);
    expect(retryDelayOf(fetchError.errorDetails)).toBe('60s');
    expect(fetchError.errorDetails?.[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    });
  });

  it('answers an unknown key as Google does (400 API_KEY_INVALID), 503 and a cut stream', async () => {
    const emulator = await setup();
    const invalid = await legacyModel(emulator, 'AIza-unknown')
      .generateContent('x')
      .catch((e: unknown) => e);
    expect((invalid as GoogleGenerativeAIFetchError).status).toBe(400);
    expect((invalid as GoogleGenerativeAIFetchError).errorDetails?.[0]).toMatchObject({
      reason: 'API_KEY_INVALID',
    });
    emulator.setFaults([
      { kind: 'overloaded', count: 1 },
      { kind: 'cut', cutAfterChunks: 2 },
    ]);
    const model = legacyModel(emulator);
    const overloaded = await model.generateContent('x').catch((e: unknown) => e);
    expect((overloaded as GoogleGenerativeAIFetchError).status).toBe(503);
    const streamed = await model.generateContentStream('x');
    const { items, error } = await drain(streamed.stream);
    expect(items).toHaveLength(2);
    expect(error).toBeInstanceOf(Error);
    await expect(streamed.response).rejects.toThrow();
  });
});

describe('emulator with @google/genai', () => {
  it('generates content with usageMetadata, and streams', async () => {
    const emulator = await setup();
    const ai = genai(emulator);
    const response = await ai.models.generateContent({ model: modelName, contents: 'Hello, Gemini.' });
    expect(response.text?.length).toBeGreaterThan(0);
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    const { items, error } = await drain(
      await ai.models.generateContentStream({ model: modelName, contents: 'Hi.' }),
    );
    expect(error).toBeUndefined();
    expect(items.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(emulator.ledger.countByKey()).toEqual({ gem: 2 });
  });

  it('surfaces 429, an unknown key, 503 and a cut stream as ApiError / Error', async () => {
    const emulator = await setup(1);
    const ai = genai(emulator);
    await ai.models.generateContent({ model: modelName, contents: 'one' });
    const limited = await ai.models
      .generateContent({ model: modelName, contents: 'two' })
      .catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ApiError);
    expect((limited as ApiError).status).toBe(429);
    const body = JSON.parse((limited as ApiError).message) as { error: { status: string; details: unknown } };
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    expect(retryDelayOf(body.error.details)).toBe('60s');

    const invalid = await genai(emulator, 'AIza-unknown')
      .models.generateContent({ model: modelName, contents: 'x' })
      .catch((e: unknown) => e);
    expect((invalid as ApiError).status).toBe(400);

    clock.advance(60_000); // the pool has one request a minute
    emulator.setFaults([{ kind: 'unavailable', count: 1 }]);
    const unavailable = await ai.models
      .generateContent({ model: modelName, contents: 'x' })
      .catch((e: unknown) => e);
    expect((unavailable as ApiError).status).toBe(503);
  });

  it('cuts a stream mid-way', async () => {
    const emulator = await setup();
    emulator.addFault({ kind: 'cut', cutAfterChunks: 3 });
    const { items, error } = await drain(
      await genai(emulator).models.generateContentStream({ model: modelName, contents: 'Hi.' }),
    );
    expect(items).toHaveLength(3);
    expect(error).toBeInstanceOf(Error);
  });
});
