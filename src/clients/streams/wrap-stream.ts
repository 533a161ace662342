import type { TokenUsage } from '../../core/events.js';
import type { JobContext } from '../../core/job-context.js';
import { attemptTraceOf } from '../../core/telemetry.js';
import { maxBuckets } from '../../core/usage-buckets.js';
import { pumpedStream } from './pumped-stream.js';
import { opensOnly } from './stream-start.js';
import { EmptyStreamError } from './stream-timeout-error.js';
import { type StreamGuard, StreamWatch } from './stream-watch.js';

type ReadUsage = (chunk: unknown) => TokenUsage | undefined;

/** Returned when a call's value is not a stream: the caller keeps the value as it is. */
export const NOT_A_STREAM: unique symbol = Symbol('not a stream');

interface Tracker {
  readonly see: (chunk: unknown) => void;
  /** The stream ended, or was left or stopped by the caller: no failure of the key. */
  readonly end: () => void;
  /** The stream broke (cut, provider error, stall): a failure of the key. */
  readonly fail: (error: unknown) => void;
  /** What the key's slot is held on: resolves on `end`, rejects with the error on `fail`. */
  readonly done: Promise<void>;
}

/** Usage counts are cumulative across events (message_start, message_delta, usageMetadata): keep the max. */
function track(job: JobContext, readUsage: ReadUsage | undefined, onEnd: (() => void) | undefined): Tracker {
  let usage: TokenUsage | undefined;
  let settle: (error?: { readonly error: unknown }) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = (failed) => (failed ? reject(failed.error) : resolve());
  });
  let ended = false;
  const trace = attemptTraceOf(job);
  const finish = (failed?: { readonly error: unknown }): void => {
    if (ended) return;
    ended = true;
    if (usage) job.reportUsage(usage);
    onEnd?.();
    settle(failed);
  };
  return {
    done,
    see(chunk) {
      trace?.response(chunk);
      const u = readUsage?.(chunk);
      if (!u) return;
      const buckets = maxBuckets(usage?.buckets, u.buckets);
      const inputTokens = Math.max(usage?.inputTokens ?? 0, u.inputTokens);
      const outputTokens = Math.max(usage?.outputTokens ?? 0, u.outputTokens);
      usage = buckets ? { inputTokens, outputTokens, buckets } : { inputTokens, outputTokens };
    },
    end: () => finish(),
    fail: (error) => finish({ error }),
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Yields the chunk already pulled, then the rest, under the watch's deadlines. However iteration stops
 * (end, break, error), the tracker ends (a failure was already told) and the SDK's request is stopped.
 */
async function* replay(
  head: readonly unknown[],
  first: IteratorResult<unknown>,
  rest: AsyncIterator<unknown>,
  tracker: Tracker,
  watch: StreamWatch,
): AsyncGenerator<unknown, void, undefined> {
  try {
    watch.throwIfEnded();
    for (const chunk of head) {
      tracker.see(chunk);
      watch.delivered();
      yield chunk;
    }
    if (first.done) return;
    tracker.see(first.value);
    watch.delivered();
    yield first.value;
    for (;;) {
      const next = await watch.read(() => rest.next());
      if (next.done) return;
      tracker.see(next.value);
      watch.delivered();
      yield next.value;
    }
  } finally {
    watch.stop();
    tracker.end();
    await closeQuietly(rest);
  }
}

/** An early `break` must stop the SDK's request too; a request that already failed may throw here. */
async function closeQuietly(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The stream's outcome is already decided; closing it has nothing to add.
  }
}

/** The SDK's own `Stream` class (OpenAI, Anthropic, Groq): rebuilt around the replaying iterator. */
type StreamClass = new (iterator: () => AsyncIterator<unknown>, controller: AbortController) => object;

function sdkStream(value: object): { Stream: StreamClass; controller: AbortController } | undefined {
  const ctor = (value as { constructor?: unknown }).constructor;
  const controller = (value as { controller?: unknown }).controller;
  const isStream =
    typeof ctor === 'function' &&
    typeof (ctor as { fromSSEResponse?: unknown }).fromSSEResponse === 'function' &&
    controller instanceof AbortController;
  return isStream ? { Stream: ctor as StreamClass, controller } : undefined;
}

/** A stream ended early stops its request by every handle there is, in case one is not wired. */
function stopping(
  guard: StreamGuard,
  iterator: AsyncIterator<unknown>,
  controller?: AbortController,
): StreamGuard {
  return {
    ...guard,
    abort(reason) {
      guard.abort(reason);
      controller?.abort(reason);
      void closeQuietly(iterator);
    },
  };
}

/**
 * Inside the job: pulls a stream's first chunk with content, holding back the ones that only open the
 * answer (a failure before it fails over like any call, to another key or model), then
 * returns an equivalent stream for the caller that yields it and the rest, holds the key's slot
 * until the stream ends, fails, is left early or times out, and reports the usage its chunks carry.
 * The slot's hold rejects when the stream breaks, so the key records the failure (see stream-watch.ts).
 * Knows the SDKs' `Stream`, `@google/generative-ai`'s `{ stream, response }` and async generators.
 */
export async function adoptStream(
  value: unknown,
  job: JobContext,
  readUsage: ReadUsage | undefined,
  guard: StreamGuard,
  onEnd?: () => void,
): Promise<unknown> {
  if (value === null || typeof value !== 'object') return NOT_A_STREAM;
  const streamOf = (value as { stream?: unknown }).stream;
  const response = (value as { response?: unknown }).response;
  if (isAsyncIterable(streamOf) && response instanceof Promise) {
    // @google/generative-ai: `response` aggregates the whole stream, read or not; it holds the slot.
    const iterator = streamOf[Symbol.asyncIterator]();
    // If the first read fails, the attempt fails with that error; `response` fails with it too, unheard.
    response.catch(() => undefined);
    const first = await iterator.next();
    if (first.done) throw new EmptyStreamError();
    const tracker = track(job, readUsage, onEnd);
    const watch = new StreamWatch(stopping(guard, iterator), tracker);
    response.then(
      (whole: unknown) => {
        tracker.see(whole);
        watch.stop();
        tracker.end();
      },
      (error: unknown) => {
        watch.stop();
        tracker.fail(error);
      },
    );
    job.hold(tracker.done);
    return { ...value, stream: pumpedStream(first, iterator, watch) };
  }
  if (!isAsyncIterable(value)) return NOT_A_STREAM;
  const iterator = value[Symbol.asyncIterator]();
  // The chunks that only open the answer are held back: until content comes, a failure is the attempt's.
  const head: unknown[] = [];
  let first = await iterator.next();
  while (!first.done && opensOnly(first.value)) {
    head.push(first.value);
    first = await iterator.next();
  }
  if (first.done) throw new EmptyStreamError();
  const tracker = track(job, readUsage, onEnd);
  const sdk = sdkStream(value);
  // The caller may stop an SDK stream by its controller (`stream.controller.abort()`).
  const watch = new StreamWatch(stopping(guard, iterator, sdk?.controller), tracker, sdk?.controller.signal);
  job.hold(tracker.done);
  const replayed = replay(head, first, iterator, tracker, watch);
  return sdk ? new sdk.Stream(() => replayed, sdk.controller) : replayed;
}
