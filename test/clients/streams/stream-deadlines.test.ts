import { describe, expect, it } from 'vitest';
import { geminiClient, genAIClient, openAIClient } from '../../../src/clients/sdk-clients.js';
import { RetriesExhaustedError, ShutdownError } from '../../../src/core/errors.js';
import type { KeymuxEvent } from '../../../src/core/events.js';
import { StreamTimeoutError } from '../../../src/index.js';
import type { Multiplexer } from '../../../src/multiplexer.js';
import { flush, ManualClock } from '../../support/manual-clock.js';
import { setup } from '../support.js';

const model = 'gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Stream something about keys.' }];
/** The emulator sends the first frame at once, then stalls (its own timer; the emulator's close ends it). */
const STALL_AFTER_FIRST = { latency: { kind: 'per-token', firstTokenMs: 0, perTokenMs: 600_000 } } as const;

/** Success and failure events, in order. */
function outcomes(mux: Multiplexer): KeymuxEvent[] {
  const seen: KeymuxEvent[] = [];
  mux.on('success', (e) => seen.push(e));
  mux.on('failure', (e) => seen.push(e));
  return seen;
}

function inFlight(mux: Multiplexer): number | undefined {
  return mux.getUsageStats().providers.openai?.inFlight;
}

function streamOn(mux: Multiplexer) {
  return openAIClient(mux).chat.completions.create({ model, messages, stream: true });
}

describe('streamIdleTimeoutMs', () => {
  it('releases a stream never read, without blaming its key; reading it later throws why', async () => {
    const clock = new ManualClock();
    const { mux } = await setup('openai', 'openai', {}, { clock, maxConcurrentRequests: 1 }, 1);
    const seen = outcomes(mux);
    const stream = await streamOn(mux);
    expect(inFlight(mux)).toBe(1);
    await clock.advance(59_999);
    expect(inFlight(mux)).toBe(1);
    await clock.advance(1);
    expect(inFlight(mux)).toBe(0);
    expect(seen.map((e) => e.type)).toEqual(['success']);
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamTimeoutError);
    expect(error).toMatchObject({ deadline: 'idle', timeoutMs: 60_000 });
    // The key took no blame: the next call runs on it at once.
    await openAIClient(mux).chat.completions.create({ model, messages });
  });

  it('ends a stream stalled upstream with a read pending: a transient failure of its key', async () => {
    const clock = new ManualClock();
    const { mux } = await setup(
      'openai',
      'openai',
      STALL_AFTER_FIRST,
      { clock, streamIdleTimeoutMs: 5000 },
      1,
    );
    const seen = outcomes(mux);
    const stream = await streamOn(mux);
    const reader = stream[Symbol.asyncIterator]();
    expect((await reader.next()).done).toBe(false);
    const pending = reader.next();
    pending.catch(() => undefined);
    await flush();
    await clock.advance(4999);
    expect(inFlight(mux)).toBe(1);
    await clock.advance(1);
    await expect(pending).rejects.toBeInstanceOf(StreamTimeoutError);
    expect(inFlight(mux)).toBe(0);
    expect(seen).toEqual([expect.objectContaining({ type: 'failure', failureClass: 'transient' })]);
  });

  it('restarts with every chunk the reader gets', async () => {
    const clock = new ManualClock();
    const { mux } = await setup('openai', 'openai', {}, { clock, streamIdleTimeoutMs: 1000 }, 1);
    const seen = outcomes(mux);
    const reader = (await streamOn(mux))[Symbol.asyncIterator]();
    let chunks = 0;
    for (let next = await reader.next(); !next.done; next = await reader.next()) {
      chunks++;
      await clock.advance(600);
    }
    expect(chunks).toBeGreaterThan(2);
    expect(seen.map((e) => e.type)).toEqual(['success']);
  });
});

describe('streamIdleTimeoutMs with @google/generative-ai, which reads its stream itself for `response`', () => {
  it('a caller awaiting only `response` of a stalled stream: a transient failure after the deadline', async () => {
    const clock = new ManualClock();
    const { mux } = await setup('gemini', 'gemini', STALL_AFTER_FIRST, { clock }, 1);
    const seen = outcomes(mux);
    const model = geminiClient(mux).getGenerativeModel({ model: 'gemini-2.0-flash' });
    const { response } = await model.generateContentStream('Stream something about keys.');
    const whole = response.catch((e: unknown) => e);
    await flush();
    await clock.advance(60_000);
    expect(await whole).toBeInstanceOf(Error);
    await expect.poll(() => mux.getUsageStats().providers.gemini?.inFlight).toBe(0);
    expect(seen).toEqual([expect.objectContaining({ type: 'failure', failureClass: 'transient' })]);
  });

  it('a stream not read but arriving in full is no failure: its chunks wait for the caller', async () => {
    const clock = new ManualClock();
    const { mux } = await setup('gemini', 'gemini', {}, { clock }, 1);
    const seen = outcomes(mux);
    const model = geminiClient(mux).getGenerativeModel({ model: 'gemini-2.0-flash' });
    const { stream, response } = await model.generateContentStream('Stream something about keys.');
    const text = (await response).text();
    await clock.advance(120_000);
    let read = '';
    for await (const chunk of stream) read += chunk.text();
    expect(read).toBe(text);
    expect(seen.map((e) => e.type)).toEqual(['success']);
  });
});

describe('streamFirstByteTimeoutMs', () => {
  it('aborts an attempt whose response never comes, counts it against the key and fails over', async () => {
    const clock = new ManualClock();
    const { emulator, mux } = await setup('openai', 'openai', {}, { clock }, 2);
    emulator.addFault({ kind: 'hang', key: 'a', count: 1 });
    const seen = outcomes(mux);
    const opened = openAIClient(mux, 'round-robin').chat.completions.create({
      model,
      messages,
      stream: true,
    });
    await expect.poll(() => emulator.ledger.size).toBe(1);
    await clock.advance(30_000);
    let chunks = 0;
    for await (const _ of await opened) chunks++;
    expect(chunks).toBeGreaterThan(0);
    expect(emulator.ledger.entries().map((e) => e.key)).toEqual(['a', 'b']);
    expect(seen[0]).toMatchObject({ type: 'failure', key: { name: 'a' }, failureClass: 'transient' });
    expect(seen[0]?.type === 'failure' && seen[0].message).toContain('first-byte');
  });

  it('also covers the wait from the response headers to the first chunk', async () => {
    const clock = new ManualClock();
    const stallFirst = { latency: { kind: 'per-token', firstTokenMs: 600_000, perTokenMs: 0 } } as const;
    const { mux } = await setup('openai', 'openai', stallFirst, { clock, maxRetries: 1 }, 1);
    const opened = streamOn(mux).catch((e: unknown) => e);
    await flush();
    await clock.advance(30_000);
    const error = await opened;
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).cause).toMatchObject({ name: 'StreamTimeoutError', deadline: 'first-byte' });
    expect(inFlight(mux)).toBe(0);
  });

  it('does not apply to a call that is not a stream', async () => {
    const clock = new ManualClock();
    const slow = { latency: { kind: 'fixed', ms: 300 } } as const;
    const { mux } = await setup('openai', 'openai', slow, { clock, streamFirstByteTimeoutMs: 1 }, 1);
    const done = openAIClient(mux).chat.completions.create({ model, messages });
    await clock.advance(10);
    expect((await done).object).toBe('chat.completion');
  });
});

describe('close() ends the streams of the wrapped clients', () => {
  it('a stream never read, and one mid-read, give their slots back; neither blames the key', async () => {
    // Two keys, one stream each: a key's first call holds its slow start (one call at a time).
    const { mux } = await setup('openai', 'openai', STALL_AFTER_FIRST, { strategy: 'round-robin' }, 2);
    const seen = outcomes(mux);
    await streamOn(mux);
    const reader = (await streamOn(mux))[Symbol.asyncIterator]();
    await reader.next();
    const pending = reader.next();
    pending.catch(() => undefined);
    expect(inFlight(mux)).toBe(2);
    await mux.close();
    expect(inFlight(mux)).toBe(0);
    await expect(pending).rejects.toBeInstanceOf(ShutdownError);
    expect(seen.filter((e) => e.type === 'failure')).toEqual([]);
  });
});

describe('a stream left early', () => {
  it('by break, or by its controller between reads, is no failure and frees the slot', async () => {
    const { mux } = await setup('openai', 'openai', STALL_AFTER_FIRST, {}, 1);
    const seen = outcomes(mux);
    for await (const _ of await streamOn(mux)) break;
    const stream = await streamOn(mux);
    stream.controller.abort();
    await expect.poll(() => inFlight(mux)).toBe(0);
    expect(seen.map((e) => e.type)).toEqual(['success', 'success']);
  });

  it('by the caller’s own signal while not reading (@google/genai, no controller): the slot is freed at once', async () => {
    const { mux } = await setup('gemini', 'google-genai', STALL_AFTER_FIRST, {}, 1);
    const seen = outcomes(mux);
    const caller = new AbortController();
    const stream = await genAIClient(mux).models.generateContentStream({
      model: 'gemini-2.0-flash',
      contents: 'Stream something about keys.',
      config: { abortSignal: caller.signal },
    });
    expect(mux.getUsageStats().providers.gemini?.inFlight).toBe(1);
    caller.abort(new Error('enough'));
    await expect.poll(() => mux.getUsageStats().providers.gemini?.inFlight).toBe(0);
    await expect(stream.next()).rejects.toThrow('enough');
    expect(seen.map((e) => e.type)).toEqual(['success']);
  });
});
