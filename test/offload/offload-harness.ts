/** The offload tests' set-up: an offloader on the emulator, on a manual clock both share. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { expect } from 'vitest';
import { resolveOffloadOptions } from '../../src/config/offload-options.js';
import { ShutdownError } from '../../src/core/errors.js';
import type { OffloadJournal } from '../../src/core/offload-journal.js';
import { baseUrlFor, type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.js';
import { BatchOffloader, type OffloadCall, type OffloadHost } from '../../src/offload/batch-offloader.js';
import { memoryJournal } from '../../src/offload/memory-journal.js';
import { ManualClock } from '../support/manual-clock.js';

export const HOUR = 3_600_000;
const KEY = 'sk-offload-test-aaaaaaaaaaaa';
/** Closed by each test file's afterEach. */
export const closers: Array<() => Promise<void>> = [];

/** An offloader on the emulator, on a manual clock the emulator shares; counts its HTTP in flight. */
export async function setup(
  batches: EmulatorOptions['batches'] = {},
  journal: OffloadJournal = memoryJournal(),
) {
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
  const counted: OffloadJournal = {
    save: (b) => io(journal.save(b)),
    find: (id) => io(journal.find(id)),
    remove: (b) => io(journal.remove(b)),
    list: () => io(journal.list()),
  };
  const host: OffloadHost = {
    clock,
    journal: counted,
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

export function collect(promises: Promise<unknown>[]) {
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

export const chatRequests = (emulator: Emulator) =>
  emulator.ledger.entries().filter((e) => e.endpoint === 'chat');

/** Submits 3 lines, closes, then a new offloader on the same journal collects them: one batch, no sync call. */
export async function restartCollects(journal: OffloadJournal): Promise<void> {
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
}
