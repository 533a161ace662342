import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { KeymuxEvent } from '../../src/core/events.js';
import { createGatewayLogger } from '../../src/serve/gateway-logger.js';
import { closeAll, GATEWAY_TOKEN, KEYS, type StackOptions, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));

const messages = [{ role: 'user' as const, content: 'Hello' }];
const GROQ_MODEL = 'llama-3.3-70b-versatile';

/** A stack whose gateway logs at debug and whose multiplexer's events are kept: both checked for keys. */
async function stack(options: StackOptions) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createGatewayLogger({ destination, level: 'debug' });
  const started = await startStack({ ...options, gateway: { logger, ...options.gateway } }, closers);
  const events: KeymuxEvent[] = [];
  started.mux.on('*', (event: KeymuxEvent) => events.push(event));
  /** Nothing the client or the logs saw holds a key's value. */
  const noKeyIn = (...texts: string[]): void => {
    const all = [...texts, ...lines, JSON.stringify(events, (_k, v) => (v instanceof Error ? v.message : v))];
    for (const text of all) for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  };
  return { ...started, lines, events, noKeyIn };
}

async function drain<T>(iterable: AsyncIterable<T>, each: (chunk: T) => void = () => undefined): Promise<void> {
  for await (const chunk of iterable) each(chunk);
}

describe('gateway streams fall back only before their first content', () => {
  it('OpenAI: a stream cut after its role chunk is served by the fallback, and the headers say so', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'gpt-4.1': [`groq/${GROQ_MODEL}`] }, maxRetries: 1 },
      emulator: { faults: [{ kind: 'cut', provider: 'openai', cutAfterChunks: 1 }], latency: { kind: 'none' } },
    });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages, stream: true })
      .withResponse();
    let text = '';
    const models = new Set<string>();
    await drain(data, (chunk) => {
      text += chunk.choices[0]?.delta.content ?? '';
      models.add(chunk.model);
    });
    expect(text.length).toBeGreaterThan(0);
    // Only the fallback's chunks reached the client: the cut stream's role chunk was held back.
    expect([...models]).toEqual([GROQ_MODEL]);
    expect(response.headers.get('x-keymux-provider')).toBe('groq');
    expect(response.headers.get('x-keymux-model')).toBe(GROQ_MODEL);
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('transient');
    expect(emulator.ledger.entries({ provider: 'openai' }).map((e) => e.fault)).toEqual(['cut']);
    expect(emulator.ledger.entries({ provider: 'groq', status: 200 })).toHaveLength(1);
    noKeyIn(text);
  });

  it('OpenAI: without fallbacks, a stream cut before content is sent again on a key, the client sees one clean answer', async () => {
    const { url, emulator } = await stack({
      emulator: {
        faults: [{ kind: 'cut', provider: 'openai', cutAfterChunks: 1, count: 1 }],
        latency: { kind: 'none' },
      },
    });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let roles = 0;
    let finish: string | null | undefined;
    await drain(stream, (chunk) => {
      if (chunk.choices[0]?.delta.role) roles++;
      finish = chunk.choices[0]?.finish_reason ?? finish;
    });
    expect(roles).toBe(1);
    expect(finish).toBe('stop');
    expect(emulator.ledger.entries({ provider: 'openai' }).map((e) => e.outcome)).toEqual(['fault', 'ok']);
  });

  it('Anthropic: a stream cut after message_start, the block start and ping falls back to an OpenAI-wire model', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'claude-sonnet-4-6': [`groq/${GROQ_MODEL}`] }, maxRetries: 1 },
      emulator: {
        faults: [{ kind: 'cut', provider: 'anthropic', cutAfterChunks: 3 }],
        latency: { kind: 'none' },
      },
    });
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const { data, response } = await anthropic.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 50, messages, stream: true })
      .withResponse();
    const types: string[] = [];
    let text = '';
    await drain(data, (event) => {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    });
    expect(types[0]).toBe('message_start');
    expect(types.filter((t) => t === 'message_start')).toHaveLength(1);
    expect(types.at(-1)).toBe('message_stop');
    expect(text.length).toBeGreaterThan(0);
    expect(response.headers.get('x-keymux-provider')).toBe('groq');
    expect(response.headers.get('x-keymux-model')).toBe(GROQ_MODEL);
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('transient');
    expect(emulator.ledger.entries({ provider: 'anthropic' }).map((e) => e.fault)).toEqual(['cut']);
    noKeyIn(text);
  });

  it('Gemini: a stream cut before its first chunk falls back to another Gemini model', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] }, maxRetries: 1 },
      emulator: {
        faults: [{ kind: 'cut', provider: 'gemini', model: 'gemini-2.5-pro', cutAfterChunks: 0 }],
        latency: { kind: 'none' },
      },
    });
    let served: Headers | undefined;
    const ai = new GoogleGenAI({
      apiKey: GATEWAY_TOKEN,
      httpOptions: { baseUrl: `${url}/gemini` },
    });
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hello' });
    let text = '';
    let version: string | undefined;
    await drain(stream, (chunk) => {
      text += chunk.text ?? '';
      version = chunk.modelVersion ?? version;
      served ??= chunk.sdkHttpResponse?.headers ? new Headers(chunk.sdkHttpResponse.headers) : undefined;
    });
    expect(text.length).toBeGreaterThan(0);
    expect(version).toBe('gemini-2.5-flash');
    expect(served?.get('x-keymux-model')).toBe('gemini-2.5-flash');
    expect(served?.get('x-keymux-fallback-reason')).toBe('transient');
    expect(emulator.ledger.entries({ provider: 'gemini' }).map((e) => [e.model, e.outcome])).toEqual([
      ['gemini-2.5-pro', 'fault'],
      ['gemini-2.5-flash', 'ok'],
    ]);
    noKeyIn(text);
  });
});

describe('gateway streams that fail after their first content', () => {
  it('OpenAI: the SDK iterator throws, no fallback is tried, the headers name who served', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'gpt-4.1': [`groq/${GROQ_MODEL}`] } },
      emulator: { faults: [{ kind: 'cut', provider: 'openai', cutAfterChunks: 3 }], latency: { kind: 'none' } },
    });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages, stream: true })
      .withResponse();
    let text = '';
    const error = await drain(data, (chunk) => {
      text += chunk.choices[0]?.delta.content ?? '';
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(response.headers.get('x-keymux-provider')).toBe('openai');
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('none');
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
    noKeyIn(text, String((error as Error).message));
  });

  it('Anthropic: the SDK iterator throws Anthropic’s error, never a clean end', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'claude-sonnet-4-6': [`groq/${GROQ_MODEL}`] } },
      emulator: {
        faults: [{ kind: 'cut', provider: 'anthropic', cutAfterChunks: 4 }],
        latency: { kind: 'none' },
      },
    });
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const stream = await anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 50,
      messages,
      stream: true,
    });
    const types: string[] = [];
    const error = await drain(stream, (event) => types.push(event.type)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(types).toContain('content_block_delta');
    expect(types).not.toContain('message_stop');
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
    noKeyIn(String((error as Error).message));
  });

  it('Gemini: the SDK iterator throws ApiError, no fallback is tried', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] } },
      emulator: {
        faults: [{ kind: 'cut', provider: 'gemini', cutAfterChunks: 1 }],
        latency: { kind: 'none' },
      },
    });
    const ai = new GoogleGenAI({ apiKey: GATEWAY_TOKEN, httpOptions: { baseUrl: `${url}/gemini` } });
    const stream = await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'Hello' });
    let text = '';
    const error = await drain(stream, (chunk) => {
      text += chunk.text ?? '';
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(text.length).toBeGreaterThan(0);
    expect(emulator.ledger.entries({ provider: 'gemini' })).toHaveLength(1);
    noKeyIn(text, String((error as Error).message));
  });
});
