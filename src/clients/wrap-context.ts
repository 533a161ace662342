import type { CallOptions, StreamDeadlines } from '../config/options.js';
import type { FallbackGate, FallbackReason, ModelTarget } from '../core/fallback.js';
import type { JobContext } from '../core/job-context.js';
import type { Traced } from '../core/telemetry.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { SpendRequest } from '../spend/spend.js';
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
    spend?: SpendRequest,
  ): Promise<T>;
  /**
   * Runs a call on its model and, when that model cannot serve, on its fallbacks: `run` sends the call
   * to one target, with `gate` in its job's call options (see `FALLBACK_GATE`).
   */
  withFallbacks<T>(
    first: ModelTarget,
    override: readonly string[] | undefined,
    run: (
      target: ModelTarget,
      gate: FallbackGate | undefined,
      reason: FallbackReason | undefined,
    ) => Promise<T>,
  ): Promise<T>;
}

export interface WrapContext {
  readonly mux: Executor;
  readonly hints: ClientHints;
  readonly call: CallOptions;
}
