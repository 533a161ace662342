import type { JobContext } from '../core/job-context.js';
import { isPlainObject, signalInOptions } from './client-hints.js';
import { chatOf, resolvePath, type Step } from './client-path.js';
import { preloadSdk } from './load-sdk.js';
import { isStreamRequest } from './stream-request.js';
import { StreamTimeoutError } from './stream-timeout-error.js';
import { startTimer } from './stream-timer.js';
import type { WrapContext } from './wrap-context.js';
import { adoptStream, NOT_A_STREAM } from './wrap-stream.js';

/** The options a wrapped call reads from its multiplexer. */
export type { StreamOptions } from './wrap-context.js';

/** What an SDK's `APIPromise.withResponse()` gives, or the value alone for SDKs without one. */
interface WithResponse {
  readonly data: unknown;
  readonly response?: unknown;
  readonly request_id?: unknown;
}

/** The promise a wrapped call returns: keeps `withResponse()` and `asResponse()` of the SDKs' APIPromise. */
export type CallPromise = Promise<unknown> & {
  withResponse(): Promise<WithResponse>;
  asResponse(): Promise<unknown>;
};

function hasWithResponse(value: unknown): value is { withResponse(): Promise<WithResponse> } {
  return value instanceof Promise && typeof (value as { withResponse?: unknown }).withResponse === 'function';
}

/**
 * What to estimate: the request, merged over the params of the last factory call (Gemini's
 * `getGenerativeModel({ generationConfig })` holds the output maximum its requests inherit).
 */
function requestOf(path: readonly Step[], args: readonly unknown[]): unknown {
  const request = args[0];
  const factory = [...path].reverse().find((s): s is { call: readonly unknown[] } => 'call' in s);
  const params = factory?.call[0];
  if (!isPlainObject(params)) return request;
  return isPlainObject(request) ? { ...params, ...request } : { ...params, contents: request };
}

/** Rejects with the signal's reason once it aborts: a call that ignores its signal still ends. */
function abortedBy(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  return aborted;
}

async function runOnKey(
  ctx: WrapContext,
  path: readonly Step[],
  args: readonly unknown[],
  keyClient: unknown,
  job: JobContext,
): Promise<WithResponse> {
  const { hints, adapter } = ctx;
  const { clock, streamIdleTimeoutMs, streamFirstByteTimeoutMs } = ctx.mux.options;
  // This attempt's own controller: the stream deadlines abort the request without aborting the job.
  const attempt = new AbortController();
  const signal = AbortSignal.any([job.signal, attempt.signal]);
  const stopFirstByte = isStreamRequest(path, args)
    ? startTimer(clock, streamFirstByteTimeoutMs, () =>
        attempt.abort(
          new StreamTimeoutError('first-byte', streamFirstByteTimeoutMs, 'no chunk came from the provider'),
        ),
      )
    : () => undefined;
  try {
    const { fn, owner } = resolvePath(hints.select(keyClient), path);
    const result = fn.apply(owner, hints.withSignal(fn, args, signal));
    const pending = hasWithResponse(result) ? result.withResponse() : Promise.resolve(result);
    const settled: WithResponse = hasWithResponse(result)
      ? await Promise.race([pending as Promise<WithResponse>, abortedBy(attempt.signal)])
      : { data: await Promise.race([pending, abortedBy(attempt.signal)]) };
    const chat = chatOf(path);
    let endStream: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      endStream = resolve;
    });
    const guard = {
      clock,
      idleTimeoutMs: streamIdleTimeoutMs,
      abort: (r: unknown) => attempt.abort(r),
      signal,
    };
    const stream = await Promise.race([
      adoptStream(settled.data, job, adapter.readUsage, guard, endStream),
      abortedBy(attempt.signal),
    ]);
    stopFirstByte();
    // A chat's next message starts from the history this key's session ends with.
    chat?.follow(owner, stream === NOT_A_STREAM ? Promise.resolve() : ended);
    if (stream !== NOT_A_STREAM) return { ...settled, data: stream };
    const usage = adapter.readUsage?.(settled.data);
    if (usage) job.reportUsage(usage);
    await chat?.settled();
    return settled;
  } catch (error) {
    // The SDK reports a missed deadline as an abort by its caller: the deadline is what happened.
    throw attempt.signal.reason instanceof StreamTimeoutError ? attempt.signal.reason : error;
  } finally {
    stopFirstByte();
  }
}

/** One request of a wrapped client, as one keymux job on the chosen key's own SDK client. */
export function runApiCall(ctx: WrapContext, path: readonly Step[], args: readonly unknown[]): CallPromise {
  const { mux, hints, call, adapter } = ctx;
  const tokens = call.tokens ?? adapter.estimateTokens?.(requestOf(path, args)) ?? 0;
  // The request's own signal is the job's from the start, so it also ends the job while queued.
  const own = (hints.requestSignal ?? signalInOptions)(args);
  const signal = own && call.signal ? AbortSignal.any([call.signal, own]) : (own ?? call.signal);
  const turn = Promise.all([preloadSdk(hints.packageName), chatOf(path)?.settled()]);
  const full = turn.then(() =>
    mux.execute(hints.provider, (client, job) => runOnKey(ctx, path, args, client, job), {
      ...call,
      tokens,
      ...(signal === undefined ? {} : { signal }),
    }),
  );
  const data = full.then((r) => r.data);
  // Only one of the three is usually awaited; the others must not report unhandled rejections.
  data.catch(() => undefined);
  full.catch(() => undefined);
  return Object.assign(data, {
    withResponse: () => full,
    asResponse: () => full.then((r) => r.response),
  });
}
