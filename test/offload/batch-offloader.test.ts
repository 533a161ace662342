import { afterEach, describe, expect, it } from 'vitest';
import { resolveOffloadOptions } from '../../src/config/offload-options.js';
import { memoryJournal } from '../../src/offload/memory-journal.js';
import { chatRequests, closers, collect, HOUR, restartCollects, setup } from './offload-harness.js';

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

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

  it('a restarted process (same journal) collects the batch instead of submitting it again', () =>
    restartCollects(memoryJournal()));

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
