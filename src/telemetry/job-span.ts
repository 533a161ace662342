import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { Clock } from '../core/clock.js';
import type { KeyRef, TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { AttemptTrace, JobTrace, TraceRequest } from '../core/telemetry.js';
import { inputMessages, outputText } from './content.js';
import type { Instruments } from './instruments.js';
import type { Api } from './load-api.js';
import { merge, type ResponseFacts, readFacts } from './response-facts.js';
import { providerName, serverOf } from './semconv.js';

/** What every job span of one multiplexer shares. */
export interface Tracing {
  readonly api: Api;
  readonly tracer: Tracer;
  readonly clock: Clock;
  readonly captureContent: boolean;
}

/** `{gen_ai.operation.name} {gen_ai.request.model}`; `keymux {provider}` for an `execute` job. */
function spanName(provider: string, request: TraceRequest | undefined): string {
  if (request?.operation === undefined) return `keymux ${provider}`;
  return request.model === undefined ? request.operation : `${request.operation} ${request.model}`;
}

/** The attributes the job span and each attempt span share. */
function requestAttributes(
  provider: string,
  strategy: string,
  request: TraceRequest | undefined,
): Attributes {
  const attributes: Attributes = {
    'gen_ai.provider.name': providerName(provider),
    'keymux.strategy': strategy,
  };
  if (request?.operation !== undefined) attributes['gen_ai.operation.name'] = request.operation;
  if (request?.model !== undefined) attributes['gen_ai.request.model'] = request.model;
  if (request !== undefined) attributes['gen_ai.request.stream'] = request.stream;
  return attributes;
}

/** `error.type`: the HTTP status when there is one, else the error's code or class, else `_OTHER`. */
function errorType(error: unknown, status?: number): string {
  if (status !== undefined) return String(status);
  const e = error as { status?: unknown; code?: unknown; name?: unknown } | null;
  if (typeof e?.status === 'number') return String(e.status);
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.name === 'string' && e.name !== 'Error') return e.name;
  return '_OTHER';
}

function factAttributes(facts: ResponseFacts, usage: TokenUsage | undefined): Attributes {
  const a: Attributes = {};
  if (facts.model !== undefined) a['gen_ai.response.model'] = facts.model;
  if (facts.id !== undefined) a['gen_ai.response.id'] = facts.id;
  if (facts.finishReasons !== undefined) a['gen_ai.response.finish_reasons'] = facts.finishReasons;
  const input = facts.inputTokens ?? usage?.inputTokens;
  const output = facts.outputTokens ?? usage?.outputTokens;
  if (input !== undefined) a['gen_ai.usage.input_tokens'] = input;
  if (output !== undefined) a['gen_ai.usage.output_tokens'] = output;
  if (facts.cacheReadTokens !== undefined) a['gen_ai.usage.cache_read.input_tokens'] = facts.cacheReadTokens;
  if (facts.cacheCreationTokens !== undefined)
    a['gen_ai.usage.cache_creation.input_tokens'] = facts.cacheCreationTokens;
  return a;
}

/** One job: an INTERNAL span, the parent of its attempts' CLIENT spans. */
export class JobSpan implements JobTrace {
  readonly #name: string;
  readonly #shared: Attributes;
  /** When the job became ready for its next attempt: made, or its last attempt failed. */
  #readyAt: number;
  #waitedMs = 0;
  #attempts = 0;
  #served: Attributes | undefined;
  #output: string | undefined;
  readonly #context: Context;

  constructor(
    readonly tracing: Tracing,
    readonly span: Span | undefined,
    readonly instruments: Instruments | undefined,
    readonly provider: string,
    strategy: string,
    request: TraceRequest | undefined,
    parent: Context,
  ) {
    this.#name = spanName(provider, request);
    this.#shared = requestAttributes(provider, strategy, request);
    this.#readyAt = tracing.clock.now();
    this.#context = span ? tracing.api.trace.setSpan(parent, span) : parent;
    span?.setAttributes(this.#shared);
    if (span && tracing.captureContent && request) {
      const { messages, system } = inputMessages(request.body);
      if (messages) span.setAttribute('gen_ai.input.messages', JSON.stringify(messages));
      if (system) span.setAttribute('gen_ai.system_instructions', JSON.stringify(system));
    }
  }

  static start(
    tracing: Tracing,
    instruments: Instruments | undefined,
    tracingOn: boolean,
    job: { provider: string; strategy: string; request: TraceRequest | undefined },
  ): JobSpan | undefined {
    const parent = tracing.api.context.active();
    const span = tracingOn
      ? tracing.tracer.startSpan(spanName(job.provider, job.request), undefined, parent)
      : undefined;
    // Sampled out, and no meter: nothing to record.
    if (!instruments && !span?.isRecording()) return undefined;
    return new JobSpan(
      tracing,
      span?.isRecording() ? span : undefined,
      instruments,
      job.provider,
      job.strategy,
      job.request,
      parent,
    );
  }

  attempt(key: KeyRef, attempt: number): AttemptTrace {
    const now = this.tracing.clock.now();
    const waitedMs = Math.max(0, now - this.#readyAt);
    this.#waitedMs += waitedMs;
    this.#attempts = attempt;
    const attributes: Attributes = {
      ...this.#shared,
      'keymux.key.name': key.name,
      'keymux.attempt': attempt,
      'keymux.queue.wait_ms': waitedMs,
    };
    this.instruments?.queueWait.record(waitedMs / 1000, {
      'gen_ai.provider.name': this.#shared['gen_ai.provider.name'],
      'keymux.strategy': this.#shared['keymux.strategy'],
    });
    const { api, tracer } = this.tracing;
    const span = this.span
      ? tracer.startSpan(this.#name, { kind: api.SpanKind.CLIENT, attributes }, this.#context)
      : undefined;
    return new AttemptSpan(this, span, attributes, now);
  }

  /** An attempt failed: the next one's wait starts now. */
  failed(at: number): void {
    this.#readyAt = at;
  }

  /** The attempt that served the job: its response facts go on the job span too. */
  served(attributes: Attributes, output: string | undefined): void {
    this.#served = attributes;
    this.#output = output;
  }

  /** The span the attempts' spans are children of, with the caller's context around it. */
  get context(): Context {
    return this.#context;
  }

  fallback(reason: string, from?: string, to?: string): void {
    if (!this.span) return;
    this.span.setAttribute('keymux.fallback.reason', reason);
    const event: Attributes = { 'keymux.fallback.reason': reason };
    if (from !== undefined) event['keymux.fallback.from'] = from;
    if (to !== undefined) event['keymux.fallback.to'] = to;
    this.span.addEvent('keymux.fallback', event);
  }

  end(ok: boolean, error: unknown, held: Promise<unknown> | undefined): void {
    if (!this.span) return;
    if (held) {
      const finish = (): void => this.#finish(ok, error);
      held.then(finish, finish);
    } else this.#finish(ok, error);
  }

  #finish(ok: boolean, error: unknown): void {
    const span = this.span;
    if (!span) return;
    span.setAttributes({ 'keymux.attempt': this.#attempts, 'keymux.queue.wait_ms': this.#waitedMs });
    if (this.#served) span.setAttributes(this.#served);
    if (this.#output !== undefined) {
      span.setAttribute(
        'gen_ai.output.messages',
        JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: this.#output }] }]),
      );
    }
    if (!ok) {
      span.setAttribute('error.type', errorType(error));
      const message = error instanceof Error ? error.message : String(error);
      span.setStatus({ code: this.tracing.api.SpanStatusCode.ERROR, message });
    }
    span.end();
  }
}

/** One attempt on one key: a CLIENT span (when tracing) and the per-attempt metrics. */
class AttemptSpan implements AttemptTrace {
  #facts: ResponseFacts = {};
  #output: string | undefined;
  #ended = false;

  constructor(
    readonly job: JobSpan,
    readonly span: Span | undefined,
    readonly attributes: Attributes,
    readonly startedAt: number,
  ) {}

  run<T>(client: () => unknown, call: () => T): T {
    const server = serverOf(this.job.provider, client);
    if (server.address !== undefined) this.attributes['server.address'] = server.address;
    if (server.port !== undefined) this.attributes['server.port'] = server.port;
    if (!this.span) return call();
    this.span.setAttributes(this.attributes);
    const { api } = this.job.tracing;
    return api.context.with(api.trace.setSpan(this.job.context, this.span), call);
  }

  response(data: unknown): void {
    if (this.#ended) return;
    this.#facts = merge(this.#facts, readFacts(data));
    if (!this.job.tracing.captureContent) return;
    const text = outputText(data);
    if (text) this.#output = text.mode === 'append' ? (this.#output ?? '') + text.text : text.text;
  }

  succeed(usage: TokenUsage | undefined, at: number): void {
    if (this.#ended) return;
    this.#ended = true;
    const facts = factAttributes(this.#facts, usage);
    this.#record(at, undefined, facts);
    // The job span names the key that served it, too.
    this.job.served({ ...facts, 'keymux.key.name': this.attributes['keymux.key.name'] }, this.#output);
    if (!this.span) return;
    this.span.setAttributes(facts);
    this.span.end();
  }

  fail(failure: Failure, at: number, cooldownUntil: number | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    const type = failure.class === 'aborted' ? 'aborted' : errorType(failure.error, failure.status);
    this.#record(at, type, undefined);
    this.job.failed(at);
    const span = this.span;
    if (!span) return;
    span.setAttributes({ 'error.type': type, 'keymux.failure_class': failure.class });
    if (failure.class === 'rate-limited') {
      const event: Attributes = { 'keymux.key.name': this.attributes['keymux.key.name'] };
      if (cooldownUntil !== undefined) event['keymux.cooldown_ms'] = Math.max(0, cooldownUntil - at);
      if (failure.retryAfterMs !== undefined) event['keymux.retry_after_ms'] = failure.retryAfterMs;
      span.addEvent('keymux.rate_limited', event);
    }
    span.setStatus({ code: this.job.tracing.api.SpanStatusCode.ERROR, message: failure.message });
    span.end();
  }

  #record(at: number, errorType: string | undefined, facts: Attributes | undefined): void {
    const instruments = this.job.instruments;
    if (!instruments) return;
    const a = this.attributes;
    const attributes: Attributes = { 'gen_ai.provider.name': a['gen_ai.provider.name'] };
    for (const name of ['gen_ai.operation.name', 'gen_ai.request.model', 'server.address', 'server.port']) {
      if (a[name] !== undefined) attributes[name] = a[name];
    }
    if (facts?.['gen_ai.response.model'] !== undefined)
      attributes['gen_ai.response.model'] = facts['gen_ai.response.model'];
    if (errorType !== undefined) attributes['error.type'] = errorType;
    const seconds = (at - this.startedAt) / 1000;
    instruments.duration.record(seconds, attributes);
    for (const type of ['input', 'output'] as const) {
      const tokens = facts?.[`gen_ai.usage.${type}_tokens`];
      if (typeof tokens === 'number')
        instruments.tokens.record(tokens, { ...attributes, 'gen_ai.token.type': type });
    }
  }
}
