import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  type KeymuxError,
  ProviderError,
  RetriesExhaustedError,
  UnsupportedTargetError,
} from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { promptRefusal } from '../../src/providers/classify.js';
import { ManualClock } from '../support/manual-clock.js';
import { KEYS, leaksKey, setupFallbacks } from './support.js';

const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];
const GROQ = 'groq/llama-3.3-70b-versatile';

const fallbacksOf = (events: readonly KeymuxEvent[]) =>
  events.flatMap((e) => (e.type === 'fallback' ? [{ from: e.from, to: e.to, reason: e.reason }] : []));

/** Served requests of one model, as the emulator's ledger has them. */
const servedFor = (entries: readonly { model: string; status: number }[], model: string) =>
  entries.filter((e) => e.model === model && e.status === 200).length;

/**
 * Moves the manual clock until `promise` settles: the emulator answers in real time, keymux waits on the
 * clock. Fails when it has not settled after `rounds` moves (a job that nothing will ever wake).
 */
async function settleOn<T>(clock: ManualClock, promise: Promise<T>, rounds = 200): Promise<T> {
  let done = false;
  const out = promise.finally(() => {
    done = true;
  });
  for (let i = 0; i < rounds && !done; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    await clock.advance(100);
  }
  if (!done) {
    out.catch(() => undefined);
    throw new Error(`still waiting after ${rounds} moves of the clock`);
  }
  return out;
}

describe('fallbacks through the wrapped OpenAI client', () => {
  it('falls back at once when every key of the model is out of quota, and says who served', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { fallbacks: { 'gpt-4.1': [GROQ] } },
      [{ kind: 'quota', model: 'gpt-4.1' }],
    );
    const reply = await mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1', messages });
    expect(reply.model).toBe('llama-3.3-70b-versatile');
    expect(fallbacksOf(events)).toEqual([{ from: 'openai/gpt-4.1', to: GROQ, reason: 'quota-exhausted' }]);
    expect(servedFor(emulator.ledger.entries(), 'llama-3.3-70b-versatile')).toBe(1);
    const models = mux.getUsageStats().models;
    expect(models?.['openai/gpt-4.1']).toEqual({
      requests: 1,
      successes: 0,
      fallbacks: { 'quota-exhausted': 1 },
    });
    expect(models?.[GROQ]).toEqual({ requests: 1, successes: 1, fallbacks: {} });
  });

  it('falls back after the model used up its attempts on 5xx', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { fallbacks: { 'gpt-4.1': [GROQ] }, maxRetries: 2 },
      [{ kind: 'server-error', model: 'gpt-4.1' }],
    );
    const reply = await mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1', messages });
    expect(reply.model).toBe('llama-3.3-70b-versatile');
    expect(fallbacksOf(events)).toEqual([{ from: 'openai/gpt-4.1', to: GROQ, reason: 'transient' }]);
    expect(emulator.ledger.entries({ provider: 'openai' })).toHaveLength(2);
  });

  it('sends a prompt too long for the model to contextWindowFallbacks only', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      {
        fallbacks: { 'gpt-4.1-mini': [GROQ] },
        contextWindowFallbacks: { 'gpt-4.1-mini': ['gpt-4.1'] },
        // gpt-4.1 is priced 5× gpt-4.1-mini (src/spend/price-table.json): allowed here, the price veto has its own test.
        maxFallbackPriceRatio: Number.POSITIVE_INFINITY,
      },
      [{ kind: 'context-window', model: 'gpt-4.1-mini' }],
    );
    const reply = await mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1-mini', messages });
    expect(reply.model).toBe('gpt-4.1');
    expect(fallbacksOf(events)).toEqual([
      { from: 'openai/gpt-4.1-mini', to: 'openai/gpt-4.1', reason: 'context-window' },
    ]);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
  });

  it('throws a context-window error when only `fallbacks` is configured, never trying another model', async () => {
    const { mux, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { fallbacks: { 'gpt-4.1-mini': [GROQ] } },
      [{ kind: 'context-window', model: 'gpt-4.1-mini' }],
    );
    const error = await mux
      .getOpenAIClient()
      .chat.completions.create({ model: 'gpt-4.1-mini', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(400);
    expect(promptRefusal((error as ProviderError).cause)).toBe('context-window');
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
  });

  it('sends a content-policy refusal to contentPolicyFallbacks only', async () => {
    const { mux, events } = await setupFallbacks(
      ['openai', 'groq'],
      { contentPolicyFallbacks: { 'gpt-4.1': [GROQ] } },
      [{ kind: 'content-policy', model: 'gpt-4.1' }],
    );
    const reply = await mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1', messages });
    expect(reply.model).toBe('llama-3.3-70b-versatile');
    expect(fallbacksOf(events)).toEqual([{ from: 'openai/gpt-4.1', to: GROQ, reason: 'content-policy' }]);
  });

  it('throws any other bad request at once, never retried on another model', async () => {
    const { mux, emulator } = await setupFallbacks(['openai', 'groq'], { fallbacks: { 'gpt-4.1': [GROQ] } });
    const error = await mux
      .getOpenAIClient()
      // @ts-expect-error: no messages, a request the provider refuses with 400
      .chat.completions.create({ model: 'gpt-4.1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(400);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
  });

  it("throws the first target's error with the others attached, and no key in any of it", async () => {
    const { mux, events } = await setupFallbacks(
      ['openai', 'groq'],
      { fallbacks: { 'gpt-4.1': [GROQ, 'gpt-4.1-mini'] } },
      [{ kind: 'quota' }],
    );
    const error = (await mux
      .getOpenAIClient()
      .chat.completions.create({ model: 'gpt-4.1', messages })
      .catch((e: unknown) => e)) as KeymuxError;
    expect(error.provider).toBe('openai');
    expect(error.fallbacks.map((f) => [f.target, f.reason])).toEqual([
      [GROQ, 'quota-exhausted'],
      ['openai/gpt-4.1-mini', 'no-key'],
    ]);
    expect((error.fallbacks[0]!.error as KeymuxError).provider).toBe('groq');
    expect(leaksKey(error)).toBe(false);
    expect(leaksKey(events)).toBe(false);
    expect(leaksKey(mux.getUsageStats())).toBe(false);
    expect(String(error.stack)).not.toContain(KEYS.openai);
  });

  it('per client: `fallbacks` replaces the configured list (`[]`: none)', async () => {
    const { mux, emulator } = await setupFallbacks(['openai', 'groq'], { fallbacks: { 'gpt-4.1': [GROQ] } }, [
      { kind: 'quota', model: 'gpt-4.1' },
    ]);
    const none = await mux
      .getOpenAIClient({ fallbacks: [] })
      .chat.completions.create({ model: 'gpt-4.1', messages })
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(Error);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
    const other = await mux
      .getOpenAIClient({ fallbacks: ['groq/llama-3.1-8b-instant'] })
      .chat.completions.create({ model: 'gpt-4.1', messages });
    expect(other.model).toBe('llama-3.1-8b-instant');
  });
});

describe('wait or fall back: the keys’ learned reset times decide (manual clock)', () => {
  it('waits for a key whose reset comes within maxWaitBeforeFallbackMs', async () => {
    const clock = new ManualClock(1_000_000);
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, fallbacks: { 'gpt-4.1': [GROQ] }, maxWaitBeforeFallbackMs: 2000 },
      [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 1000 }],
    );
    const reply = await settleOn(
      clock,
      mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1', messages }),
    );
    expect(reply.model).toBe('gpt-4.1');
    expect(fallbacksOf(events)).toEqual([]);
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
  });

  it('falls back when the earliest reset is further away than maxWaitBeforeFallbackMs', async () => {
    const clock = new ManualClock(1_000_000);
    const { mux, events } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, fallbacks: { 'gpt-4.1': [GROQ] }, maxWaitBeforeFallbackMs: 2000 },
      [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 5000 }],
    );
    const reply = await settleOn(
      clock,
      mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1', messages }),
    );
    expect(reply.model).toBe('llama-3.3-70b-versatile');
    expect(fallbacksOf(events)).toEqual([{ from: 'openai/gpt-4.1', to: GROQ, reason: 'rate-limited' }]);
    expect(clock.now()).toBeLessThan(1_000_000 + 5000);
  });

  it('falls back before sending when every key already rests longer than maxWaitBeforeFallbackMs', async () => {
    const clock = new ManualClock(1_000_000);
    const { mux, events, emulator } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, fallbacks: { 'gpt-4.1': [GROQ] }, maxWaitBeforeFallbackMs: 2000 },
      [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 30_000 }],
    );
    // An earlier call's 429 taught keymux that gpt-4.1 rests 30 s on the key (that call is left once it
    // is told). Only gpt-4.1 rests: OpenAI limits each model apart (test/dispatch/per-model-state.test.ts).
    const left = new AbortController();
    mux.on('rate-limited', () => left.abort());
    await mux
      .getOpenAIClient({ fallbacks: [], signal: left.signal })
      .chat.completions.create({ model: 'gpt-4.1', messages })
      .catch(() => undefined);
    const sent = emulator.ledger.entries({ provider: 'openai' }).length;
    const reply = await settleOn(
      clock,
      mux.getOpenAIClient().chat.completions.create({ model: 'gpt-4.1', messages }),
    );
    expect(reply.model).toBe('llama-3.3-70b-versatile');
    expect(emulator.ledger.entries({ provider: 'openai' })).toHaveLength(sent);
    expect(fallbacksOf(events)).toEqual([{ from: 'openai/gpt-4.1', to: GROQ, reason: 'rate-limited' }]);
  });

  it('jobs waiting for the model leave with it when its last key runs out under a job that falls back', async () => {
    const clock = new ManualClock(1_000_000);
    const { mux, events } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, maxConcurrentRequests: 1, fallbacks: { 'gpt-4.1': [GROQ] } },
      [{ kind: 'quota', model: 'gpt-4.1' }],
    );
    // One slot: the first call is in flight, the other two wait in the pool, with no timer to wake them
    // (only a key's notice can). The first call's quota answer leaves the pool with no key at all.
    const openai = mux.getOpenAIClient();
    const calls = Promise.all(
      [1, 2, 3].map(() => openai.chat.completions.create({ model: 'gpt-4.1', messages })),
    );
    const replies = await settleOn(clock, calls, 100);
    expect(replies.map((r) => r.model)).toEqual(Array(3).fill('llama-3.3-70b-versatile'));
    expect(fallbacksOf(events).map((f) => f.reason)).toEqual(['quota-exhausted', 'no-key', 'no-key']);
  });

  it('the first fallback is sent before the rest of a long wait line has been moved over', async () => {
    const clock = new ManualClock(1_000_000);
    const { mux, events } = await setupFallbacks(
      ['openai', 'groq'],
      { clock, maxConcurrentRequests: 1, queueSize: 100, fallbacks: { 'gpt-4.1': [GROQ] } },
      [{ kind: 'quota', model: 'gpt-4.1' }],
    );
    // Groq's SDK loaded and its key out of its slow start, as in a service that used it before.
    await mux.getGroqClient().chat.completions.create({ model: 'llama-3.3-70b-versatile', messages });
    // A second later its pacing lets it send at once: the first fallback waits for nothing but keymux.
    await clock.advance(1000);
    events.length = 0;
    const openai = mux.getOpenAIClient();
    const calls = Promise.all(
      Array.from({ length: 40 }, () => openai.chat.completions.create({ model: 'gpt-4.1', messages })),
    );
    const replies = await settleOn(clock, calls);
    expect(replies.every((r) => r.model === 'llama-3.3-70b-versatile')).toBe(true);
    // Moving 39 waiting jobs over in one go would put every one of them ahead of the first one's send.
    const order = events.filter(
      (e) => e.type === 'fallback' || (e.type === 'request' && e.key.provider === 'groq'),
    );
    const firstSend = order.findIndex((e) => e.type === 'request');
    expect(order.filter((e) => e.type === 'fallback')).toHaveLength(40);
    expect(firstSend).toBeGreaterThan(0);
    expect(firstSend).toBeLessThan(20);
  });
});

describe('fallback configuration', () => {
  it.each([
    [{ fallbacks: { 'gpt-4.1': 'gpt-4.1-mini' } }, 'fallbacks["gpt-4.1"]'],
    [{ fallbacks: { 'gpt-4.1': ['gpt-4.1-mini', 3] } }, 'fallbacks["gpt-4.1"][1]'],
    [{ fallbacks: { 'gpt-4.1': ['gpt-4.1'] } }, 'fallbacks["gpt-4.1"][0]'],
    [{ contextWindowFallbacks: ['gpt-4.1'] }, 'contextWindowFallbacks'],
    [{ contentPolicyFallbacks: { a: ['has space'] } }, 'contentPolicyFallbacks["a"][0]'],
    [{ maxWaitBeforeFallbackMs: -1 }, 'maxWaitBeforeFallbackMs'],
  ])('refuses %j with a ConfigError at %s', async (options, path) => {
    const { Multiplexer } = await import('../../src/multiplexer.js');
    let error: unknown;
    try {
      new Multiplexer(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe(path);
  });

  it('refuses a bad per-client list at once', async () => {
    const { Multiplexer } = await import('../../src/multiplexer.js');
    const mux = new Multiplexer();
    expect(() => mux.getOpenAIClient({ fallbacks: ['ok', ''] })).toThrow(ConfigError);
    expect(() => mux.getOpenAIClient({ fallbacks: 'gpt-4.1' as never })).toThrow(/fallbacks/);
  });
});

describe('maxFallbackPriceRatio', () => {
  const body = { model: 'claude-haiku-4-5', max_tokens: 50, messages };
  const chain = { fallbacks: { 'claude-haiku-4-5': ['claude-opus-4-5'] } };

  it('skips a target priced over twice the model by default, with reason price, and never sends to it', async () => {
    const { mux, events, emulator } = await setupFallbacks(['anthropic'], chain, [
      { kind: 'quota', model: 'claude-haiku-4-5' },
    ]);
    await expect(mux.getAnthropicClient().messages.create(body)).rejects.toThrow();
    expect(fallbacksOf(events)).toEqual([
      { from: 'anthropic/claude-haiku-4-5', to: 'anthropic/claude-opus-4-5', reason: 'price' },
    ]);
    expect(servedFor(emulator.ledger.entries(), 'claude-opus-4-5')).toBe(0);
  });

  it('lets the call move there when the ratio allows it', async () => {
    const { mux, events } = await setupFallbacks(
      ['anthropic'],
      { ...chain, maxFallbackPriceRatio: Number.POSITIVE_INFINITY },
      [{ kind: 'server-error', model: 'claude-haiku-4-5' }],
    );
    const reply = await mux.getAnthropicClient().messages.create(body);
    expect(reply.model).toBe('claude-opus-4-5');
    expect(fallbacksOf(events).map((f) => f.reason)).toEqual(['transient']);
  });
});

describe('the legacy @google/generative-ai client (its model is named by getGenerativeModel)', () => {
  const prompt = 'Say something about keys.';

  it('falls back to another Gemini model, and the fallback serves the request', async () => {
    const { mux, events, emulator } = await setupFallbacks(
      ['gemini'],
      { contextWindowFallbacks: { 'gemini-2.5-pro': ['gemini-2.5-flash'] } },
      [{ kind: 'context-window', model: 'gemini-2.5-pro' }],
    );
    const model = mux.getGeminiClient().getGenerativeModel({ model: 'models/gemini-2.5-pro' });
    const result = await model.generateContent(prompt);
    expect(result.response.text().length).toBeGreaterThan(0);
    expect(fallbacksOf(events)).toEqual([
      { from: 'gemini/gemini-2.5-pro', to: 'gemini/gemini-2.5-flash', reason: 'context-window' },
    ]);
    expect(servedFor(emulator.ledger.entries(), 'gemini-2.5-flash')).toBe(1);
  });

  it('skips another provider as unsupported, with a typed error, and never sends to it', async () => {
    const { mux, emulator } = await setupFallbacks(
      ['gemini', 'groq'],
      { fallbacks: { 'gemini-2.5-pro': [GROQ] } },
      [{ kind: 'quota', model: 'gemini-2.5-pro' }],
    );
    const model = mux.getGeminiClient().getGenerativeModel({ model: 'gemini-2.5-pro' });
    const error = (await model.generateContent(prompt).catch((e: unknown) => e)) as KeymuxError;
    // The first target's error (its quota answer), typed as without fallbacks.
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.fallbacks.map((f) => [f.target, f.reason])).toEqual([[GROQ, 'unsupported']]);
    expect(error.fallbacks[0]?.error).toBeInstanceOf(UnsupportedTargetError);
    expect(String((error.fallbacks[0]?.error as Error | undefined)?.message)).toContain('getGenAIClient');
    expect(emulator.ledger.entries({ provider: 'groq' })).toHaveLength(0);
    expect(leaksKey(error)).toBe(false);
  });
});
