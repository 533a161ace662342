import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveOffloadOptions } from '../../src/config/offload-options.js';
import { ShutdownError } from '../../src/core/errors.js';
import type { OffloadJournal } from '../../src/core/offload-journal.js';
import { baseUrlFor, type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.js';
import { BatchOffloader, type OffloadCall, type OffloadHost } from '../../src/offload/batch-offloader.js';
import { memoryJournal } from '../../src/offload/memory-journal.js';
import { ManualClock } from '../support/manual-clock.js';

const HOUR = 3_600_000;
const KEY = 'sk-offload-test-aaaaaaaaaaaa';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** An offloader on the emulator, on a manual clock the emulator shares; counts its HTTP in flight. */
async function setup(batches: EmulatorOptions['batches'] = {}, journal: OffloadJournal = memoryJournal()) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const emulator = await startEmulator({
    keys: [{ key: KEY, name: 'a' }],
    now: () => clock.now(),
    batches: { validatingMs: 60_000, processingMs: HOUR, finalizingMs: 60_000, ...batches },
  });
  closers.push(() => emulator.close());
  const openai = new OpenAI({ apiKey: KEY, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
  const anthropic = new Anthropic({
    apiKey: KEY,
    baseURL: baseUrlFor('anthropic', emulator.url),
    maxRetries: 0,
  });
  let inFlight = 0;
  const io = <T>(work: Promise<T>): Promise<T> => {
    inFlight++;
    return work.finally(() => inFlight--);
  };
  const charges = { reserved: 0, settled: 0, released: 0 };
  const host: OffloadHost = {
    clock,
    journal,
    onKey: (provider, _key, fn) => io(fn(provider === 'openai' ? openai : anthropic, 'a')),
    charge: () => {
      charges.reserved++;
      return { settle: () => void charges.settled++, release: () => void charges.released++ };
    },
  };
  const options = resolveOffloadOptions({
    minDeadline: '1h',
    maxWait: '5m',
    maxRequests: 100,
    resendBefore: '15m',
  })!;
  const make = (o = options) => new BatchOffloader(o, host);
  const offloader = make();
  closers.push(() => offloader.close());
  const call = (i: number, deadlineAt: number, customId?: string): OffloadCall => {
    const body = { model: 'gpt-emu', messages: [{ role: 'user', content: `q${i}` }], max_tokens: 20 };
    return {
      provider: 'openai',
      model: 'gpt-emu',
      body,
      deadlineAt,
      customId,
      sync: () => io(openai.chat.completions.create(body as never)),
    };
  };
  /** Lets HTTP finish, then moves the clock to its next timer, until `done()`. */
  async function runUntil(done: () => boolean): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setImmediate(r));
      if (inFlight > 0) continue;
      if (done()) return;
      const next = clock.nextAt();
      if (next === undefined) throw new Error('runUntil: nothing left to wait for');
      await clock.advance(Math.max(0, next - clock.now()));
    }
    throw new Error('runUntil: never done');
  }
  return { clock, emulator, offloader, make, call, runUntil, charges, openai };
}

function collect(promises: Promise<unknown>[]) {
  const settled: { value?: unknown; error?: unknown }[] = promises.map(() => ({}));
  for (const [i, p] of promises.entries()) {
    p.then(
      (value) => {
        settled[i] = { value };
      },
      (error: unknown) => {
        settled[i] = { error };
      },
    );
  }
  return { settled, done: () => settled.every((s) => 'value' in s || 'error' in s) };
}

const chatRequests = (emulator: Emulator) => emulator.ledger.entries().filter((e) => e.endpoint === 'chat');

describe('BatchOffloader against the emulator (manual clock)', () => {
  it('collects calls for maxWait, submits one batch, resolves each with the chat completion a sync call returns', async () => {
    const { clock, emulator, offloader, call, runUntil, charges } = await setup();
    const deadline = clock.now() + 24 * HOUR;
    expect(offloader.accepts('openai', deadline, false)).toBe(true);
    const calls = [0, 1, 2, 3, 4].map((i) => offloader.offload(call(i, deadline)));
    const { settled, done } = collect(calls);
    await runUntil(done);
    expect(emulator.batches()).toHaveLength(1);
    expect(emulator.batches()[0]?.customIds).toHaveLength(5);
    expect(chatRequests(emulator)).toHaveLength(0);
    for (const s of settled) expect(s.value).toMatchObject({ object: 'chat.completion', model: 'gpt-emu' });
    expect(offloader.stats).toEqual({ offered: 5, batches: 1, servedByBatch: 5, resentSync: 0 });
    expect(charges).toEqual({ reserved: 5, settled: 5, released: 0 });
    expect(offloader.openBatches).toBe(0);
  });

  it('re-sends failed and expired lines synchronously; every caller answered once', async () => {
    const { clock, emulator, offloader, call, runUntil } = await setup({ failRate: 0.2, expireRate: 0.2 });
    const deadline = clock.now() + 24 * HOUR;
    const { settled, done } = collect(
      Array.from({ length: 30 }, (_, i) => offloader.offload(call(i, deadline))),
    );
    await runUntil(done);
    const { servedByBatch, resentSync } = offloader.stats;
    expect(resentSync).toBeGreaterThan(0);
    expect(servedByBatch + resentSync).toBe(30);
    expect(chatRequests(emulator)).toHaveLength(resentSync);
    for (const s of settled) expect(s.value).toMatchObject({ object: 'chat.completion' });
    expect(clock.now()).toBeLessThan(deadline);
  });

  it('sends a line still pending when its deadline comes near synchronously, in time, and cancels the batch', async () => {
    const { clock, emulator, offloader, call, runUntil } = await setup({ processingMs: 30 * HOUR });
    const deadline = clock.now() + 2 * HOUR;
    const { settled, done } = collect([0, 1].map((i) => offloader.offload(call(i, deadline))));
    await runUntil(done);
    expect(settled.every((s) => (s.value as { object?: string }).object === 'chat.completion')).toBe(true);
    expect(clock.now()).toBeLessThanOrEqual(deadline - 15 * 60_000);
    expect(offloader.stats.resentSync).toBe(2);
    await runUntil(() => offloader.openBatches === 0);
    expect(emulator.batches()[0]?.cancelled).toBe(true);
  });

  it('a restarted process (same journal) collects the batch instead of submitting it again', async () => {
    const journal = memoryJournal();
    const { clock, emulator, offloader, make, call, runUntil } = await setup({}, journal);
    const deadline = clock.now() + 24 * HOUR;
    const first = collect([0, 1, 2].map((i) => offloader.offload(call(i, deadline, `line-${i}`))));
    await runUntil(() => offloader.openBatches === 1);
    await offloader.close();
    await runUntil(first.done);
    expect(first.settled.every((s) => s.error instanceof ShutdownError)).toBe(true);
    expect(await journal.list()).toHaveLength(1);
    const again = make();
    closers.push(() => again.close());
    const second = collect([0, 1, 2].map((i) => again.offload(call(i, deadline, `line-${i}`))));
    await runUntil(second.done);
    expect(second.settled.map((s) => (s.value as { object?: string }).object)).toEqual(
      Array(3).fill('chat.completion'),
    );
    expect(emulator.batches()).toHaveLength(1);
    expect(chatRequests(emulator)).toHaveLength(0);
    expect(again.stats.batches).toBe(0);
    expect(await journal.list()).toHaveLength(0);
  });

  it('never offloads a call whose deadline is too near, a stream, or a provider without a Batch API', async () => {
    const { clock, offloader } = await setup();
    expect(offloader.accepts('openai', clock.now() + HOUR - 1, false)).toBe(false);
    expect(offloader.accepts('openai', clock.now() + 24 * HOUR, true)).toBe(false);
    expect(offloader.accepts('openai', undefined, false)).toBe(false);
    expect(offloader.accepts('groq', clock.now() + 24 * HOUR, false)).toBe(false);
  });

  it('submits as soon as maxRequests gather; the rest after maxWait', async () => {
    const { clock, emulator, make, call, runUntil } = await setup();
    const options = resolveOffloadOptions({ maxRequests: 3 })!;
    expect(options.maxRequests).toBe(3);
    const offloader = make(options);
    closers.push(() => offloader.close());
    const deadline = clock.now() + 24 * HOUR;
    const { done } = collect(Array.from({ length: 7 }, (_, i) => offloader.offload(call(i, deadline))));
    await runUntil(done);
    expect(emulator.batches().map((b) => b.customIds.length)).toEqual([3, 3, 1]);
  });
});
