import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { Clock } from '../core/clock.js';
import {
  type JobTrace,
  type JobTracer,
  otelProviderRegistered,
  type TraceSource,
} from '../core/telemetry.js';
import type { Tracing } from './attempt-span.js';
import { type Instruments, makeInstruments } from './instruments.js';
import { JobSpan } from './job-span.js';
import { type Api, loadApi, loadedApi } from './load-api.js';
import { SCHEMA_URL } from './semconv.js';

export interface TelemetrySettings {
  readonly captureContent: boolean;
}

/**
 * A multiplexer's OpenTelemetry: through `@opentelemetry/api` only, loaded in the background when the
 * multiplexer is made. A job gets spans when a tracer provider is registered, metrics when a meter
 * provider is; with neither (or no API installed) `startJob` returns undefined and the job costs nothing
 * more. Providers registered later are picked up by the next job.
 */
export class Telemetry implements JobTracer {
  #tracing: Tracing | undefined;
  #noopTracers: TracerProvider | undefined;
  #meters: MeterProvider | undefined;
  #instruments: Instruments | undefined;
  /** Nothing registered, nothing to trace: checked in core, so such a job never calls in here. */
  readonly mayTrace = otelProviderRegistered;

  constructor(
    readonly settings: TelemetrySettings,
    readonly clock: Clock,
  ) {
    void loadApi();
  }

  startJob(provider: string, strategy: string, source: TraceSource | undefined): JobTrace | undefined {
    const api = loadedApi();
    if (api === undefined) return undefined;
    const tracingOn = this.#tracingOn(api);
    const instruments = this.#metricsOn(api);
    if (!tracingOn && instruments === undefined) return undefined;
    if (this.#tracing === undefined) {
      this.#tracing = {
        api,
        tracer: api.trace.getTracerProvider().getTracer('keymux', undefined, { schemaUrl: SCHEMA_URL }),
        clock: this.clock,
        captureContent: this.settings.captureContent,
      };
    }
    const tracing = this.#tracing;
    return JobSpan.start(tracing, instruments, tracingOn, {
      provider,
      strategy,
      request: source?.describe(),
    });
  }

  /** A tracer provider is registered (the global one is a proxy until then). */
  #tracingOn(api: Api): boolean {
    const provider = api.trace.getTracerProvider();
    const delegate = provider instanceof api.ProxyTracerProvider ? provider.getDelegate() : provider;
    // A proxy with no delegate hands out the API's no-op provider: the one to compare with.
    this.#noopTracers ??= new api.ProxyTracerProvider().getDelegate();
    return delegate !== this.#noopTracers;
  }

  /** The instruments of the registered meter provider; undefined when none is. */
  #metricsOn(api: Api): Instruments | undefined {
    const provider = api.metrics.getMeterProvider();
    if (provider !== this.#meters) {
      this.#meters = provider;
      const meter = provider.getMeter('keymux', undefined, { schemaUrl: SCHEMA_URL });
      this.#instruments = meter === api.createNoopMeter() ? undefined : makeInstruments(meter);
    }
    return this.#instruments;
  }
}
