import type { IncomingHttpHeaders } from 'node:http';
import { loadedApi } from './load-api.js';

/**
 * Runs `fn` in the trace context an incoming request carries (W3C `traceparent`, through the propagator
 * the user's OpenTelemetry SDK registered), so the jobs it starts continue the caller's trace.
 */
export function withIncomingContext<T>(headers: IncomingHttpHeaders, fn: () => T): T {
  const api = loadedApi();
  if (api === undefined || headers.traceparent === undefined) return fn();
  return api.context.with(api.propagation.extract(api.context.active(), headers), fn);
}

/** Writes the active trace context (the attempt's span) into an upstream request's headers. */
export function injectContext(headers: Record<string, string>): void {
  const api = loadedApi();
  api?.propagation.inject(api.context.active(), headers);
}
