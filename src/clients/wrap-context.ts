import type { CallOptions, StreamDeadlines } from '../config/options.js';
import type { JobContext } from '../core/job-context.js';
import type { Traced } from '../core/telemetry.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { ClientHints } from './client-hints.js';

/**
 * The multiplexer, seen through what the wrapper uses: `execute`, the clock and stream deadlines, and the
 * provider's one adapter (built in, or given to registerProvider) for token estimates and usage.
 */
export interface Executor {
  readonly options: StreamDeadlines;
  adapterOf(provider: string): ProviderAdapter | undefined;
  execute<T>(
    provider: string,
    fn: (client: unknown, ctx: JobContext) => Promise<T>,
    options?: CallOptions & Traced,
  ): Promise<T>;
}

export interface WrapContext {
  readonly mux: Executor;
  readonly hints: ClientHints;
  readonly call: CallOptions;
}
