import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor } from '../../src/emulator/index.js';
import { emulatorFor, KEY_A, KEY_B, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('models list: the cheapest authenticated call, for key checks', () => {
  it('lists models in each SDK, uncharged, and 401s a key until it is added', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'a' }], pools: { a: { rpm: 10 } }, now: clock.now },
      closers,
    );
    const openai = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    const groq = new Groq({ apiKey: KEY_A, baseURL: baseUrlFor('groq', emulator.url), maxRetries: 0 });
    const anthropic = new Anthropic({
      apiKey: KEY_A,
      baseURL: baseUrlFor('anthropic', emulator.url),
      maxRetries: 0,
    });
    const genai = new GoogleGenAI({
      apiKey: KEY_A,
      httpOptions: { baseUrl: baseUrlFor('google-genai', emulator.url) },
    });
    expect((await openai.models.list()).data.map((m) => m.id)).toContain('gpt-4o-mini');
    expect((await groq.models.list()).data.map((m) => m.id)).toContain('llama-3.1-8b-instant');
    expect((await anthropic.models.list()).data.map((m) => m.id)).toContain('claude-sonnet-4-0');
    const gemini: string[] = [];
    for await (const model of await genai.models.list()) gemini.push(model.name ?? '');
    expect(gemini).toContain('models/gemini-2.0-flash');
    expect(emulator.poolState('a')['requests-minute']?.remaining).toBe(10);
    expect(emulator.ledger.entries().map((e) => [e.provider, e.endpoint, e.status, e.admitted])).toEqual([
      ['openai', 'models', 200, false],
      ['groq', 'models', 200, false],
      ['anthropic', 'models', 200, false],
      ['gemini', 'models', 200, false],
    ]);

    const b = new OpenAI({ apiKey: KEY_B, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    await expect(b.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    emulator.addKey({ key: KEY_B, name: 'b' });
    await expect(b.models.list()).resolves.toBeDefined();
  });

  it('answers a key quota fault and its script steps on the models list too', async () => {
    const emulator = await emulatorFor({ keys: [{ key: KEY_A, name: 'a' }] }, closers);
    const openai = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    emulator.addFault({ kind: 'quota', key: 'a', count: 1 });
    await expect(openai.models.list()).rejects.toMatchObject({ status: 429, code: 'insufficient_quota' });
    emulator.setScript('a', [503, 401]);
    await expect(openai.models.list()).rejects.toMatchObject({ status: 503 });
    await expect(openai.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(openai.models.list()).resolves.toBeDefined();
    expect(emulator.ledger.countByFault()).toEqual({ quota: 1, unavailable: 1, unauthorized: 1 });
  });
});
