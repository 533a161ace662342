// A wrapped SDK client: a Proxy that looks like the SDK's own client, and each request it makes run as one
// keymux job on the chosen key's own client (runApiCall), streams and fallbacks included.
import { deadlineAt } from '../config/deadline.js';
import type { CallOptions, StreamDeadlines } from '../config/options.js';
import { CHECKED_CALL } from '../core/checked-call.js';
import { DEADLINE_AT, type DeadlineCarrier } from '../core/deadline.js';
import { type FallbackGate, type FallbackReason, type ModelTarget, withGate } from '../core/fallback.js';
import type { JobContext } from '../core/job-context.js';
import {
  attemptTraceOf,
  recordFallback,
  TRACE_SOURCE,
  type TraceRequest,
  type TraceSource,
  telemetryLoading,
} from '../core/telemetry.js';
import { isSdkLoaded, preloadSdk } from '../providers/load-sdk.js';
import type { SpendRequest } from '../spend/spend.js';
import {
  ChatHistory,
  type ClientHints,
  chatOf,
  isPlainObject,
  isStreamRequest,
  modelOfCall,
  resolvePath,
  type Step,
  signalInOptions,
  spendRequestOf,
} from './client-hints.js';
import { offloadCall } from './offload-call.js';
import { retarget } from './retarget.js';
import { StreamTimeoutError } from './streams/stream-timeout-error.js';
import { startTimer } from './streams/stream-timer.js';
import { adoptStream, NOT_A_STREAM } from './streams/wrap-stream.js';
import { operationOf } from './trace-request.js';
import type { WrapContext } from './wrap-context.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * A Proxy that looks like the SDK's client (`instanceof` and types hold) and turns every request
 * it makes into one keymux job on the chosen key's own client. The placeholder `shape` client tells
 * namespaces from functions; functions below the root are requests unless the hints say otherwise.
 */
export function wrapClient<T extends object>(ctx: WrapContext): T {
  return wrapNode(ctx.hints.shape(), [], { ...ctx, nodes: new WeakMap() }, 0) as T;
}

/** Nodes by shape object: resources point back at their client (`_client`), so paths can cycle. */
type NodeContext = WrapContext & { readonly nodes: WeakMap<object, object> };

function wrapNode(shape: object, steps: readonly Step[], ctx: NodeContext, depth: number): object {
  const known = ctx.nodes.get(shape);
  if (known) return known;
  const cache = new Map<string, unknown>();
  // A blank target with the shape's prototype: `instanceof` holds and no Proxy invariant can bind us.
  const target = Object.create(Object.getPrototypeOf(shape) as object | null) as object;
  const node = new Proxy(target, {
    // Once the SDK's ESM build is loaded, `instanceof` answers for the caller's own import of it.
    getPrototypeOf: () =>
      (depth === 0 ? (ctx.hints.prototype?.() ?? null) : null) ?? Object.getPrototypeOf(target),
    get(_target, prop) {
      const value: unknown = Reflect.get(shape, prop, shape);
      if (typeof prop === 'symbol' || prop === 'constructor') return value;
      if (cache.has(prop)) return cache.get(prop);
      const path = [...steps, { get: prop }];
      let out: unknown = value;
      if (typeof value === 'function')
        out = wrapFunction(value as AnyFunction, { shape, node }, prop, path, ctx, depth);
      else if (isNamespace(value, ctx)) out = wrapNode(value, path, ctx, depth + 1);
      cache.set(prop, out);
      return out;
    },
    has: (_target, prop) => Reflect.has(shape, prop),
    ownKeys: () => Reflect.ownKeys(shape),
    getOwnPropertyDescriptor(_target, prop) {
      const descriptor = Reflect.getOwnPropertyDescriptor(shape, prop);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    set: () => false,
  });
  ctx.nodes.set(shape, node);
  return node;
}

function isNamespace(value: unknown, ctx: NodeContext): value is object {
  if (value === null || typeof value !== 'object' || value instanceof Date) return false;
  return ctx.nodes.has(value) || (ctx.hints.isNamespace?.(value) ?? true);
}

function endsWithAny(dotted: string, suffixes: readonly string[] | undefined): boolean {
  return suffixes?.some((f) => dotted === f || dotted.endsWith(`.${f}`)) ?? false;
}

/** A factory call's step; a chat session's replays its arguments with the history so far. */
function factoryStep(args: readonly unknown[], dotted: string, hints: ClientHints): Step {
  if (!hints.chat || !endsWithAny(dotted, hints.chat.factories)) return { call: args };
  const chat = new ChatHistory(args, hints.chat);
  return {
    get call() {
      return chat.args;
    },
    chat,
  };
}

function wrapFunction(
  fn: AnyFunction,
  { shape: owner, node }: { shape: object; node: object },
  name: string,
  path: readonly Step[],
  ctx: NodeContext,
  depth: number,
): AnyFunction {
  const { hints } = ctx;
  const dotted = path.flatMap((s) => ('get' in s ? [s.get] : [])).join('.');
  if (endsWithAny(dotted, hints.composites)) {
    // `this` is the wrapped namespace, so the helper's own requests (`this.create`,
    // `this._client.chat.completions.create`) are keymux jobs. The helper is taken from the SDK build
    // loaded now (ESM once preloaded), so the object it returns is an instance of the caller's class.
    return (...args: unknown[]) => resolvePath(hints.shape(), path).fn.apply(node, args);
  }
  if (endsWithAny(dotted, hints.unsupported)) {
    return () => {
      throw new TypeError(
        `keymux: ${dotted}() cannot run through a multiplexed client; send its requests with create() or stream()`,
      );
    };
  }
  if (endsWithAny(dotted, hints.factories)) {
    return (...args: unknown[]) => {
      const made = fn.apply(owner, args);
      return made !== null && typeof made === 'object'
        ? wrapNode(made, [...path, factoryStep(args, dotted, hints)], ctx, depth + 1)
        : made;
    };
  }
  const isCall = depth === 0 ? hints.rootCalls.has(name) : !hints.helpers.has(name);
  if (!isCall && chatOf(path)) {
    // A session's local helpers (`getHistory`) answer from a shape session holding the chat's history.
    return (...args: unknown[]) => {
      const current = resolvePath(hints.shape(), path);
      return current.fn.apply(current.owner, args);
    };
  }
  if (!isCall) return (...args: unknown[]) => fn.apply(owner, args);
  return (...args: unknown[]) => runApiCall(ctx, path, args);
}

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

/** How one attempt can be ended early by the stream deadlines, without aborting the job itself. */
interface Attempt {
  /** The signal handed to the SDK: the job's, and for a stream also the attempt's own. */
  readonly signal: AbortSignal;
  readonly abort: (reason: unknown) => void;
  /** Settles with `pending`, or rejects as soon as the attempt is aborted, even if the SDK ignores it. */
  race<T>(pending: Promise<T>): Promise<T>;
  /** The first chunk came (or the attempt ended): its deadline is off. */
  readonly arrived: () => void;
  /** The error to report: a missed deadline rather than the abort the SDK saw. */
  explain(error: unknown): unknown;
}

const noop = (): void => undefined;

/**
 * What `adoptStream` could take for a stream: an async iterable, or an object with a `stream` (the
 * `{ stream, response }` of `@google/generative-ai`). Anything else is surely not one, and a plain answer
 * skips the stream code.
 */
function mayBeStream(value: unknown): value is object {
  return value !== null && typeof value === 'object' && (Symbol.asyncIterator in value || 'stream' in value);
}

/** A plain request runs on the job's signal alone; a stream request gets its own controller and deadline. */
function startAttempt(job: JobContext, options: StreamDeadlines, streaming: boolean): Attempt {
  if (!streaming) {
    return { signal: job.signal, abort: noop, race: (p) => p, arrived: noop, explain: (e) => e };
  }
  const controller = new AbortController();
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  aborted.catch(noop);
  const ms = options.streamFirstByteTimeoutMs;
  const arrived = startTimer(options.clock, ms, () =>
    controller.abort(new StreamTimeoutError('first-byte', ms, 'no chunk came from the provider')),
  );
  return {
    signal: AbortSignal.any([job.signal, controller.signal]),
    abort: (reason) => controller.abort(reason),
    race: (pending) => Promise.race([pending, aborted]),
    arrived,
    explain: (error) =>
      controller.signal.reason instanceof StreamTimeoutError ? controller.signal.reason : error,
  };
}

async function runOnKey(
  ctx: WrapContext,
  path: readonly Step[],
  args: readonly unknown[],
  keyClient: unknown,
  job: JobContext,
): Promise<WithResponse> {
  const { hints, mux } = ctx;
  const adapter = mux.adapterOf(hints.provider);
  const attempt = startAttempt(job, mux.options, isStreamRequest(path, args));
  try {
    const { fn, owner } = resolvePath(hints.select(keyClient), path);
    const result = fn.apply(owner, hints.withSignal(fn, args, attempt.signal));
    const settled: WithResponse = hasWithResponse(result)
      ? await attempt.race(result.withResponse())
      : { data: await attempt.race(Promise.resolve(result)) };
    const chat = chatOf(path);
    let endStream: () => void = noop;
    const ended = new Promise<void>((resolve) => {
      endStream = resolve;
    });
    const { clock, streamIdleTimeoutMs } = mux.options;
    const guard = {
      clock,
      idleTimeoutMs: streamIdleTimeoutMs,
      abort: attempt.abort,
      // Read only for a stream. The caller's own signals stop a stream handed out too: the job's link to
      // them ends when it settles.
      get signal(): AbortSignal {
        const callers = [ctx.call.signal, (hints.requestSignal ?? signalInOptions)(args)];
        const own = callers.filter((s): s is AbortSignal => s !== undefined);
        return own.length > 0 ? AbortSignal.any([attempt.signal, ...own]) : attempt.signal;
      },
    };
    const stream = mayBeStream(settled.data)
      ? await attempt.race(adoptStream(settled.data, job, adapter?.readUsage, guard, endStream))
      : NOT_A_STREAM;
    attempt.arrived();
    // A chat's next message starts from the history this key's session ends with.
    chat?.follow(owner, stream === NOT_A_STREAM ? Promise.resolve() : ended);
    if (stream !== NOT_A_STREAM) return { ...settled, data: stream };
    attemptTraceOf(job)?.response(settled.data);
    const usage = adapter?.readUsage?.(settled.data);
    if (usage) job.reportUsage(usage);
    await chat?.settled();
    return settled;
  } catch (error) {
    // The SDK reports a missed deadline as an abort by its caller: the deadline is what happened.
    throw attempt.explain(error);
  } finally {
    attempt.arrived();
  }
}

/**
 * One request of a wrapped client in flight: what its job runs, and the SDK's full answer once it came
 * (for `withResponse()`). One object per call, with no closures: thousands wait in queues at once.
 */
class ApiCall implements TraceSource {
  settled: WithResponse | undefined;

  constructor(
    readonly ctx: WrapContext,
    readonly path: readonly Step[],
    readonly args: readonly unknown[],
  ) {}

  /** The job: one attempt on one key. Resolves with the data; keeps the rest for `withResponse()`. */
  async run(client: unknown, job: JobContext): Promise<unknown> {
    const settled = await runOnKey(this.ctx, this.path, this.args, client, job);
    this.settled = settled;
    return settled.data;
  }

  /** For the job's spans, asked only when someone traces it. */
  describe(): TraceRequest {
    const body = requestOf(this.path, this.args);
    const model = (body as { model?: unknown } | undefined)?.model;
    return {
      operation: operationOf(this.path),
      model: typeof model === 'string' ? model : undefined,
      stream: isStreamRequest(this.path, this.args),
      body,
    };
  }
}

const CALL = Symbol('keymux.apiCall');

interface CallFields {
  [CALL]: ApiCall;
  withResponse(): Promise<WithResponse>;
  asResponse(): Promise<unknown>;
}

/** Shared by every call's promise (not a closure each): `this` is the promise, as with the SDKs' APIPromise. */
function withResponse(this: Promise<unknown> & CallFields): Promise<WithResponse> {
  const call = this[CALL];
  return this.then(() => call.settled as WithResponse);
}

function asResponse(this: Promise<unknown> & CallFields): Promise<unknown> {
  const call = this[CALL];
  return this.then(() => call.settled?.response);
}

/** One target of a call with fallbacks: the call itself on its own model, else a copy aimed at `target`. */
async function runTarget(
  first: ApiCall,
  options: CallOptions & DeadlineCarrier,
  target: ModelTarget,
  gate: FallbackGate | undefined,
  spend: SpendRequest,
  reason: FallbackReason | undefined,
): Promise<unknown> {
  const { mux, hints } = first.ctx;
  if (target.provider === hints.provider && target.model === modelOfCall(first.path, first.args)) {
    return mux.execute(hints.provider, first.run.bind(first), withGate(options, gate), spend);
  }
  const moved = retarget(first.ctx, first.path, first.args, target);
  const call = new ApiCall(moved.ctx, moved.path, moved.args);
  await preloadSdk(moved.ctx.hints.packageName);
  const own =
    moved.ctx === first.ctx
      ? options
      : { ...moved.ctx.call, tokens: options.tokens ?? 0, [DEADLINE_AT]: options[DEADLINE_AT] };
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const from = `${hints.provider}/${modelOfCall(first.path, first.args)}`;
  const to = `${target.provider}/${target.model}`;
  // The fallback's job span says why it runs, and from where.
  const run = (client: unknown, job: JobContext): Promise<unknown> => {
    if (reason !== undefined) recordFallback(job, reason, from, to);
    return call.run(client, job);
  };
  const data = await mux.execute(
    moved.ctx.hints.provider,
    run,
    withGate({ ...own, ...signal, model: target.model, [TRACE_SOURCE]: call }, gate),
    spendRequestOf(requestOf(moved.path, moved.args)),
  );
  const mapped = moved.map ? moved.map(data) : data;
  first.settled = call.settled && { ...call.settled, data: mapped };
  return mapped;
}

/** One request of a wrapped client, as one keymux job on the chosen key's own SDK client. */
export function runApiCall(ctx: WrapContext, path: readonly Step[], args: readonly unknown[]): CallPromise {
  const { mux, hints, call } = ctx;
  const request = requestOf(path, args);
  const estimate = call.tokens ?? mux.adapterOf(hints.provider)?.estimateTokens?.(request) ?? 0;
  const spend = spendRequestOf(request);
  // The request's own signal is the job's from the start, so it also ends the job while queued.
  const own = (hints.requestSignal ?? signalInOptions)(args);
  const signal = own && call.signal ? AbortSignal.any([call.signal, own]) : (own ?? call.signal);
  const apiCall = new ApiCall(ctx, path, args);
  // A duration counts from the request, once: the models of its fallback chain share one deadline.
  const deadline =
    call.deadline === undefined ? {} : { [DEADLINE_AT]: deadlineAt(call.deadline, mux.options.clock) };
  // The client's own options were checked when it was made: what this request adds is checked here, and
  // the dispatcher checks nothing again unless it is odd (an adapter's estimate NaN, a signal not a signal).
  const checked =
    typeof estimate === 'number' &&
    Number.isFinite(estimate) &&
    estimate >= 0 &&
    (own === undefined || own instanceof AbortSignal);
  // The key's rate-limit state of this model paces the call (where the provider limits per model).
  const requestModel = modelOfCall(path, args);
  const options = {
    ...call,
    ...(requestModel === undefined ? {} : { model: requestModel }),
    tokens: estimate,
    ...(signal === undefined ? {} : { signal }),
    ...deadline,
    [TRACE_SOURCE]: apiCall,
    ...(checked ? { [CHECKED_CALL]: true as const } : {}),
  };
  const chat = chatOf(path);
  // Without fallbacks configured or named, the call skips the fallback gate (decided by the multiplexer).
  const gated = mux.hasFallbacks !== false || (call.fallbacks !== undefined && call.fallbacks.length > 0);
  const model = chat === undefined && gated ? requestModel : undefined;
  const sendNow = (): Promise<unknown> =>
    model === undefined
      ? mux.execute(hints.provider, apiCall.run.bind(apiCall), options, spend)
      : mux.withFallbacks({ provider: hints.provider, model }, call.fallbacks, (target, gate, reason) =>
          runTarget(apiCall, options, target, gate, spend, reason),
        );
  const send = (): Promise<unknown> => {
    // Only a call with a deadline may wait for a Batch API.
    const at = options[DEADLINE_AT];
    const offloaded = at === undefined ? undefined : offloadCall(ctx, path, args, at, sendNow, apiCall);
    if (offloaded === undefined) return sendNow();
    return offloaded.then((data) => {
      apiCall.settled ??= { data };
      return data;
    });
  };
  // Most calls go straight to the queue; the first ones wait for the SDK's ESM build (and the
  // OpenTelemetry API's, so they are traced), a chat's messages for the one before.
  ctx.warm ||= telemetryLoading() === undefined && isSdkLoaded(hints.packageName);
  const data =
    chat === undefined && ctx.warm
      ? send()
      : Promise.all([preloadSdk(hints.packageName), chat?.settled(), telemetryLoading()]).then(send);
  const promise = data as Promise<unknown> & CallFields;
  promise[CALL] = apiCall;
  promise.withResponse = withResponse;
  promise.asResponse = asResponse;
  return promise;
}
