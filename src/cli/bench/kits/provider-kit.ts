import type { BuiltinProvider } from '../../../config/options.js';
import type { TokenUsage } from '../../../core/events.js';
import type { BenchJob } from '../workload.js';

/** How a baseline client is built: the SDK as users build it, retries at the SDK's default. */
export interface BaselineClientSpec {
  readonly apiKey: string;
  readonly baseURL: string | undefined;
  /** Sees every HTTP request the SDK makes, retries included; not every SDK takes one. */
  readonly fetch: typeof fetch;
}

export interface CallSpec {
  /** `x-keymux-job-id`, which the emulator's ledger records. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/** What the bench needs of one provider's official SDK. */
export interface ProviderKit {
  readonly provider: BuiltinProvider;
  readonly model: string;
  /** The base URL that makes the SDK call the emulator at `url`. */
  emulatorBaseURL(url: string): string;
  /** Whether `createClient` routes requests through the given fetch (so retries can be counted). */
  readonly observesFetch: boolean;
  createClient(spec: BaselineClientSpec): unknown;
  /** One chat completion of `job` on a client made by `createClient` or by keymux. */
  call(client: unknown, job: BenchJob, spec: CallSpec): Promise<TokenUsage | undefined>;
}
