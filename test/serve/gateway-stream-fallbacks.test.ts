import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeymuxEvent } from '../../src/core/events.js';
import { createGatewayLogger } from '../../src/serve/gateway-logger.js';
import { closeAll, GATEWAY_TOKEN, KEYS, type StackOptions, startStack } from './support.js';
import { startTap } from './tap.js';

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

async function drain<T>(
  iterable: AsyncIterable<T>,
  each: (chunk: T) => void = () => undefined,
): Promise<void> {
  for await (const chunk of iterable) each(chunk);
}

describe('gateway streams fall back only before their first content', () => {
  it('OpenAI: a stream cut after its role chunk is served by the fallback, and the headers say so', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { 'gpt-4.1': [`groq/${GROQ_MODEL}`] }, maxRetries: 1 },
      emulator: {
        faults: [{ kind: 'cut', provider: 'openai', cutAfterChunks: 1 }],
        latency: { kind: 'none' },
      },
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
    const { url, emulator, mux } = await stack({
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
    // The cut counts against the key that got it, once; every slot is given back.
    const openaiStats = mux.getUsageStats().providers.openai;
    expect(openaiStats?.keys.reduce((n, k) => n + k.failuresByClass.transient, 0)).toBe(1);
    await vi.waitFor(() => expect(mux.getUsageStats().providers.openai?.inFlight).toBe(0));
  });

  it('a client that leaves while the start is held back stops the upstream, frees the slot, and blames no key', async () => {
    const { url, emulator, mux } = await stack({
      emulator: {
        // Anthropic's opening events (message_start, content_block_start, ping), then silence.
        faults: [{ kind: 'stall', provider: 'anthropic', stallAfterChunks: 3 }],
        latency: { kind: 'none' },
      },
    });
    const leave = new AbortController();
    const response = fetch(`${url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 50, messages, stream: true }),
      signal: leave.signal,
    });
    response.catch(() => undefined);
    // The upstream answered with its opening events and went silent; the gateway holds them: no status
    // has reached the client yet.
    await vi.waitFor(
      () => expect(emulator.ledger.entries({ provider: 'anthropic' }).at(-1)?.fault).toBe('stall'),
      { timeout: 15_000 },
    );
    expect(mux.getUsageStats().providers.anthropic?.inFlight).toBe(1);
    leave.abort();
    await expect(response).rejects.toThrow();
    // Only a hang is caught here: a loaded machine may take a while to close the sockets.
    await vi.waitFor(
      () => {
        expect(mux.getUsageStats().providers.anthropic?.inFlight).toBe(0);
        expect(emulator.ledger.entries({ provider: 'anthropic' }).at(-1)?.endedAt).toBeDefined();
      },
      { timeout: 15_000 },
    );
    expect(emulator.ledger.entries({ provider: 'anthropic' })).toHaveLength(1);
    const key = mux.getUsageStats().providers.anthropic?.keys[0];
    expect(key?.failuresByClass.transient).toBe(0);
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
      emulator: {
        faults: [{ kind: 'cut', provider: 'openai', cutAfterChunks: 3 }],
        latency: { kind: 'none' },
      },
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

describe('the gateway’s Anthropic route falls back to OpenAI-wire targets through a translation', () => {
  const CLAUDE = 'claude-sonnet-4-6';

  it.each([
    ['openai', 'gpt-4o-mini', '/v1/chat/completions'],
    ['groq', GROQ_MODEL, '/openai/v1/chat/completions'],
  ] as const)(
    'to %s: text, system, usage, whole and streamed, with who served',
    async (provider, model, path) => {
      let emulatorUrl = '';
      const tap = await startTap(() => emulatorUrl, closers);
      const { url, emulator, noKeyIn } = await stack({
        mux: { fallbacks: { [CLAUDE]: [`${provider}/${model}`] } },
        emulator: { faults: [{ kind: 'quota', model: CLAUDE }] },
        upstreamUrl: (real) => {
          emulatorUrl = real;
          return tap.url;
        },
      });
      const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
      const ask = {
        model: CLAUDE,
        system: 'Be brief.',
        max_tokens: 40,
        temperature: 0.5,
        stop_sequences: ['END'],
        messages,
      };
      const { data, response } = await anthropic.messages.create(ask).withResponse();
      expect(data.type).toBe('message');
      expect(data.role).toBe('assistant');
      expect(data.model).toBe(model);
      expect(data.content[0]?.type === 'text' && data.content[0].text.length).toBeGreaterThan(0);
      expect(data.stop_reason).toMatch(/^(end_turn|max_tokens)$/);
      expect(data.usage.input_tokens).toBeGreaterThan(0);
      expect(data.usage.output_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-keymux-provider')).toBe(provider);
      expect(response.headers.get('x-keymux-model')).toBe(model);
      expect(response.headers.get('x-keymux-fallback-reason')).toBe('quota-exhausted');

      const streamed = anthropic.messages.stream(ask);
      const final = await streamed.finalMessage();
      const head = (await streamed.withResponse()).response.headers;
      expect(final.model).toBe(model);
      expect(final.content[0]?.type === 'text' && final.content[0].text.length).toBeGreaterThan(0);
      expect(final.usage.input_tokens).toBeGreaterThan(0);
      expect(final.usage.output_tokens).toBeGreaterThan(0);
      expect(head.get('x-keymux-provider')).toBe(provider);
      expect(head.get('x-keymux-fallback-reason')).toBe('no-key');

      // What reached the target: an OpenAI chat completion, the system prompt as its first message.
      expect(emulator.ledger.entries({ provider, status: 200 })).toHaveLength(2);
      const sent = tap.seen.filter((r) => r.url === path);
      expect(sent).toHaveLength(2);
      expect(JSON.parse(sent[0]?.body ?? '{}')).toEqual({
        model,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hello' },
        ],
        max_tokens: 40,
        temperature: 0.5,
        stop: ['END'],
      });
      expect(JSON.parse(sent[1]?.body ?? '{}')).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });
      for (const r of sent) {
        expect(r.headers['anthropic-version']).toBeUndefined();
        noKeyIn(r.body);
      }
      noKeyIn(JSON.stringify(data), JSON.stringify(final));
    },
  );

  it('skips an OpenAI-wire target as unsupported when the request has tools: never sent with parts dropped', async () => {
    const { url, emulator, noKeyIn } = await stack({
      mux: { fallbacks: { [CLAUDE]: ['openai/gpt-4o-mini'] } },
      emulator: { faults: [{ kind: 'quota', model: CLAUDE }] },
    });
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    // A text chat goes to the target…
    const text = await anthropic.messages.create({ model: CLAUDE, max_tokens: 40, messages }).withResponse();
    expect(text.response.headers.get('x-keymux-provider')).toBe('openai');
    expect(emulator.ledger.entries({ provider: 'openai' })).toHaveLength(1);
    // …a request with tools does not: the translation has no tools.
    const tools = [{ name: 'now', description: 'the time', input_schema: { type: 'object' as const } }];
    const error = await anthropic.messages
      .create({ model: CLAUDE, max_tokens: 40, messages, tools })
      .withResponse()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // The first target’s error (its one key out of credit since the first request), in Anthropic’s shape.
    expect(error).toBeInstanceOf(Anthropic.APIError);
    const headers = (error as InstanceType<typeof Anthropic.APIError>).headers;
    expect(headers?.get('x-keymux-provider')).toBe('anthropic');
    expect(headers?.get('x-keymux-model')).toBe(CLAUDE);
    expect(headers?.get('x-keymux-fallback-reason')).toBe('unsupported');
    expect(emulator.ledger.entries({ provider: 'openai' })).toHaveLength(1);
    noKeyIn(String((error as Error).message));
  });
});

describe('the gateway’s Gemini route', () => {
  it('falls back to another Gemini model (the path’s model swapped); another provider is skipped as unsupported', async () => {
    let emulatorUrl = '';
    const tap = await startTap(() => emulatorUrl, closers);
    const { url, emulator, noKeyIn } = await stack({
      mux: { contextWindowFallbacks: { 'gemini-2.5-pro': ['openai/gpt-4o-mini', 'gemini-2.5-flash'] } },
      emulator: { faults: [{ kind: 'context-window', model: 'gemini-2.5-pro' }] },
      upstreamUrl: (real) => {
        emulatorUrl = real;
        return tap.url;
      },
    });
    const ai = new GoogleGenAI({ apiKey: GATEWAY_TOKEN, httpOptions: { baseUrl: `${url}/gemini` } });
    const answer = await ai.models.generateContent({
      model: 'gemini-2.5-pro',
      contents: 'Hello',
      config: { systemInstruction: 'Be brief.' },
    });
    expect(answer.text?.length).toBeGreaterThan(0);
    expect(answer.modelVersion).toBe('gemini-2.5-flash');
    const headers = new Headers(answer.sdkHttpResponse?.headers);
    expect(headers.get('x-keymux-provider')).toBe('gemini');
    expect(headers.get('x-keymux-model')).toBe('gemini-2.5-flash');
    // OpenAI was skipped (no translation reads a Gemini request), never sent: that is the last step's reason.
    expect(headers.get('x-keymux-fallback-reason')).toBe('unsupported');
    expect(emulator.ledger.entries({ provider: 'openai' })).toHaveLength(0);
    // The body went as the client sent it, to the fallback model's path.
    const sent = tap.seen.filter((r) => r.url.includes(':generateContent'));
    expect(sent.map((r) => r.url)).toEqual([
      '/v1beta/models/gemini-2.5-pro:generateContent',
      '/v1beta/models/gemini-2.5-flash:generateContent',
    ]);
    expect(sent[1]?.body).toBe(sent[0]?.body);
    noKeyIn(JSON.stringify(answer));
  });
});
