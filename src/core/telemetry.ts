import type { KeyRef, TokenUsage } from './events.js';
import type { Failure } from './failure.js';
import type { JobContext } from './job-context.js';

/** What a job is, for its spans: known to the wrapped clients (`execute` jobs have none). */
export interface TraceRequest {
  /** `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, `generate_content`. */
  readonly operation: string | undefined;
  readonly model: string | undefined;
  readonly stream: boolean;
  /** The request's body, read only when the user opted in to content capture. */
  readonly body: unknown;
}

/** Describes its request only when a span is made: nothing is computed for jobs nobody traces. */
export interface TraceSource {
  describe(): TraceRequest;
}

/** Where `execute`'s options carry their TraceSource (a wrapped client's call); not a call option. */
export const TRACE_SOURCE: unique symbol = Symbol('keymux.traceSource');
export interface Traced {
  readonly [TRACE_SOURCE]?: TraceSource | undefined;
}

/** Starts each job's trace; undefined when nobody traces (no OpenTelemetry, or no provider registered). */
export interface JobTracer {
  /**
   * A check cheap enough for every job, run before `startJob`: false when `startJob` would surely return
   * undefined (nothing registered), so a job nobody traces never calls into the telemetry layer.
   */
  readonly mayTrace: () => boolean;
  startJob(provider: string, strategy: string, source: TraceSource | undefined): JobTrace | undefined;
}

/** One job's spans and metrics: started by `execute`, told about each attempt, ended once. */
export interface JobTrace {
  /** An attempt starts on a key. */
  attempt(key: KeyRef, attempt: number): AttemptTrace;
  /** The job moved to another model or provider (`keymux.fallback.reason`). */
  fallback(reason: string, from?: string, to?: string): void;
  /** The job settled; a stream handed out (`held`) ends the job span when it ends. */
  end(ok: boolean, error: unknown, held: Promise<unknown> | undefined): void;
}

/** One attempt's CLIENT span: ends with the call, or with its stream. */
export interface AttemptTrace {
  /**
   * Runs the call with the attempt's span as the active context (the SDK's own spans nest under it);
   * `client` gives the key's client, whose base URL names the server.
   */
  run<T>(client: () => unknown, call: () => T): T;
  /** A response body, or one chunk of a stream: model, id, finish reasons, usage. */
  response(data: unknown): void;
  /** The call (or its stream) ended well at `at`, on the multiplexer's clock. */
  succeed(usage: TokenUsage | undefined, at: number): void;
  /** It failed at `at`; the key rests until `cooldownUntil` (a 429), on the same clock. */
  fail(failure: Failure, at: number, cooldownUntil: number | undefined): void;
}

/** Where an attempt's JobContext carries its trace, out of the public JobContext type. */
export const ATTEMPT_TRACE: unique symbol = Symbol('keymux.attemptTrace');

/** The attempt's trace, when someone traces it. */
export function attemptTraceOf(ctx: JobContext): AttemptTrace | undefined {
  return (ctx as { readonly [ATTEMPT_TRACE]?: AttemptTrace })[ATTEMPT_TRACE];
}

/** The job's trace behind an attempt's context. */
export const JOB_TRACE: unique symbol = Symbol('keymux.jobTrace');

/**
 * Records on the job's span why it moved to another model or provider (`keymux.fallback.reason`, and a
 * `keymux.fallback` event with `from` and `to`). `ctx` is the JobContext the job's function was given;
 * nothing happens when nobody traces the job.
 */
export function recordFallback(ctx: JobContext, reason: string, from?: string, to?: string): void {
  (ctx as { readonly [JOB_TRACE]?: JobTrace })[JOB_TRACE]?.fallback(reason, from, to);
}

/**
 * Where `@opentelemetry/api` keeps what is registered with it (`trace`, `metrics`, `context`, …): one
 * object on `globalThis` per major version, shared by every copy of the API in the process. keymux's peer
 * range is `^1.4`, so the major is 1.
 */
const OTEL_REGISTRY = Symbol.for('opentelemetry.js.api.1');

/**
 * Whether a tracer or a meter provider is registered with OpenTelemetry: a property read, no import. The
 * API's own getters say the same only after building a proxy's delegate and a no-op meter to compare with.
 * A provider registered later, or disabled, is seen by the next call.
 */
export function otelProviderRegistered(): boolean {
  const registry = (globalThis as { [OTEL_REGISTRY]?: { trace?: unknown; metrics?: unknown } })[
    OTEL_REGISTRY
  ];
  return registry !== undefined && (registry.trace !== undefined || registry.metrics !== undefined);
}

let loading: Promise<unknown> | undefined;

/**
 * The OpenTelemetry API's import, while it runs (started by the first multiplexer whose telemetry is
 * on): a wrapped client's first calls wait for it, as they wait for their SDK, so they are traced too.
 */
export function telemetryLoading(): Promise<unknown> | undefined {
  return loading;
}

export function setTelemetryLoading(pending: Promise<unknown>): void {
  loading = pending;
  void pending.then(() => {
    loading = undefined;
  });
}
