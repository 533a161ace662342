import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';

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
    const { url } = await startStack(
      {
        mux: { fallbacks: { 'gpt-4.1': ['anthropic/claude-sonnet-4-5'] } },
        emulator: { faults: [{ kind: 'quota', model: 'gpt-4.1' }] },
      },
      closers,
    );
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${GATEWAY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', messages }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.headers.get('x-keymux-provider')).toBe('openai');
    expect(response.headers.get('x-keymux-model')).toBe('gpt-4.1');
    // The Anthropic target was skipped: the gateway relays bytes and does not translate.
    expect(response.headers.get('x-keymux-fallback-reason')).toBe('unsupported');
    const text = await response.text();
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
