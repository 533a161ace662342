import type * as OtelApi from '@opentelemetry/api';
import { setTelemetryLoading } from '../core/telemetry.js';

export type Api = typeof OtelApi;

let loading: Promise<Api | undefined> | undefined;
let loaded: Api | undefined;

/**
 * Imports `@opentelemetry/api` (an optional peer dependency) once, in the background: started by the first
 * multiplexer whose telemetry is on. Not installed → undefined, and keymux emits nothing.
 */
export function loadApi(): Promise<Api | undefined> {
  if (loading === undefined) {
    loading = import('@opentelemetry/api').then(
      (api) => {
        loaded = api;
        return api;
      },
      () => undefined,
    );
    setTelemetryLoading(loading);
  }
  return loading;
}

/** The API once its import has finished; undefined before, or when it is not installed. */
export function loadedApi(): Api | undefined {
  return loaded;
}
