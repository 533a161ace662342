import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { JOB_TRACE, otelProviderRegistered } from '../../src/core/telemetry.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { loadApi } from '../../src/telemetry/load-api.js';

afterEach(() => {
  trace.disable();
  metrics.disable();
});

describe('otelProviderRegistered, the check every job makes before calling into telemetry/', () => {
  it('reads the registry of the installed @opentelemetry/api: a tracer or a meter provider turns it on', () => {
    expect(otelProviderRegistered()).toBe(false);
    expect(trace.setGlobalTracerProvider(new BasicTracerProvider())).toBe(true);
    expect(otelProviderRegistered()).toBe(true);
    trace.disable();
    expect(otelProviderRegistered()).toBe(false);
    expect(metrics.setGlobalMeterProvider(new MeterProvider())).toBe(true);
    expect(otelProviderRegistered()).toBe(true);
    metrics.disable();
    expect(otelProviderRegistered()).toBe(false);
  });

  it('a multiplexer made before the provider was registered traces the next job', async () => {
    await loadApi();
    const mux = new Multiplexer();
    mux.registerProvider({ name: 'p' });
    mux.addKey('p', { apiKey: 'sk-late-provider-0001' });
    const traced = () =>
      mux.execute('p', async (_client, ctx) => (ctx as { [JOB_TRACE]?: unknown })[JOB_TRACE]);
    expect(await traced()).toBeUndefined();
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    expect(await traced()).toBeDefined();
    trace.disable();
    expect(await traced()).toBeUndefined();
    await mux.close();
  });
});
