import type { CallOptions, StreamDeadlines } from '../config/options.js';
import type { FallbackGate, FallbackReason, ModelTarget } from '../core/fallback.js';
import type { JobContext } from '../core/job-context.js';
import type { Traced, TraceSource } from '../core/telemetry.js';
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
  /**
   * Some fallbacks are configured (`fallbacks`, `contextWindowFallbacks`, `contentPolicyFallbacks`): fixed
   * when the multiplexer is made. When false (and the client names none), calls skip the fallback gate.
   * Absent: assumed true.
   */
  readonly hasFallbacks?: boolean;
  /** The call offloaded to a Batch API, or undefined when it must be sent now (`batchOffload`). */
  offload?(request: OffloadRequest, stream: boolean): Promise<unknown> | undefined;
}

/** A call that may go to a provider's Batch API (`batchOffload`), as a wrapped client hands it over. */
export interface OffloadRequest {
  readonly provider: string;
  readonly model: string;
  readonly body: Readonly<Record<string, unknown>>;
  /** Clock ms. */
  readonly deadlineAt: number;
  readonly tag: string | undefined;
  readonly spend: SpendRequest;
  /** A stable custom_id (the batch runner's line id), so a restarted process resumes its batch. */
  readonly customId?: string | undefined;
  /** The call sent synchronously: for lines that fail, expire or are late. */
  sync(): Promise<unknown>;
  /** What names the offloaded job's span (the wrapped client's call). */
  readonly source?: TraceSource | undefined;
}

export interface WrapContext {
  readonly mux: Executor;
  readonly hints: ClientHints;
  readonly call: CallOptions;
  /**
   * The client's SDK and the OpenTelemetry API have loaded (or will not): its calls need not wait for
   * them. Set by the first call that finds them loaded; neither ever unloads.
   */
  warm?: boolean;
}
