import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadApi } from '../../src/telemetry/load-api.js';
import { closeAll, GATEWAY_TOKEN, startStack } from '../serve/support.js';
import { startTap } from '../serve/tap.js';

const closers: Array<() => Promise<void>> = [];
afterEach(() => closeAll(closers));

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  await loadApi();
  provider.register(); // W3C Trace Context propagator and the AsyncLocalStorage context manager
});
afterAll(async () => {
  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

describe('the gateway and trace context', () => {
  it('continues an incoming traceparent, and sends the attempt’s own upstream', async () => {
    let emulatorUrl = '';
    const tap = await startTap(() => emulatorUrl, closers);
    const { url, emulator } = await startStack({ upstreamUrl: () => tap.url }, closers);
    emulatorUrl = emulator.url;
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${GATEWAY_TOKEN}`,
        'content-type': 'application/json',
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => exporter.getFinishedSpans().length).toBe(2);
    const spans = exporter.getFinishedSpans();
    const job = spans.find((s) => s.kind === SpanKind.INTERNAL)!;
    const attempt = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(job.name).toBe('chat gpt-4o-mini');
    expect(job.spanContext().traceId).toBe(TRACE_ID);
    expect(job.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(attempt.parentSpanContext?.spanId).toBe(job.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({
      'keymux.key.name': 'openai-a',
      'gen_ai.provider.name': 'openai',
    });
    // Upstream, the provider sees the same trace, with the attempt as the parent.
    expect(tap.seen).toHaveLength(1);
    expect(tap.seen[0]!.headers.traceparent).toBe(`00-${TRACE_ID}-${attempt.spanContext().spanId}-01`);
  });
});
