import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { GoogleGenerativeAI } from '@google/generative-ai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { MissingSdkError } from '../../src/core/errors.js';
import type { ClientSpec } from '../../src/providers/adapter.js';
import { createAnthropicAdapter } from '../../src/providers/anthropic.js';
import { createGeminiAdapter } from '../../src/providers/gemini.js';
import { GeminiClients } from '../../src/providers/gemini-clients.js';
import { createGenericAdapter } from '../../src/providers/generic.js';
import { createGroqAdapter } from '../../src/providers/groq.js';
import { builtinAdapters } from '../../src/providers/index.js';
import { preloadSdk, requireSdk } from '../../src/providers/load-sdk.js';
import { createOpenAIAdapter } from '../../src/providers/openai.js';

const calls: string[] = [];
const spec = (baseURL?: string): ClientSpec => ({
  apiKey: 'sk-test-0123456789abcdef',
  baseURL,
  fetch: async (input) => {
    calls.push(String(input instanceof Request ? input.url : input));
    return new Response(JSON.stringify({ ok: true }), { headers: { 'content-type': 'application/json' } });
  },
});

describe('built-in adapters', () => {
  it('are the four providers', () => {
    expect(builtinAdapters().map((a) => a.name)).toEqual(['openai', 'anthropic', 'gemini', 'groq']);
  });

  it('build each SDK with retries off, the base URL and the observing fetch', async () => {
    await Promise.all(['openai', '@anthropic-ai/sdk', 'groq-sdk'].map(preloadSdk));
    const openai = createOpenAIAdapter().createClient(spec('http://127.0.0.1:1/v1'));
    expect(openai).toBeInstanceOf(OpenAI);
    expect(openai.maxRetries).toBe(0);
    expect(openai.baseURL).toBe('http://127.0.0.1:1/v1');
    const anthropic = createAnthropicAdapter().createClient(spec('http://127.0.0.1:2'));
    expect(anthropic).toBeInstanceOf(Anthropic);
    expect(anthropic.maxRetries).toBe(0);
    expect(anthropic.baseURL).toBe('http://127.0.0.1:2');
    const groq = createGroqAdapter().createClient(spec('http://127.0.0.1:3'));
    expect(groq).toBeInstanceOf(Groq);
    expect(groq.maxRetries).toBe(0);

    calls.length = 0;
    await openai.models.list().catch(() => undefined);
    expect(calls).toEqual(['http://127.0.0.1:1/v1/models']);
  });

  it('gemini keys hold both Google SDK clients, built on first use', async () => {
    await Promise.all(['@google/generative-ai', '@google/genai'].map(preloadSdk));
    const clients = createGeminiAdapter().createClient(spec('http://127.0.0.1:4'));
    expect(clients).toBeInstanceOf(GeminiClients);
    expect(clients.generativeAI).toBeInstanceOf(GoogleGenerativeAI);
    expect(clients.generativeAI).toBe(clients.generativeAI);
    expect(clients.genAI).toBeInstanceOf(GoogleGenAI);
    const model = clients.getGenerativeModel({ model: 'gemini-2.0-flash' });
    expect(model.model).toBe('models/gemini-2.0-flash');
    expect(JSON.stringify(clients)).not.toContain('sk-test');
  });

  it('the generic adapter hands out the raw key by default', () => {
    const adapter = createGenericAdapter({ name: 'acme' });
    expect(adapter.createClient(spec())).toBe('sk-test-0123456789abcdef');
    expect(adapter.classify({ status: 429, message: 'slow down' }).class).toBe('rate-limited');
    expect(adapter.readRateLimits?.(new Headers({ 'retry-after': '3' }))).toEqual({ retryAfterMs: 3000 });
  });
});

describe('loading SDKs', () => {
  it('a missing SDK is a MissingSdkError naming the package', async () => {
    expect(() => requireSdk('@keymux/no-such-sdk')).toThrow(MissingSdkError);
    expect(() => requireSdk('@keymux/no-such-sdk')).toThrow(/npm install @keymux\/no-such-sdk/);
    await expect(preloadSdk('@keymux/no-such-sdk')).rejects.toBeInstanceOf(MissingSdkError);
  });

  it('after a preload, clients come from the same module as the caller’s import', async () => {
    await preloadSdk('openai');
    const client = createOpenAIAdapter().createClient(spec());
    expect(client).toBeInstanceOf(OpenAI);
    expect(requireSdk<typeof import('openai')>('openai').BadRequestError).toBe(OpenAI.BadRequestError);
  });
});

describe('limit scopes: how each provider limits models within a key', () => {
  it('maps a model to the scope its provider counts it in; a generic adapter keeps the key as one', () => {
    expect(createOpenAIAdapter().limitScope?.('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(createOpenAIAdapter().limitScope?.('gpt-4.1-mini')).toBe('gpt-4.1-mini');
    expect(createGroqAdapter().limitScope?.('llama-3.3-70b-versatile')).toBe('llama-3.3-70b-versatile');
    expect(createGeminiAdapter().limitScope?.('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
    const anthropic = createAnthropicAdapter();
    expect(anthropic.limitScope?.('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4');
    expect(anthropic.limitScope?.('claude-sonnet-4-6')).toBe('claude-sonnet-4');
    expect(anthropic.limitScope?.('claude-3-5-haiku-20241022')).toBe('claude-3-5-haiku');
    const generic = createGenericAdapter({ name: 'generic-x', createClient: () => ({}) });
    expect(generic.limitScope).toBeUndefined();
  });
});
