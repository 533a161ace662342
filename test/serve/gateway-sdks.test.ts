import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, GATEWAY_TOKEN, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Say hello through the gateway.' }];

describe('unmodified SDKs pointed at the gateway', () => {
  it('openai: chat, chat streaming, embeddings, also under /openai/v1; each call a job on one of the keys', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 20 });
    expect(reply.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.length).toBeGreaterThan(0);
    const embedded = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(embedded.data).toHaveLength(2);
    const prefixed = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/openai/v1`, maxRetries: 0 });
    const again = await prefixed.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(again.object).toBe('chat.completion');
    const stats = mux.getUsageStats().providers.openai;
    expect(stats?.successes).toBe(4);
    expect(stats?.inputTokens).toBeGreaterThan(0);
    expect(stats?.outputTokens).toBeGreaterThan(0);
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 4 });
    expect(new Set(stats?.keys.filter((k) => k.requests > 0).map((k) => k.name))).toEqual(
      new Set(['openai-a', 'openai-b']),
    );
  });

  it('groq-sdk at /groq, streaming included', async () => {
    const { url, mux } = await startStack({}, closers);
    const groq = new Groq({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/groq`, maxRetries: 0 });
    const reply = await groq.chat.completions.create({ model: 'llama-3.1-8b-instant', messages });
    expect(reply.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const stream = await groq.chat.completions.create({
      model: 'llama-3.1-8b-instant',
      messages,
      stream: true,
    });
    let chunks = 0;
    for await (const _ of stream) chunks++;
    expect(chunks).toBeGreaterThan(2);
    expect(mux.getUsageStats().providers.groq?.successes).toBe(2);
  });

  it('@anthropic-ai/sdk at /anthropic: messages and a message stream, usage counted', async () => {
    const { url, mux } = await startStack({}, closers);
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'claude-emulated', max_tokens: 50, messages });
    expect(message.content[0]?.type).toBe('text');
    const stream = anthropic.messages.stream({ model: 'claude-emulated', max_tokens: 50, messages });
    const events: string[] = [];
    for await (const event of stream) events.push(event.type);
    const final = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const stats = mux.getUsageStats().providers.anthropic;
    expect(stats?.successes).toBe(2);
    expect(stats?.outputTokens).toBe(message.usage.output_tokens + final.usage.output_tokens);
  });

  it('@google/genai at /gemini: generateContent and generateContentStream', async () => {
    const { url, mux } = await startStack({}, closers);
    const ai = new GoogleGenAI({ apiKey: GATEWAY_TOKEN, httpOptions: { baseUrl: `${url}/gemini` } });
    const reply = await ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Hello there' });
    expect(reply.text?.length).toBeGreaterThan(0);
    let chunks = 0;
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({
      model: 'gemini-2.0-flash',
      contents: 'Hi',
    })) {
      chunks++;
      text += chunk.text ?? '';
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text.length).toBeGreaterThan(0);
    const stats = mux.getUsageStats().providers.gemini;
    expect(stats?.successes).toBe(2);
    expect(stats?.inputTokens).toBeGreaterThan(0);
  });

  it('plain fetch, as curl would: JSON and a raw SSE stream ending in [DONE]', async () => {
    const { url } = await startStack({}, closers);
    const headers = { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' };
    const body = { model: 'gpt-4o-mini', messages };
    const json = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(json.status).toBe(200);
    expect(json.headers.get('x-keymux-key')).toMatch(/^openai-[ab]$/);
    expect(((await json.json()) as { object: string }).object).toBe('chat.completion');
    const sse = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, stream: true }),
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const text = await sse.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });
});
