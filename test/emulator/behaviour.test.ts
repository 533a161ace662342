import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  baseUrlFor,
  EmulatorConfigError,
  type EmulatorOptions,
  startEmulator,
} from '../../src/emulator/index.js';
import { emulatorFor, KEY_A, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const messages = [{ role: 'user' as const, content: 'Tell me something.' }];

function post(url: string, path: string, headers: Record<string, string>, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('emulator behaviour', () => {
  it('answers the same way under the same seed, and differently under another', async () => {
    const texts = async (seed: number): Promise<string[]> => {
      const emulator = await emulatorFor(
        { keys: [{ key: KEY_A }], seed, outputTokens: { min: 3, max: 30 } },
        closers,
      );
      const client = new OpenAI({
        apiKey: KEY_A,
        baseURL: baseUrlFor('openai', emulator.url),
        maxRetries: 0,
      });
      const out: string[] = [];
      for (let i = 0; i < 3; i++) {
        const reply = await client.chat.completions.create({ model: 'm', messages });
        out.push(reply.choices[0]?.message.content ?? '');
      }
      return out;
    };
    const [a, b, c] = await Promise.all([texts(1), texts(1), texts(2)]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('caps output at max_tokens and says so', async () => {
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A }], outputTokens: { min: 50, max: 50 } },
      closers,
    );
    const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    const reply = await client.chat.completions.create({ model: 'm', messages, max_tokens: 4 });
    expect(reply.usage?.completion_tokens).toBe(4);
    expect(reply.choices[0]?.finish_reason).toBe('length');
  });

  it('streams with per-token latency', async () => {
    const emulator = await emulatorFor(
      {
        keys: [{ key: KEY_A }],
        latency: { kind: 'per-token', firstTokenMs: 5, perTokenMs: 1 },
        outputTokens: { min: 5, max: 5 },
      },
      closers,
    );
    const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    const chunks = [];
    for await (const chunk of await client.chat.completions.create({ model: 'm', messages, stream: true }))
      chunks.push(chunk);
    expect(chunks.filter((c) => c.choices[0]?.delta.content)).toHaveLength(5);
  });

  it('records the caller request id, never the key, and 404s unknown paths', async () => {
    const clock = testClock();
    const emulator = await emulatorFor({ keys: [{ key: KEY_A, name: 'alpha' }], now: clock.now }, closers);
    await post(
      emulator.url,
      '/v1/chat/completions',
      { authorization: `Bearer ${KEY_A}`, 'x-request-id': 'r-1' },
      { model: 'm', messages },
    );
    await post(
      emulator.url,
      '/v1/chat/completions',
      { authorization: `Bearer ${KEY_A}`, 'x-keymux-job-id': 'job-2', 'x-request-id': 'r-2' },
      { model: 'm', messages },
    );
    const missing = await post(emulator.url, '/v1/completions', { authorization: `Bearer ${KEY_A}` }, {});
    expect(missing.status).toBe(404);
    expect(emulator.ledger.entries().map((e) => e.requestId)).toEqual(['r-1', 'job-2']);
    expect(emulator.ledger.entries()[0]?.startedAt).toBe(clock.now());
    expect(JSON.stringify(emulator.ledger.entries())).not.toContain(KEY_A);
  });

  it('checks requests as the providers do: 400 for a bad body, Anthropic without a version, a key on the wrong provider', async () => {
    const emulator = await emulatorFor({ keys: [{ key: KEY_A, name: 'oa', provider: 'openai' }] }, closers);
    const bad = await post(
      emulator.url,
      '/v1/chat/completions',
      { authorization: `Bearer ${KEY_A}` },
      { model: 'm' },
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const wrongProvider = await post(
      emulator.url,
      '/v1/messages',
      { 'x-api-key': KEY_A, 'anthropic-version': '2023-06-01' },
      {},
    );
    expect(wrongProvider.status).toBe(401);
    const emulator2 = await emulatorFor({ keys: [{ key: KEY_A }] }, closers);
    const noVersion = await post(
      emulator2.url,
      '/v1/messages',
      { 'x-api-key': KEY_A },
      { model: 'c', max_tokens: 5, messages },
    );
    expect(noVersion.status).toBe(400);
  });

  it('takes a Gemini key from ?key= too, and answers 403 without one', async () => {
    const emulator = await emulatorFor({ keys: [{ key: KEY_A, name: 'gem' }] }, closers);
    const body = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };
    const path = '/v1beta/models/gemini-2.0-flash:generateContent';
    expect((await post(emulator.url, `${path}?key=${KEY_A}`, {}, body)).status).toBe(200);
    const anonymous = await post(emulator.url, path, {}, body);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  });

  it('close() ends hung requests and latency waits, and frees the port', async () => {
    const emulator = await startEmulator({
      keys: [{ key: KEY_A }],
      latency: { kind: 'fixed', ms: 60_000 },
      faults: [{ kind: 'hang', count: 1 }],
    });
    const client = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
    const hung = client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    const slow = client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    while (emulator.ledger.size < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await emulator.close();
    expect(await hung).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await slow).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(emulator.ledger.entries().map((e) => e.outcome)).toEqual(['fault', 'client-closed']);
  });

  it('rejects bad options with EmulatorConfigError naming the field', async () => {
    const bad = (options: EmulatorOptions) =>
      startEmulator(options).then(
        () => 'started',
        (e: unknown) => e,
      );
    const noKeys = await bad({ keys: [] });
    expect(noKeys).toBeInstanceOf(EmulatorConfigError);
    expect((noKeys as Error).message).toBe('keys: at least one key is needed');
    expect(((await bad({ keys: [{ key: 'a' }], pools: { x: { rpm: 0 } } })) as Error).message).toMatch(
      /^pools\.x\.rpm: /,
    );
    expect(((await bad({ keys: [{ key: 'sk-dup' }, { key: 'sk-dup' }] })) as Error).message).toBe(
      'keys[1].key: the same key is listed twice',
    );
  });
});
