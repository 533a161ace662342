import type { CallOptions, ResolvedOptions } from '../config/options.js';
import type { JobContext } from '../core/job-context.js';
import type { Traced } from '../core/telemetry.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { ClientHints } from './client-hints.js';

/** The options a wrapped call reads from its multiplexer: the clock and the stream deadlines. */
export type StreamOptions = Pick<
  ResolvedOptions,
  'clock' | 'streamIdleTimeoutMs' | 'streamFirstByteTimeoutMs'
>;

/**
 * The multiplexer, seen through what the wrapper uses: `execute`, the clock and stream deadlines, and the
 * provider's one adapter (built in, or given to registerProvider) for token estimates and usage.
 */
export interface Executor {
  readonly options: StreamOptions;
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
