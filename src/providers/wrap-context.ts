import type { CallOptions } from '../config/options.js';
import type { JobContext } from '../core/job-context.js';
import type { ProviderAdapter } from './adapter.js';
import type { ClientHints } from './client-hints.js';

/** What `execute` needs: the multiplexer, seen through the one method the wrapper uses. */
export interface Executor {
  execute<T>(
    provider: string,
    fn: (client: unknown, ctx: JobContext) => Promise<T>,
    options?: CallOptions,
  ): Promise<T>;
}

export interface WrapContext {
  readonly mux: Executor;
  readonly hints: ClientHints;
  readonly adapter: ProviderAdapter;
  readonly call: CallOptions;
}
