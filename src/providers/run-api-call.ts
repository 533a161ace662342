import type { TokenUsage } from '../core/events.js';
import type { JobContext } from '../core/job-context.js';
import type { ClientHints } from './client-hints.js';
import { isPlainObject } from './client-hints.js';
import { chatOf, resolvePath, type Step } from './client-path.js';
import { preloadSdk } from './load-sdk.js';
import type { WrapContext } from './wrap-context.js';
import { adoptStream, NOT_A_STREAM } from './wrap-stream.js';

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

async function runOnKey(
  hints: ClientHints,
  readUsage: ((result: unknown) => TokenUsage | undefined) | undefined,
  path: readonly Step[],
  args: readonly unknown[],
  keyClient: unknown,
  job: JobContext,
): Promise<WithResponse> {
  const { fn, owner } = resolvePath(hints.select(keyClient), path);
  const result = fn.apply(owner, hints.withSignal(fn, args, job.signal));
  const settled: WithResponse = hasWithResponse(result)
    ? await result.withResponse()
    : { data: await result };
  const chat = chatOf(path);
  let endStream: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    endStream = resolve;
  });
  const stream = await adoptStream(settled.data, job, readUsage, endStream);
  // A chat's next message starts from the history this key's session ends with.
  chat?.follow(owner, stream === NOT_A_STREAM ? Promise.resolve() : ended);
  if (stream !== NOT_A_STREAM) return { ...settled, data: stream };
  const usage = readUsage?.(settled.data);
  if (usage) job.reportUsage(usage);
  await chat?.settled();
  return settled;
}

/** One request of a wrapped client, as one keymux job on the chosen key's own SDK client. */
export function runApiCall(ctx: WrapContext, path: readonly Step[], args: readonly unknown[]): CallPromise {
  const { mux, hints, call, adapter } = ctx;
  const tokens = call.tokens ?? adapter.estimateTokens?.(requestOf(path, args)) ?? 0;
  const turn = Promise.all([preloadSdk(hints.packageName), chatOf(path)?.settled()]);
  const full = turn.then(() =>
    mux.execute(
      hints.provider,
      (client, job) => runOnKey(hints, adapter.readUsage, path, args, client, job),
      {
        ...call,
        tokens,
      },
    ),
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
