import type OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MultiplexerOptions } from '../../src/config/options.js';
import { ConfigError, NoAvailableKeyError, RetriesExhaustedError } from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { baseUrlFor, type FaultSpec, type PoolLimits, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { ManualClock } from '../support/manual-clock.js';

/**
 * A key's rate-limit state per model: OpenAI (like Groq and Gemini) limits each model separately within
 * an organization, and a response's headers and 429s are about its model's limits. A limit met by one
 * model must not hold back another model's calls on the same key; quota and auth stay the key's.
 * The emulator counts per model too; both run on one manual clock, so every wait is the clock's.
 */

const KEY = 'sk-permodel-canary-0000000001';
const messages = [{ role: 'user' as const, content: 'hi' }];

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function setup(
  options: { limits?: PoolLimits; faults?: FaultSpec[]; mux?: MultiplexerOptions } = {},
): Promise<{
  clock: ManualClock;
  mux: Multiplexer;
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  ask: (model: string) => Promise<OpenAI.ChatCompletion>;
  events: KeymuxEvent[];
  sent: (model: string, status?: number) => number;
}> {
  const clock = new ManualClock(1_700_000_000_000);
  const emulator = await startEmulator({
    keys: [{ key: KEY, name: 'a' }],
    defaultLimits: options.limits ?? { rpm: 6000, tpm: 10_000_000 },
    faults: options.faults ?? [],
    now: () => clock.now(),
  });
  const mux = new Multiplexer({
    clock,
    random: () => 0.5,
    maxRetries: 5,
    attemptTimeoutMs: Number.POSITIVE_INFINITY,
    ...options.mux,
  });
  mux.addOpenAIKey('a', KEY, { baseURL: baseUrlFor('openai', emulator.url) });
  const events: KeymuxEvent[] = [];
  mux.on('*', (e) => events.push(e));
  closers.push(async () => {
    await mux.close();
    await emulator.close();
  });
  const openai = mux.getOpenAIClient();
  const ask = (model: string) => openai.chat.completions.create({ model, messages });
  const sent = (model: string, status?: number) =>
    emulator.ledger.entries({ model, ...(status === undefined ? {} : { status }) }).length;
  return { clock, mux, emulator, ask, events, sent };
}

/** Until keymux took in a 429 of `model` (not only the emulator sent it). */
async function restsOn(events: readonly KeymuxEvent[], model: string): Promise<void> {
  await vi.waitFor(() =>
    expect(events.some((e) => e.type === 'rate-limited' && e.model === model)).toBe(true),
  );
}

const keyStats = (mux: Multiplexer) => mux.getUsageStats().providers.openai!.keys[0]!;

/** Settles `promise`'s outcome into a flag, so a test can see whether it is still waiting. */
function watch<T>(promise: Promise<T>): { readonly done: boolean; readonly promise: Promise<T> } {
  const state = { done: false, promise };
  promise.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

describe('rate-limit state per model within a key', () => {
  it('a 429 on gpt-4.1 holds back gpt-4.1 calls on the key, not gpt-4.1-mini calls', async () => {
    const { clock, mux, ask, sent, events } = await setup({
      faults: [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 30_000 }],
    });
    const first = watch(ask('gpt-4.1'));
    await restsOn(events, 'gpt-4.1');
    const second = watch(ask('gpt-4.1'));
    // The other model's call goes out at once, on the same key, while gpt-4.1 rests.
    const mini = await ask('gpt-4.1-mini');
    expect(mini.model).toBe('gpt-4.1-mini');
    expect(sent('gpt-4.1')).toBe(1);
    expect([first.done, second.done]).toEqual([false, false]);
    const stats = keyStats(mux);
    expect(stats.state).toBe('healthy');
    expect(stats.cooldownUntil).toBeNull();
    expect(stats.models['gpt-4.1']?.state).toBe('rate-limited');
    expect(stats.models['gpt-4.1']?.cooldownUntil).not.toBeNull();
    expect(stats.models['gpt-4.1-mini']?.state).toBe('ready');
    const limited = events.find((e) => e.type === 'rate-limited');
    expect(limited).toMatchObject({ model: 'gpt-4.1', key: { name: 'a' } });
    // The cooldown, and the pace of the limits learned (6000 rpm: one call per 10 ms).
    await clock.advance(31_000);
    await expect(first.promise).resolves.toMatchObject({ model: 'gpt-4.1' });
    await expect(second.promise).resolves.toMatchObject({ model: 'gpt-4.1' });
    expect(sent('gpt-4.1', 200)).toBe(2);
  });

  it('waiting jobs of a held-back model do not block another model’s jobs (no head-of-line blocking)', async () => {
    const { clock, ask, sent, events } = await setup({
      faults: [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 30_000 }],
    });
    const held = [watch(ask('gpt-4.1'))];
    await restsOn(events, 'gpt-4.1');
    for (let i = 0; i < 4; i++) held.push(watch(ask('gpt-4.1')));
    // Submitted after the four gpt-4.1 jobs, all at once: each is served while those wait, at the pace
    // its model's limits set (the clock moves in 10 ms steps, far short of gpt-4.1's 30 s).
    const minis = Array.from({ length: 4 }, () => watch(ask('gpt-4.1-mini')));
    const start = clock.now();
    await vi.waitFor(
      async () => {
        await clock.advance(10);
        expect(minis.every((m) => m.done)).toBe(true);
      },
      { timeout: 20_000, interval: 5 },
    );
    expect(clock.now() - start).toBeLessThan(30_000);
    const served = await Promise.all(minis.map((m) => m.promise));
    expect(served.map((m) => m.model)).toEqual(Array(4).fill('gpt-4.1-mini'));
    expect(sent('gpt-4.1')).toBe(1);
    expect(held.some((h) => h.done)).toBe(false);
    await clock.advance(31_000);
    await Promise.all(held.map((h) => h.promise));
    expect(sent('gpt-4.1', 200)).toBe(5);
  });

  it('learns limits per model from headers: remaining 0 on gpt-4.1 paces gpt-4.1 only', async () => {
    // 2 rpm per model, one at a time: after one call a model's bucket is empty for 30 s.
    const { clock, mux, ask, sent, events } = await setup({ limits: { rpm: 2, strict: true, burst: 1 } });
    await ask('gpt-4.1');
    const next = watch(ask('gpt-4.1'));
    const mini = await ask('gpt-4.1-mini');
    expect(mini.model).toBe('gpt-4.1-mini');
    expect(next.done).toBe(false);
    expect(sent('gpt-4.1')).toBe(1);
    const stats = keyStats(mux);
    expect(stats.models['gpt-4.1']?.limits.rpm).toMatchObject({ limit: 2, learned: true });
    expect(stats.models['gpt-4.1-mini']?.limits.rpm).toMatchObject({ limit: 2, learned: true });
    const learned = events.filter((e) => e.type === 'limits-learned');
    expect(learned.map((e) => (e as { model?: string }).model).sort()).toEqual(['gpt-4.1', 'gpt-4.1-mini']);
    await clock.advance(30_000);
    await expect(next.promise).resolves.toMatchObject({ model: 'gpt-4.1' });
    // Paced per model, as the emulator counts: not one 429.
    expect(sent('gpt-4.1', 429) + sent('gpt-4.1-mini', 429)).toBe(0);
  });

  it('execute() takes the model as a call option; a call without one keeps the key’s own state', async () => {
    const { mux, events } = await setup({
      faults: [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 30_000 }],
    });
    const call = (model: string, option: string | undefined) =>
      mux.execute(
        'openai',
        (client) => (client as OpenAI).chat.completions.create({ model, messages }),
        option === undefined ? {} : { model: option },
      );
    const held = watch(call('gpt-4.1', 'gpt-4.1'));
    await restsOn(events, 'gpt-4.1');
    await expect(call('gpt-4.1-mini', 'gpt-4.1-mini')).resolves.toMatchObject({ model: 'gpt-4.1-mini' });
    await expect(call('gpt-4o', undefined)).resolves.toMatchObject({ model: 'gpt-4o' });
    expect(held.done).toBe(false);
  });

  it('rejects a bad `model` call option, and `model` on a client', async () => {
    const { mux } = await setup();
    await expect(mux.execute('openai', async () => 1, { model: '' })).rejects.toBeInstanceOf(ConfigError);
    await expect(mux.execute('openai', async () => 1, { model: 42 as never })).rejects.toThrow(/model/);
    expect(() => mux.getOpenAIClient({ model: 'gpt-4.1' } as never)).toThrow(ConfigError);
  });

  it('a quota error still takes the whole key out, for every model', async () => {
    const { mux, ask, sent } = await setup({ faults: [{ kind: 'quota', model: 'gpt-4.1' }] });
    await expect(ask('gpt-4.1')).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(ask('gpt-4.1-mini')).rejects.toBeInstanceOf(NoAvailableKeyError);
    expect(sent('gpt-4.1-mini')).toBe(0);
    expect(keyStats(mux).state).toBe('exhausted');
  });
});

describe('same-provider fallbacks decide on the model’s own readiness', () => {
  it('falls back to a model of the same key at once when its model rests longer than maxWaitBeforeFallbackMs', async () => {
    const { ask, sent, events } = await setup({
      faults: [{ kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 30_000 }],
      mux: { fallbacks: { 'gpt-4.1': ['gpt-4.1-mini'] }, maxWaitBeforeFallbackMs: 2000 },
    });
    const reply = await ask('gpt-4.1');
    expect(reply.model).toBe('gpt-4.1-mini');
    expect(sent('gpt-4.1-mini', 200)).toBe(1);
    const fallbacks = events.flatMap((e) => (e.type === 'fallback' ? [e] : []));
    expect(fallbacks).toMatchObject([
      { from: 'openai/gpt-4.1', to: 'openai/gpt-4.1-mini', reason: 'rate-limited' },
    ]);
  });

  it('waits for its own model when it is ready within maxWaitBeforeFallbackMs, whatever another model of the key owes', async () => {
    const { clock, ask, events } = await setup({
      faults: [
        { kind: 'rate-limit', model: 'gpt-4.1-mini', count: 1, retryAfterMs: 30_000 },
        { kind: 'rate-limit', model: 'gpt-4.1', count: 1, retryAfterMs: 1000 },
      ],
      mux: { fallbacks: { 'gpt-4.1': ['gpt-4.1-mini'] }, maxWaitBeforeFallbackMs: 2000 },
    });
    // gpt-4.1-mini rests 30 s on the key (its call waits it out).
    const mini = watch(ask('gpt-4.1-mini'));
    await restsOn(events, 'gpt-4.1-mini');
    const reply = watch(ask('gpt-4.1'));
    await restsOn(events, 'gpt-4.1');
    await clock.advance(1000);
    await expect(reply.promise).resolves.toMatchObject({ model: 'gpt-4.1' });
    expect(events.some((e) => e.type === 'fallback')).toBe(false);
    expect(mini.done).toBe(false);
    await clock.advance(30_000);
    await expect(mini.promise).resolves.toMatchObject({ model: 'gpt-4.1-mini' });
  });
});
