import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, GATEWAY_TOKEN, KEYS, startStack } from './support.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));
const messages = [{ role: 'user' as const, content: 'Hello.' }];

describe('gateway errors, in each provider’s own shape', () => {
  it('a request the provider refuses (400) passes through: the SDK raises BadRequestError with its words', async () => {
    const { url } = await startStack({}, closers);
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const error = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('at least one message');
  });

  it('models are listed; routes the emulator does not serve reach it at the mapped path (its own 404 comes back)', async () => {
    const { url } = await startStack({}, closers);
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const models = await openai.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const responses = await openai.responses
      .create({ model: 'gpt-4o-mini', input: 'hi' })
      .catch((e: unknown) => e);
    expect(String((responses as Error).message)).toContain('POST /v1/responses');
    const completions = await openai.completions
      .create({ model: 'x', prompt: 'hi' })
      .catch((e: unknown) => e);
    expect(String((completions as Error).message)).toContain('POST /v1/completions');
  });

  it('a wrong or missing gateway token: 401, AuthenticationError in every SDK', async () => {
    const { url, emulator } = await startStack({}, closers);
    const openai = new OpenAI({ apiKey: 'wrong', baseURL: `${url}/v1`, maxRetries: 0 });
    await expect(openai.chat.completions.create({ model: 'm', messages })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    const anthropic = new Anthropic({ apiKey: 'wrong', baseURL: `${url}/anthropic`, maxRetries: 0 });
    await expect(anthropic.messages.create({ model: 'm', max_tokens: 5, messages })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
    const bare = await fetch(`${url}/gemini/v1beta/models/g:generateContent`, { method: 'POST', body: '{}' });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
    expect(emulator.ledger.size).toBe(0);
  });

  it('a saturated pool: the gateway’s own 429 with Retry-After; the SDK raises RateLimitError', async () => {
    const { url, emulator } = await startStack(
      { mux: { maxConcurrentRequests: 1, queueSize: 0 }, emulator: { latency: { kind: 'fixed', ms: 400 } } },
      closers,
    );
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const first = anthropic.messages.create({ model: 'm', max_tokens: 5, messages });
    await vi.waitFor(() => expect(emulator.ledger.size).toBe(1));
    const second = await anthropic.messages
      .create({ model: 'm', max_tokens: 5, messages })
      .withResponse()
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(Anthropic.RateLimitError);
    const error = second as InstanceType<typeof Anthropic.RateLimitError>;
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((error.error as { error: { type: string } }).error.type).toBe('rate_limit_error');
    await expect(first).resolves.toMatchObject({ type: 'message' });
    expect(emulator.ledger.size).toBe(1);
  });

  it('no key can serve: 503, and /readyz says so', async () => {
    const { url, mux } = await startStack({}, closers);
    for (const [provider, keys] of Object.entries(mux.getUsageStats().providers))
      for (const key of keys.keys) mux.disableKey(provider, key.name);
    const ai = new GoogleGenAI({ apiKey: GATEWAY_TOKEN, httpOptions: { baseUrl: `${url}/gemini` } });
    const error = await ai.models
      .generateContent({ model: 'gemini-2.0-flash', contents: 'hi' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('an upstream 429 fails over to another key; limit headers read on the raw path teach the key its limits', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    mux.addKey('openai', { name: 'openai-learner', apiKey: KEYS.groq, baseURL: `${emulator.url}/v1` });
    emulator.addFault({ kind: 'rate-limit', key: 'openaiA', count: 1 });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const keys = mux.getUsageStats().providers.openai?.keys ?? [];
    expect(keys.find((k) => k.name === 'openai-a')?.rateLimited).toBe(1);
    expect(mux.getUsageStats().providers.openai?.successes).toBe(3);
    mux.disableKey('openai', 'openai-a');
    mux.disableKey('openai', 'openai-b');
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const learner = mux.getUsageStats().providers.openai?.keys.find((k) => k.name === 'openai-learner');
    // The request's model: OpenAI limits each model apart, and the raw path files the headers under it.
    expect(learner?.models['gpt-4o-mini']?.limits.rpm).toMatchObject({ limit: 100_000, learned: true });
    expect(learner?.limits.rpm).toBeUndefined();
  });

  it('upstream failures on the raw path classify as the SDKs’ did: each fails over, the key gets its verdict', async () => {
    const { url, mux, emulator } = await startStack({}, closers);
    const failuresOf = (name: string) =>
      mux.getUsageStats().providers.anthropic?.keys.find((k) => k.name === name)?.failuresByClass;
    // A second Anthropic key, so every failure has somewhere to go.
    mux.addKey('anthropic', { name: 'claude-b', apiKey: KEYS.groq, baseURL: emulator.url });
    const anthropic = new Anthropic({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/anthropic`, maxRetries: 0 });
    const ask = () => anthropic.messages.create({ model: 'm', max_tokens: 5, messages });
    for (const [kind, failureClass] of [
      ['overloaded', 'transient'],
      ['reset', 'transient'],
      ['unauthorized', 'auth'],
    ] as const) {
      emulator.addFault({ kind, key: 'anthropic', count: 1 });
      const before = failuresOf('claude-a')?.[failureClass] ?? 0;
      // Round robin: within a few asks one lands on claude-a, meets the fault and moves on; all succeed.
      for (let i = 0; i < 4 && failuresOf('claude-a')?.[failureClass] === before; i++)
        expect((await ask()).type).toBe('message');
      expect(failuresOf('claude-a')?.[failureClass]).toBe(before + 1);
      if (failureClass === 'transient') mux.resetKey('anthropic', 'claude-a'); // ends its backoff
    }
    const claudeA = mux.getUsageStats().providers.anthropic?.keys.find((k) => k.name === 'claude-a');
    expect(claudeA?.state).toBe('unavailable');
  });

  it('an upstream that never answers is given up at the attempt’s deadline; the job fails over', async () => {
    const { url, mux, emulator } = await startStack({ mux: { attemptTimeoutMs: 300 } }, closers);
    emulator.addFault({ kind: 'hang', key: 'openaiA', count: 1 });
    emulator.addFault({ kind: 'hang', key: 'openaiB', count: 1 });
    const openai = new OpenAI({ apiKey: GATEWAY_TOKEN, baseURL: `${url}/v1`, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'm', messages });
    expect(reply.choices[0]?.message.content).toBeTruthy();
    const failures = mux.getUsageStats().providers.openai?.keys.map((k) => k.failuresByClass.transient);
    expect(failures).toEqual([1, 1]);
  });

  it('an upstream stream that stalls is ended after streamIdleTimeoutMs with an error event; a failure of its key, its slot freed', async () => {
    const { url, mux, emulator } = await startStack({ mux: { streamIdleTimeoutMs: 300 } }, closers);
    // After the first text delta: a stall before it would be the attempt's, sent again on a key.
    emulator.addFault({ kind: 'stall', key: 'anthropic', stallAfterChunks: 4, count: 1 });
    const res = await fetch(`${url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 100, messages, stream: true }),
    });
    expect(res.status).toBe(200);
    // The client gets what came, then Anthropic's error event rather than a wait without end.
    const text = await res.text();
    expect(text).toContain('event: message_start');
    expect(text.trimEnd().split('\n\n').at(-1)).toMatch(/^event: error\ndata: \{"type":"error"/);
    await vi.waitFor(() => expect(mux.getUsageStats().providers.anthropic?.inFlight).toBe(0));
    // The stall counts against the key (toward its breaker), not as a success.
    const key = mux.getUsageStats().providers.anthropic?.keys[0];
    expect(key?.failuresByClass.transient).toBe(1);
  });

  it('a client that disconnects mid-stream aborts the upstream call and frees the key’s slot', async () => {
    const { url, mux, emulator } = await startStack(
      {
        emulator: {
          latency: { kind: 'per-token', firstTokenMs: 10, perTokenMs: 100 },
          outputTokens: { min: 30, max: 30 },
        },
      },
      closers,
    );
    const abort = new AbortController();
    const res = await fetch(`${url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': GATEWAY_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', max_tokens: 100, messages, stream: true }),
      signal: abort.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    expect(mux.getUsageStats().providers.anthropic?.inFlight).toBe(1);
    abort.abort();
    await vi.waitFor(() => {
      expect(mux.getUsageStats().providers.anthropic?.inFlight).toBe(0);
      expect(emulator.ledger.entries().at(-1)?.outcome).toBe('client-closed');
    });
  });
});
