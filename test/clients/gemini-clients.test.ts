import { ApiError } from '@google/genai';
import { GoogleGenerativeAIFetchError } from '@google/generative-ai';
import { describe, expect, it } from 'vitest';
import { geminiClient, genAIClient } from '../../src/clients/sdk-clients.js';
import { ProviderError } from '../../src/core/errors.js';
import { setup } from './support.js';

const model = 'gemini-2.0-flash';

describe('geminiClient (@google/generative-ai) against the emulator', () => {
  it('models from getGenerativeModel send through keymux, round-robin; usage matches the ledger', async () => {
    const { emulator, mux } = await setup('gemini', 'gemini');
    const ai = geminiClient(mux, 'round-robin');
    const gen = ai.getGenerativeModel({ model, generationConfig: { maxOutputTokens: 30 } });
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(() => gen.generateContent('Tell me about keys.')),
    );
    expect(results.every((r) => r.response.text().length > 0)).toBe(true);
    expect(emulator.ledger.countByKey()).toEqual({ a: 2, b: 2, c: 2 });
    const ledger = emulator.ledger.entries();
    const stats = mux.getUsageStats().providers.gemini;
    expect(stats?.inputTokens).toBe(ledger.reduce((s, e) => s + e.inputTokens, 0));
    expect(stats?.outputTokens).toBe(ledger.reduce((s, e) => s + e.outputTokens, 0));
  });

  it('a 429 with RetryInfo fails over at once; a 400 keeps the SDK error as cause', async () => {
    const { emulator, mux } = await setup('gemini', 'gemini');
    emulator.addFault({ kind: 'rate-limit', key: 'a', count: 1 });
    const gen = geminiClient(mux, 'round-robin').getGenerativeModel({ model });
    await gen.generateContent('hello');
    expect(emulator.ledger.entries().map((e) => [e.key, e.status])).toEqual([
      ['a', 429],
      ['b', 200],
    ]);
    const error = await gen.generateContent({ contents: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).cause).toBeInstanceOf(GoogleGenerativeAIFetchError);
  });

  it('generateContentStream yields every chunk and the aggregated response; the slot is held', async () => {
    const { emulator, mux } = await setup('gemini', 'gemini', {}, { maxConcurrentRequests: 1 }, 1);
    const gen = geminiClient(mux).getGenerativeModel({ model });
    const { stream, response } = await gen.generateContentStream('Stream about keys.');
    expect(mux.getUsageStats().providers.gemini?.keys[0]?.inFlight).toBe(1);
    let text = '';
    for await (const chunk of stream) text += chunk.text();
    const whole = await response;
    expect(text).toBe(whole.text());
    expect(whole.usageMetadata?.candidatesTokenCount).toBe(emulator.ledger.entries()[0]?.outputTokens);
    await expect.poll(() => mux.getUsageStats().providers.gemini?.keys[0]?.inFlight).toBe(0);
  });
});

describe('genAIClient (@google/genai) against the emulator', () => {
  it('ai.models.generateContent sends through keymux on the same Gemini keys', async () => {
    const { emulator, mux } = await setup('gemini', 'google-genai');
    const ai = genAIClient(mux, 'round-robin');
    const results = await Promise.all(
      [1, 2, 3].map(() => ai.models.generateContent({ model, contents: 'Tell me about keys.' })),
    );
    expect(results.every((r) => (r.text ?? '').length > 0)).toBe(true);
    expect(emulator.ledger.countByKey()).toEqual({ a: 1, b: 1, c: 1 });
  });

  it('streams with generateContentStream; an SDK-side validation error is not retried', async () => {
    const { emulator, mux } = await setup('gemini', 'google-genai', {}, {}, 1);
    const ai = genAIClient(mux);
    const stream = await ai.models.generateContentStream({ model, contents: 'Stream it.' });
    let output = 0;
    for await (const chunk of stream) output = chunk.usageMetadata?.candidatesTokenCount ?? output;
    expect(output).toBe(emulator.ledger.entries()[0]?.outputTokens);
    const error = await ai.models.generateContent({ model, contents: [] }).catch((e: unknown) => e);
    // Thrown by the SDK before any request (no HTTP status): it passes through as the SDK's own error.
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ProviderError);
    expect(emulator.ledger.size).toBe(1);
  });

  it('a 401 from the API keeps ApiError as cause and takes the key out', async () => {
    const { emulator, mux } = await setup('gemini', 'google-genai', {}, {}, 1);
    mux.addKey('gemini', { name: 'bad', apiKey: 'AIza-unknown-to-emulator', baseURL: emulator.url });
    const ai = genAIClient(mux, { strategy: 'specific', keyName: 'bad' });
    const error = await ai.models.generateContent({ model, contents: 'hi' }).catch((e: unknown) => e);
    expect(mux.getUsageStats().providers.gemini?.keys.find((k) => k.name === 'bad')?.state).toBe(
      'unavailable',
    );
    expect(((error as Error).cause as Error | undefined)?.constructor).toBe(ApiError);
  });
});
