import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicClient, genAIClient, openAIClient } from '../../src/clients/sdk-clients.js';
import { attemptTraceOf, JOB_TRACE, recordFallback } from '../../src/core/telemetry.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { loadApi } from '../../src/telemetry/load-api.js';
import { KEYS, setup } from '../clients/support.js';

const model = 'gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Say something about keys.' }];

class TestReader extends MetricReader {
  protected onForceFlush = (): Promise<void> => Promise.resolve();
  protected onShutdown = (): Promise<void> => Promise.resolve();
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
const meterProvider = new MeterProvider({ readers: [reader] });

const attr = (span: ReadableSpan, name: string): unknown => span.attributes[name];
const byName = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

beforeAll(async () => {
  // The API loads in the background when a multiplexer is made; the tests wait for it once.
  await loadApi();
});

describe('with no provider registered', () => {
  it('a job gets no trace: nothing is made, nothing recorded', async () => {
    const mux = new Multiplexer();
    mux.registerProvider({ name: 'p' });
    mux.addKey('p', { apiKey: 'sk-none-registered-0001' });
    const seen = await mux.execute('p', async (_client, ctx) => ({
      attempt: attemptTraceOf(ctx),
      job: (ctx as { [JOB_TRACE]?: unknown })[JOB_TRACE],
    }));
    expect(seen).toEqual({ attempt: undefined, job: undefined });
    await mux.close();
  });
});

describe('with a tracer and a meter provider registered', () => {
  beforeAll(() => {
    tracerProvider.register(); // also the AsyncLocalStorage context manager and the W3C propagator
    metrics.setGlobalMeterProvider(meterProvider);
  });
  afterAll(async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    metrics.disable();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });
  beforeEach(() => exporter.reset());

  it('a call whose first attempt gets a 429: one job span and two CLIENT attempt spans under the caller', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    emulator.addFault({ kind: 'rate-limit', key: 'a', count: 1 });
    const client = openAIClient(mux, 'round-robin');
    const caller = trace.getTracer('test').startSpan('caller');
    const reply = await context.with(trace.setSpan(context.active(), caller), () =>
      client.chat.completions.create({ model, messages }),
    );
    caller.end();

    const [job] = byName(`chat ${model}`).filter((s) => s.kind === SpanKind.INTERNAL);
    const attempts = byName(`chat ${model}`).filter((s) => s.kind === SpanKind.CLIENT);
    expect(job).toBeDefined();
    expect(attempts).toHaveLength(2);
    expect(job!.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    for (const a of attempts) expect(a.parentSpanContext?.spanId).toBe(job!.spanContext().spanId);
    expect(job!.instrumentationScope.schemaUrl).toBe('https://opentelemetry.io/schemas/1.41.0');

    const [limited, served] = attempts.sort(
      (x, y) => Number(attr(x, 'keymux.attempt')) - Number(attr(y, 'keymux.attempt')),
    );
    expect(limited!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.request.stream': false,
      'server.address': '127.0.0.1',
      'keymux.key.name': 'a',
      'keymux.strategy': 'round-robin',
      'keymux.attempt': 1,
      'error.type': '429',
      'keymux.failure_class': 'rate-limited',
    });
    expect(limited!.status.code).toBe(SpanStatusCode.ERROR);
    const event = limited!.events.find((e) => e.name === 'keymux.rate_limited');
    expect(event?.attributes).toMatchObject({ 'keymux.key.name': 'a', 'keymux.cooldown_ms': 1000 });

    expect(served!.attributes).toMatchObject({
      'keymux.key.name': 'b',
      'keymux.attempt': 2,
      'gen_ai.response.model': reply.model,
      'gen_ai.response.id': reply.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': reply.usage?.prompt_tokens,
      'gen_ai.usage.output_tokens': reply.usage?.completion_tokens,
    });
    expect(typeof attr(served!, 'keymux.queue.wait_ms')).toBe('number');
    expect(served!.status.code).toBe(SpanStatusCode.UNSET);
    expect(attr(served!, 'error.type')).toBeUndefined();
    expect(job!.attributes).toMatchObject({
      'keymux.key.name': 'b',
      'keymux.attempt': 2,
      'gen_ai.response.id': reply.id,
      'gen_ai.usage.output_tokens': reply.usage?.completion_tokens,
    });
    // No content unless the user opts in.
    expect(attr(job!, 'gen_ai.input.messages')).toBeUndefined();

    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) =>
      (all.find((m) => m.descriptor.name === name)?.dataPoints ?? []) as DataPoint<Histogram>[];
    const durations = points('gen_ai.client.operation.duration');
    expect(durations.map((p) => [p.attributes['error.type'], p.value.count])).toEqual(
      expect.arrayContaining([
        ['429', 1],
        [undefined, 1],
      ]),
    );
    expect(durations).toHaveLength(2);
    expect(all.find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')?.descriptor.unit).toBe(
      's',
    );
    const tokens = points('gen_ai.client.token.usage');
    expect(Object.fromEntries(tokens.map((p) => [p.attributes['gen_ai.token.type'], p.value.sum]))).toEqual({
      input: reply.usage?.prompt_tokens,
      output: reply.usage?.completion_tokens,
    });
    expect(points('keymux.queue.wait').reduce((n, p) => n + p.value.count, 0)).toBe(2);
  });

  it('an offloaded call gets one job span (strategy batch) under its caller, and no attempt span', async () => {
    // The emulator's Batch API runs an hour in a tenth of a second (real time, as in docs/batch-offload.md).
    const { mux } = await setup(
      'openai',
      'openai',
      { batches: { timeScale: 36_000, validatingMs: 60_000, processingMs: 3_600_000, finalizingMs: 60_000 } },
      { batchOffload: { minDeadline: '1h', maxWait: '50ms', firstPoll: '50ms' } },
      1,
    );
    const caller = trace.getTracer('test').startSpan('caller');
    const reply = await context.with(trace.setSpan(context.active(), caller), () =>
      mux.getOpenAIClient({ deadline: '24h' }).chat.completions.create({ model, messages }),
    );
    caller.end();
    expect(reply.object).toBe('chat.completion');
    const spans = byName(`chat ${model}`);
    expect(spans.map((s) => [s.kind, attr(s, 'keymux.strategy')])).toEqual([[SpanKind.INTERNAL, 'batch']]);
    expect(spans[0]?.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(spans[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
    await mux.close();
  });

  it('a streamed call’s attempt span ends after its last chunk, with what the chunks said', async () => {
    const { mux } = await setup('openai', 'openai');
    const client = openAIClient(mux, 'round-robin');
    const stream = await client.chat.completions.create({
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let chunks = 0;
    let lastChunkAt = 0;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      // While chunks still come, no span has ended.
      expect(exporter.getFinishedSpans()).toHaveLength(0);
      chunks++;
      lastChunkAt = performance.timeOrigin + performance.now();
    }
    expect(chunks).toBeGreaterThan(2);
    await expect.poll(() => exporter.getFinishedSpans().length).toBe(2);
    const [attempt] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    const endedAt = attempt!.endTime[0] * 1000 + attempt!.endTime[1] / 1e6;
    expect(endedAt).toBeGreaterThanOrEqual(lastChunkAt - 1);
    expect(attempt!.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(attr(attempt!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
  });

  it('Anthropic’s stream events and Gemini’s answer fill the same attributes', async () => {
    const claude = await setup('anthropic', 'anthropic');
    const stream = await anthropicClient(claude.mux).messages.create({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 50,
      messages,
      stream: true,
    });
    for await (const event of stream) expect(event.type).toBeTruthy();
    const ours = () => exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'keymux');
    await expect.poll(() => ours().length).toBe(2);
    const [streamed] = ours().filter((s) => s.kind === SpanKind.CLIENT);
    // The Anthropic SDK traces itself: its span nests under the attempt's, the context active during the call.
    const sdk = exporter.getFinishedSpans().find((s) => s.instrumentationScope.name !== 'keymux');
    if (sdk) expect(sdk.parentSpanContext?.spanId).toBe(streamed!.spanContext().spanId);
    expect(streamed!.name).toBe('chat claude-3-5-haiku-latest');
    expect(streamed!.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
    });
    expect(attr(streamed!, 'gen_ai.response.id')).toMatch(/^msg_/);
    expect(attr(streamed!, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);

    exporter.reset();
    const gemini = await setup('gemini', 'google-genai');
    const answer = await genAIClient(gemini.mux).models.generateContent({
      model: 'gemini-2.0-flash',
      contents: 'Hi',
    });
    await expect.poll(() => ours().length).toBe(2);
    const [generated] = ours().filter((s) => s.kind === SpanKind.CLIENT);
    expect(generated!.name).toBe('generate_content gemini-2.0-flash');
    expect(generated!.attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.response.finish_reasons': ['STOP'],
      'gen_ai.usage.input_tokens': answer.usageMetadata?.promptTokenCount,
      'server.address': '127.0.0.1',
    });
  });

  it('a fallback records its reason on the job span', async () => {
    const mux = new Multiplexer();
    mux.registerProvider({ name: 'p' });
    mux.addKey('p', { apiKey: 'sk-fallback-test-0001' });
    await mux.execute('p', async (_client, ctx) =>
      recordFallback(ctx, 'rate-limited', 'gpt-4o', 'gpt-4o-mini'),
    );
    await mux.close();
    const [job] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.INTERNAL);
    expect(job!.name).toBe('keymux p');
    expect(attr(job!, 'keymux.fallback.reason')).toBe('rate-limited');
    expect(job!.events.find((e) => e.name === 'keymux.fallback')?.attributes).toEqual({
      'keymux.fallback.reason': 'rate-limited',
      'keymux.fallback.from': 'gpt-4o',
      'keymux.fallback.to': 'gpt-4o-mini',
    });
  });

  it('no key value appears in any span name, attribute, event or status, even when the provider echoes it', async () => {
    const { emulator, mux } = await setup('openai', 'openai');
    emulator.addFault({ kind: 'rate-limit', key: 'a', count: 1 });
    emulator.addFault({ kind: 'unauthorized', key: 'b', count: 1 });
    const client = openAIClient(mux, 'round-robin');
    await client.chat.completions.create({ model, messages });
    const spans = exporter.getFinishedSpans();
    expect(spans.some((s) => s.status.code === SpanStatusCode.ERROR && attr(s, 'error.type') === '401')).toBe(
      true,
    );
    const seen = JSON.stringify(
      spans.map((s) => [s.name, s.attributes, s.events.map((e) => [e.name, e.attributes]), s.status]),
    );
    const { resourceMetrics } = await reader.collect();
    const recorded = JSON.stringify(resourceMetrics.scopeMetrics);
    for (const key of KEYS) {
      expect(seen).not.toContain(key);
      expect(recorded).not.toContain(key);
    }
  });

  it('captureContent records the messages sent and the answer; telemetry: false records nothing', async () => {
    const { mux } = await setup('openai', 'openai', {}, { telemetry: { captureContent: true } });
    const reply = await openAIClient(mux).chat.completions.create({ model, messages });
    const [job] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.INTERNAL);
    expect(JSON.parse(String(attr(job!, 'gen_ai.input.messages')))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: messages[0]!.content }] },
    ]);
    expect(JSON.parse(String(attr(job!, 'gen_ai.output.messages')))).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: reply.choices[0]!.message.content }] },
    ]);

    exporter.reset();
    const off = await setup('openai', 'openai', {}, { telemetry: false });
    await openAIClient(off.mux).chat.completions.create({ model, messages });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
