import { afterEach, describe, expect, it } from 'vitest';
import type { MultiplexerOptions } from '../../src/config/options.js';
import { BudgetExceededError, ConfigError, ShutdownError } from '../../src/core/errors.js';
import { baseUrlFor, type EmulatorOptions, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { memoryJournal } from '../../src/offload/memory-journal.js';
import { builtinAdapters } from '../../src/providers/index.js';
import { ManualClock } from '../support/manual-clock.js';

const HOUR = 3_600_000;
const KEYS = { openai: 'sk-offload-canary-openai-01', anthropic: 'sk-ant-offload-canary-0002' } as const;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A multiplexer with batch offload on the emulator; both on one manual clock. */
async function setup(options: MultiplexerOptions = {}, batches: EmulatorOptions['batches'] = {}) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const emulator = await startEmulator({
    keys: [
      { key: KEYS.openai, name: 'openai', provider: 'openai' },
      { key: KEYS.anthropic, name: 'anthropic', provider: 'anthropic' },
    ],
    defaultLimits: { rpm: 10_000, tpm: 10_000_000 },
    now: () => clock.now(),
    batches: { validatingMs: 60_000, processingMs: HOUR, finalizingMs: 60_000, ...batches },
  });
  /** A multiplexer on this emulator and clock (a second one: the same program restarted). */
  function muxOf(more: MultiplexerOptions = {}): Multiplexer {
    const mux = new Multiplexer({
      clock,
      attemptTimeoutMs: 30 * 24 * HOUR,
      batchOffload: { minDeadline: '1h', maxWait: '5m', maxRequests: 1000 },
      prices: { 'gpt-emu': { input: 2, output: 8, batchInput: 1, batchOutput: 4 } },
      ...options,
      ...more,
    });
    for (const p of ['openai', 'anthropic'] as const) {
      mux.registerProvider(builtinAdapters().find((a) => a.name === p)!);
      mux.addKey(p, {
        name: p,
        apiKey: KEYS[p],
        baseURL: baseUrlFor(p, emulator.url),
        limits: { rpm: 10_000 },
      });
    }
    closers.push(() => mux.close());
    return mux;
  }
  const mux = muxOf();
  closers.push(() => emulator.close());
  /** Real time for loopback HTTP, then the clock to its next timer, until `done()`. */
  async function runUntil(done: () => boolean): Promise<void> {
    for (let i = 0; i < 5000; i++) {
      await new Promise((r) => setTimeout(r, 3));
      if (done()) return;
      const next = clock.nextAt();
      const before = clock.pending;
      await new Promise((r) => setTimeout(r, 3));
      if (next !== undefined && clock.nextAt() === next && clock.pending === before)
        await clock.advance(Math.max(0, next - clock.now()));
    }
    throw new Error('runUntil: never done');
  }
  return { clock, emulator, mux, muxOf, runUntil };
}

function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

const messages = [{ role: 'user' as const, content: 'Summarise this later.' }];
const chats = (e: Awaited<ReturnType<typeof setup>>['emulator']) =>
  e.ledger.entries().filter((x) => x.endpoint === 'chat');

describe('batch offload through the wrapped clients', () => {
  it('a call with a far deadline resolves from a batch with the SDK’s response; costs at batch prices', async () => {
    const { emulator, mux, runUntil } = await setup();
    const openai = mux.getOpenAIClient({ deadline: '24h' });
    const calls = [0, 1, 2].map(() =>
      track(openai.chat.completions.create({ model: 'gpt-emu', messages, max_tokens: 50 })),
    );
    await runUntil(() => calls.every((c) => c.done));
    for (const c of calls) {
      expect(c.error).toBeUndefined();
      expect(c.value?.object).toBe('chat.completion');
      expect(c.value?.choices[0]?.message?.content).toEqual(expect.any(String));
    }
    expect(chats(emulator)).toHaveLength(0);
    expect(emulator.batches()).toHaveLength(1);
    expect(mux.offloadStats).toMatchObject({ offered: 3, batches: 1, servedByBatch: 3, resentSync: 0 });
    // Priced at batchInput 1 / batchOutput 4 per million, not input 2 / output 8.
    const row = mux.getUsageStats().spend?.costs.find((r) => r.model === 'gpt-emu');
    const usage = calls.reduce(
      (sum, c) => ({
        input: sum.input + (c.value?.usage?.prompt_tokens ?? 0),
        output: sum.output + (c.value?.usage?.completion_tokens ?? 0),
      }),
      { input: 0, output: 0 },
    );
    expect(row?.calls).toBe(3);
    // Canary: no key value in the stats, the offload figures or the journal (key names only).
    const seen = JSON.stringify([mux.getUsageStats(), mux.offloadStats, emulator.batches()]);
    expect(seen).not.toContain(KEYS.openai);
    expect(row?.usd).toBeCloseTo((usage.input * 1 + usage.output * 4) / 1e6, 12);
  });

  it('Anthropic messages go to Message Batches; a near deadline, a stream or no deadline go now', async () => {
    const { emulator, mux, runUntil } = await setup();
    const anthropic = mux.getAnthropicClient({ deadline: '24h' });
    const far = track(anthropic.messages.create({ model: 'claude-emu', max_tokens: 50, messages }));
    const near = track(
      mux.getOpenAIClient({ deadline: '30m' }).chat.completions.create({ model: 'gpt-emu', messages }),
    );
    const none = track(mux.getOpenAIClient().chat.completions.create({ model: 'gpt-emu', messages }));
    const streamed = track(
      (async () => {
        const stream = await mux
          .getOpenAIClient({ deadline: '24h' })
          .chat.completions.create({ model: 'gpt-emu', messages, stream: true });
        let chunks = 0;
        for await (const _ of stream) chunks++;
        return chunks;
      })(),
    );
    await runUntil(() => far.done && near.done && none.done && streamed.done);
    expect(streamed.value).toBeGreaterThan(0);
    expect(far.value?.type).toBe('message');
    expect(near.value?.object).toBe('chat.completion');
    expect(none.value?.object).toBe('chat.completion');
    expect(chats(emulator)).toHaveLength(3);
    expect(emulator.batches().map((b) => b.provider)).toEqual(['anthropic']);
  });

  it('budgets reserve for offloaded calls: one over the budget is refused at once', async () => {
    const { mux, runUntil } = await setup({ budgets: [{ name: 'small', usd: 0.0001 }] });
    const openai = mux.getOpenAIClient({ deadline: '24h' });
    // Worst case of each: 20 000 output tokens × $8 per million = $0.16, above the budget.
    const big = track(openai.chat.completions.create({ model: 'gpt-emu', messages, max_tokens: 20_000 }));
    await runUntil(() => big.done);
    expect(big.error).toBeInstanceOf(BudgetExceededError);
    expect(mux.offloadStats?.batches).toBe(0);
  });

  it('bad batchOffload options fail at once with a ConfigError naming the field', () => {
    expect(() => new Multiplexer({ batchOffload: { maxWait: 'soon' } })).toThrow(ConfigError);
    expect(() => new Multiplexer({ batchOffload: { maxRequests: 0 } })).toThrow(/batchOffload\.maxRequests/);
    expect(() => new Multiplexer({ batchOffload: { minDeadline: '10m', maxWait: '5m' } })).toThrow(
      /batchOffload\.minDeadline/,
    );
  });

  it('offloaded calls settle for observers: job-settled via batch, stats per provider/model', async () => {
    const { mux, runUntil } = await setup({ budgets: [{ name: 'team-a', tag: 'team-a', usd: 0.0001 }] });
    const settled: Array<{ jobId: number; ok: boolean; via?: string | undefined }> = [];
    mux.on('job-settled', ({ jobId, ok, via }) => settled.push({ jobId, ok, via }));
    const openai = mux.getOpenAIClient({ deadline: '24h' });
    const served = [0, 1].map(() => track(openai.chat.completions.create({ model: 'gpt-emu', messages })));
    // The tag's budget covers its offloaded calls: this one's worst case ($0.16) is over it.
    const refused = track(
      mux
        .getOpenAIClient({ deadline: '24h', tag: 'team-a' })
        .chat.completions.create({ model: 'gpt-emu', messages, max_tokens: 20_000 }),
    );
    await runUntil(() => served.every((c) => c.done) && refused.done);
    expect(served.map((c) => c.value?.object)).toEqual(['chat.completion', 'chat.completion']);
    expect(refused.error).toBeInstanceOf(BudgetExceededError);
    expect(settled.filter((e) => e.via === 'batch').map((e) => e.ok)).toEqual([false, true, true]);
    // Each its own job id (the batch's control calls, upload, create and polls, are jobs of their own).
    expect(new Set(settled.filter((e) => e.via === 'batch').map((e) => e.jobId)).size).toBe(3);
    const offload = mux.getUsageStats().offload;
    expect(offload).toMatchObject({
      offered: 3,
      batches: 1,
      servedByBatch: 2,
      resentSync: 0,
      openBatches: 0,
    });
    expect(offload?.models).toEqual({
      'openai/gpt-emu': { requests: 3, successes: 2, failures: 1, servedByBatch: 2, resentSync: 0 },
    });
  });

  it('a line re-sent synchronously settles once, as its synchronous job', async () => {
    const { emulator, mux, runUntil } = await setup({}, { failRate: 1 });
    const settled: Array<string | undefined> = [];
    mux.on('job-settled', (e) => settled.push(e.via));
    const openai = mux.getOpenAIClient({ deadline: '24h' });
    const calls = [0, 1].map(() => track(openai.chat.completions.create({ model: 'gpt-emu', messages })));
    await runUntil(() => calls.every((c) => c.done));
    expect(calls.map((c) => c.value?.object)).toEqual(['chat.completion', 'chat.completion']);
    // The lines were answered by two synchronous jobs (no `via`); none settled as served by the batch.
    expect(settled).not.toContain('batch');
    expect(chats(emulator)).toHaveLength(2);
    expect(mux.getUsageStats().offload?.models['openai/gpt-emu']).toEqual({
      requests: 2,
      successes: 2,
      failures: 0,
      servedByBatch: 0,
      resentSync: 2,
    });
  });

  it('a call repeated with its idempotencyKey after a restart collects its batch line, not a new batch', async () => {
    const journal = memoryJournal();
    const { emulator, mux, muxOf, runUntil } = await setup({
      batchOffload: { minDeadline: '1h', maxWait: '5m', journal },
    });
    const body = { model: 'gpt-emu', messages, max_tokens: 40 };
    const first = track(
      mux.getOpenAIClient({ deadline: '24h' }).chat.completions.create(body, { idempotencyKey: 'report-7' }),
    );
    await runUntil(() => emulator.batches().length === 1);
    await mux.close();
    await runUntil(() => first.done);
    expect(first.error).toBeInstanceOf(ShutdownError);
    // The same program, started again: the same call, twice, with the same key.
    const again = muxOf().getOpenAIClient({ deadline: '24h' });
    const repeats = [0, 1].map(() =>
      track(again.chat.completions.create(body, { idempotencyKey: 'report-7' })),
    );
    await runUntil(() => repeats.every((c) => c.done));
    expect(repeats.map((c) => c.value?.object)).toEqual(['chat.completion', 'chat.completion']);
    expect(repeats[0]?.value).toEqual(repeats[1]?.value);
    expect(emulator.batches()).toHaveLength(1);
    expect(chats(emulator)).toHaveLength(0);
  });
});
