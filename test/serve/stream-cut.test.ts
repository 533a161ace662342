import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import { GoogleGenerativeAI } from '@google/generative-ai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, GATEWAY_TOKEN, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];

describe('streams cut or stalled upstream', () => {
  it('Medium 4: a stream the provider cuts ends with the provider’s error event and counts against its key', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    emulator.addFault({ kind: 'cut', provider: 'openai', cutAfterChunks: 2, count: 1 });
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages, stream: true }),
    });
    expect(res.status).toBe(200);
    // The body ends properly (no truncated transfer), its last event an error in OpenAI's shape.
    const text = await res.text();
    const last = text.trimEnd().split('\n\n').at(-1) ?? '';
    expect(JSON.parse(last.replace(/^data: /, ''))).toMatchObject({
      error: { type: 'server_error', message: expect.stringContaining('broke off') },
    });
    expect(text).not.toContain('[DONE]');
    const keys = mux.getUsageStats().providers.openai?.keys ?? [];
    expect(keys.reduce((n, k) => n + k.failuresByClass.transient, 0)).toBe(1);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /keymux_attempts_total\{provider="openai",key="openai-[ab]",model="m",outcome="transient"\} 1/,
    );
    // The SDK raises an error instead of returning a truncated answer as complete.
    emulator.addFault({ kind: 'cut', provider: 'openai', cutAfterChunks: 2, count: 1 });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: 'm', messages, stream: true });
    const read = async () => {
      for await (const _ of stream);
    };
    await expect(read()).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  it('Medium 4: Anthropic’s and Gemini’s SDKs raise their own errors on a cut stream', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    // After the first text delta (message_start, content_block_start and ping only open the answer: a cut
    // before it is sent again, see gateway-stream-fallbacks.test.ts).
    emulator.addFault({ kind: 'cut', provider: 'anthropic', cutAfterChunks: 4, count: 1 });
    emulator.addFault({ kind: 'cut', provider: 'gemini', cutAfterChunks: 1, count: 1 });
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const claude = anthropic.messages.stream({ model: 'm', max_tokens: 50, messages });
    await expect(claude.finalMessage()).rejects.toMatchObject({
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
    const ai = new GoogleGenAI({ apiKey: GATEWAY_TOKEN, httpOptions: { baseUrl: `${url}/gemini` } });
    const read = async () => {
      const stream = await ai.models.generateContentStream({ model: 'gemini-2.0-flash', contents: 'hi' });
      for await (const _ of stream);
    };
    await expect(read()).rejects.toBeInstanceOf(ApiError);
    emulator.addFault({ kind: 'cut', provider: 'gemini', cutAfterChunks: 1, count: 1 });
    const legacy = new GoogleGenerativeAI(GATEWAY_TOKEN).getGenerativeModel(
      { model: 'gemini-2.0-flash' },
      { baseUrl: `${url}/gemini` },
    );
    const readLegacy = async () => {
      const { stream, response } = await legacy.generateContentStream('hi');
      response.catch(() => undefined); // fails with the stream, heard there
      for await (const _ of stream);
    };
    await expect(readLegacy()).rejects.toThrow();
    const stats = mux.getUsageStats().providers;
    expect(stats.anthropic?.keys[0]?.failuresByClass.transient).toBe(1);
    expect(stats.gemini?.keys[0]?.failuresByClass.transient).toBe(2);
  });
});
