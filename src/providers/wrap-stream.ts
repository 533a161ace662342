import type { TokenUsage } from '../core/events.js';
import type { JobContext } from '../core/job-context.js';

type ReadUsage = (chunk: unknown) => TokenUsage | undefined;

/** Returned when a call's value is not a stream: the caller keeps the value as it is. */
export const NOT_A_STREAM: unique symbol = Symbol('not a stream');

interface Tracker {
  readonly see: (chunk: unknown) => void;
  readonly end: () => void;
}

/** Usage counts are cumulative across events (message_start, message_delta, usageMetadata): keep the max. */
function track(
  job: JobContext,
  readUsage: ReadUsage | undefined,
  onEnd: (() => void) | undefined,
): Tracker & { done: Promise<void> } {
  let usage: TokenUsage | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let ended = false;
  return {
    done,
    see(chunk) {
      const u = readUsage?.(chunk);
      if (!u) return;
      usage = {
        inputTokens: Math.max(usage?.inputTokens ?? 0, u.inputTokens),
        outputTokens: Math.max(usage?.outputTokens ?? 0, u.outputTokens),
      };
    },
    end() {
      if (ended) return;
      ended = true;
      if (usage) job.reportUsage(usage);
      onEnd?.();
      finish();
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** Yields the chunk already pulled, then the rest; ends the tracker however iteration stops. */
async function* replay(
  first: IteratorResult<unknown>,
  rest: AsyncIterator<unknown>,
  tracker: Tracker,
): AsyncGenerator<unknown, void, undefined> {
  try {
    if (first.done) return;
    tracker.see(first.value);
    yield first.value;
    for (let next = await rest.next(); !next.done; next = await rest.next()) {
      tracker.see(next.value);
      yield next.value;
    }
  } finally {
    tracker.end();
    // An early `break` must stop the SDK's request too.
    await rest.return?.();
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

/**
 * Inside the job: pulls a stream's first chunk (a failure before it fails over like any call), then
 * returns an equivalent stream for the caller that yields it and the rest, holds the key's slot
 * until the stream ends, fails or is left early, and reports the usage its chunks carry.
 * Knows the SDKs' `Stream`, `@google/generative-ai`'s `{ stream, response }` and async generators.
 */
export async function adoptStream(
  value: unknown,
  job: JobContext,
  readUsage: ReadUsage | undefined,
  onEnd?: () => void,
): Promise<unknown> {
  if (value === null || typeof value !== 'object') return NOT_A_STREAM;
  const tracker = track(job, readUsage, onEnd);
  const streamOf = (value as { stream?: unknown }).stream;
  const response = (value as { response?: unknown }).response;
  if (isAsyncIterable(streamOf) && response instanceof Promise) {
    // @google/generative-ai: `response` aggregates the whole stream, read or not.
    const iterator = streamOf[Symbol.asyncIterator]();
    const first = await iterator.next();
    const whole = response.then(
      (r: unknown) => tracker.see(r),
      () => undefined,
    );
    job.hold(whole.finally(() => tracker.end()));
    return { ...value, stream: replay(first, iterator, { see: () => undefined, end: () => undefined }) };
  }
  if (!isAsyncIterable(value)) return NOT_A_STREAM;
  const iterator = value[Symbol.asyncIterator]();
  const first = await iterator.next();
  job.hold(tracker.done);
  const replayed = replay(first, iterator, tracker);
  const sdk = sdkStream(value);
  return sdk ? new sdk.Stream(() => replayed, sdk.controller) : replayed;
}
