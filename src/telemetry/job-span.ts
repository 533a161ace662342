import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { KeyRef } from '../core/events.js';
import type { AttemptTrace, JobTrace, TraceRequest } from '../core/telemetry.js';
import { type AttemptOwner, AttemptSpan, errorType, type Tracing } from './attempt-span.js';
import { inputMessages } from './content.js';
import type { Instruments } from './instruments.js';
import { providerName } from './semconv.js';

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

/** One job: an INTERNAL span, the parent of its attempts' CLIENT spans. */
export class JobSpan implements JobTrace, AttemptOwner {
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
