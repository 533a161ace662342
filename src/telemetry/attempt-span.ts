import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { Clock } from '../core/clock.js';
import type { TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { AttemptTrace } from '../core/telemetry.js';
import { outputText } from './content.js';
import type { Instruments } from './instruments.js';
import type { Api } from './load-api.js';
import { merge, type ResponseFacts, readFacts } from './response-facts.js';
import { serverOf } from './semconv.js';

/** What every job span of one multiplexer shares. */
export interface Tracing {
  readonly api: Api;
  readonly tracer: Tracer;
  readonly clock: Clock;
  readonly captureContent: boolean;
}

/** What an attempt's span needs of its job's. */
export interface AttemptOwner {
  readonly tracing: Tracing;
  readonly instruments: Instruments | undefined;
  readonly provider: string;
  /** The job span (in the caller's context): the attempt span's parent. */
  readonly context: Context;
  /** The attempt failed at `at`: the next one's wait starts then. */
  failed(at: number): void;
  /** The attempt served the job: its facts go on the job span too. */
  served(attributes: Attributes, output: string | undefined): void;
}

/** `error.type`: the HTTP status when there is one, else the error's code or class, else `_OTHER`. */
export function errorType(error: unknown, status?: number): string {
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

/** One attempt on one key: a CLIENT span (when tracing) and the per-attempt metrics. */
export class AttemptSpan implements AttemptTrace {
  #facts: ResponseFacts = {};
  #output: string | undefined;
  #ended = false;

  constructor(
    readonly job: AttemptOwner,
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
