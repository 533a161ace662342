import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';
import { startTap } from './tap.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));

const messages = [{ role: 'user' as const, content: 'Hello' }];
const GROQ = 'groq/llama-3.3-70b-versatile';

describe('the gateway: fallbacks and who served', () => {
  it('falls back to the configured model and says who served, on every response', async () => {
    const { url, emulator } = await startStack(
      {
        mux: { fallbacks: { 'gpt-4.1': [GROQ] } },
        emulator: { faults: [{ kind: 'quota', model: 'gpt-4.1' }] },
      },
      closers,
    );
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    // First, before the quota error marks the OpenAI keys exhausted (key state is per key, not per model).
    const plain = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(plain.response.headers.get('x-keymux-provider')).toBe('openai');
    expect(plain.response.headers.get('x-keymux-model')).toBe('gpt-4o-mini');
    expect(plain.response.headers.get('x-keymux-fallback-reason')).toBe('none');
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages })
      .withResponse();
    expect(data.model).toBe('llama-3.3-70b-versatile');
    expect(response.headers.get('x-keymux-provider')).toBe('groq');
    expect(response.headers.get('x-keymux-model')).toBe('llama-3.3-70b-versatile');
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('quota-exhausted');
    expect(emulator.ledger.entries({ provider: 'groq', status: 200 })).toHaveLength(1);
  });

  it('streams from the fallback with the same headers', async () => {
    const { url } = await startStack(
      {
        mux: { fallbacks: { 'gpt-4.1': [GROQ] } },
        emulator: { faults: [{ kind: 'quota', model: 'gpt-4.1' }] },
      },
      closers,
    );
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(response.headers.get('x-keymux-provider')).toBe('groq');
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('quota-exhausted');
  });

  it('takes the request’s own list from x-keymux-fallbacks, and refuses a malformed one', async () => {
    const { url, emulator } = await startStack(
      { emulator: { faults: [{ kind: 'quota', model: 'gpt-4.1' }] } },
      closers,
    );
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create(
        { model: 'gpt-4.1', messages },
        { headers: { 'x-keymux-fallbacks': `${GROQ}, anthropic/claude-sonnet-4-5` } },
      )
      .withResponse();
    expect(data.model).toBe('llama-3.3-70b-versatile');
    expect(response.headers.get('x-keymux-provider')).toBe('groq');
    const bad = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${GATEWAY_TOKEN}`,
        'content-type': 'application/json',
        'x-keymux-fallbacks': 'gpt-4o,has space',
      },
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('x-keymux-fallbacks[1]');
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(1);
  });

  it('an error after every target failed carries the headers of the first, and no key', async () => {
    const { url, emulator } = await startStack(
      {
        mux: { fallbacks: { 'gpt-4.1': ['anthropic/claude-sonnet-4-5'] } },
        emulator: { faults: [{ kind: 'quota', model: 'gpt-4.1' }] },
      },
      closers,
    );
    // A tool call has no translation to Anthropic Messages: that target is skipped, never sent.
    const tools = [{ type: 'function', function: { name: 'now', parameters: { type: 'object' } } }];
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages, tools }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get('x-keymux-provider')).toBe('openai');
    expect(response.headers.get('x-keymux-model')).toBe('gpt-4.1');
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('unsupported');
    expect(emulator.ledger.entries({ provider: 'anthropic' })).toHaveLength(0);
    const text = await response.text();
    for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  });
});

describe('the gateway: OpenAI routes fall back to Anthropic and Gemini through a translation', () => {
  const chat = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Hello' },
  ];

  it.each([
    ['anthropic', 'claude-sonnet-4-5', '/v1/messages'],
    ['gemini', 'gemini-2.5-flash', '/v1beta/models/gemini-2.5-flash:generateContent'],
  ] as const)(
    'to %s: text, system, usage, whole and streamed, with who served',
    async (provider, model, path) => {
      let emulatorUrl = '';
      const tap = await startTap(() => emulatorUrl, closers);
      const { url, emulator } = await startStack(
        {
          mux: { fallbacks: { 'gpt-4.1': [`${provider}/${model}`] } },
          emulator: { faults: [{ kind: 'quota', model: 'gpt-4.1' }] },
          upstreamUrl: (real) => {
            emulatorUrl = real;
            return tap.url;
          },
        },
        closers,
      );
      const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
      const { data, response } = await openai.chat.completions
        .create({ model: 'gpt-4.1', messages: chat, max_tokens: 40, temperature: 0.5 })
        .withResponse();
      expect(data.object).toBe('chat.completion');
      expect(data.model).toBe(model);
      expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(data.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
      expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
      expect(data.usage?.completion_tokens).toBeGreaterThan(0);
      expect(response.headers.get('x-keymux-provider')).toBe(provider);
      expect(response.headers.get('x-keymux-model')).toBe(model);
      expect(response.headers.get('x-keymux-fallback-reason')).toBe('quota-exhausted');

      const streamed = await openai.chat.completions
        .create({ model: 'gpt-4.1', messages: chat, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      const models = new Set<string>();
      for await (const chunk of streamed.data) {
        text += chunk.choices[0]?.delta.content ?? '';
        models.add(chunk.model);
        usage = chunk.usage ?? usage;
      }
      expect(text.length).toBeGreaterThan(0);
      expect([...models]).toEqual([model]);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
      expect(streamed.response.headers.get('x-keymux-provider')).toBe(provider);
      expect(streamed.response.headers.get('x-keymux-fallback-reason')).toBe('no-key');

      // What reached the target: its own wire format, the system prompt carried as its own field.
      expect(emulator.ledger.entries({ provider, status: 200 })).toHaveLength(2);
      const sent = tap.seen.filter((r) => r.url.startsWith(path.replace(':generateContent', ':')));
      expect(sent.map((r) => r.url)).toEqual(
        provider === 'anthropic'
          ? [path, path]
          : [path, path.replace(':generateContent', ':streamGenerateContent?alt=sse')],
      );
      const body = JSON.parse(sent[0]?.body ?? '{}');
      if (provider === 'anthropic') {
        expect(body).toMatchObject({ model, system: 'Be brief.', max_tokens: 40, temperature: 0.5 });
        expect(body.messages).toEqual([{ role: 'user', content: 'Hello' }]);
      } else {
        expect(body).toMatchObject({
          systemInstruction: { parts: [{ text: 'Be brief.' }] },
          generationConfig: { maxOutputTokens: 40, temperature: 0.5 },
          contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
        });
      }
      for (const r of sent) for (const key of Object.values(KEYS)) expect(r.body).not.toContain(key);
    },
  );
});

describe('the gateway: a translated stream cut upstream', () => {
  it('reaches the client as an error, never as a clean end of a truncated answer', async () => {
    const { url } = await startStack(
      {
        mux: { fallbacks: { 'gpt-4.1': ['anthropic/claude-sonnet-4-5'] } },
        emulator: {
          faults: [
            { kind: 'quota', model: 'gpt-4.1' },
            { kind: 'cut', provider: 'anthropic', cutAfterChunks: 4 },
          ],
          latency: { kind: 'none' },
        },
      },
      closers,
    );
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    let text = '';
    const read = async (): Promise<void> => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(read()).rejects.toThrow(/stream broke off/);
    for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  });
});

describe('fallbacks in the config file', () => {
  it('reads them as the library options and checks them the same way', async () => {
    const { parseConfig } = await import('../../src/config/file.js');
    const parsed = parseConfig({ fallbacks: { 'gpt-4.1': [GROQ] }, maxWaitBeforeFallbackMs: 500 });
    expect(parsed.options).toMatchObject({ fallbacks: { 'gpt-4.1': [GROQ] }, maxWaitBeforeFallbackMs: 500 });
    expect(() => parseConfig({ contextWindowFallbacks: { a: [1] } })).toThrow(
      /contextWindowFallbacks\["a"\]\[0\]/,
    );
  });
});
