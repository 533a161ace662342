import type { TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { RateLimitInfo } from '../core/rate-limit-info.js';

/** What a health check's call returned: its status and headers, when the SDK exposes them. */
export interface CheckResponse {
  readonly status?: number;
  readonly headers?: Headers;
}

/** What a key's SDK client is built from. */
export interface ClientSpec {
  readonly apiKey: string;
  readonly baseURL: string | undefined;
  /** Observes every HTTP response of this key's client, so limit headers keep its buckets in step. */
  readonly fetch: typeof fetch;
}

/**
 * Everything keymux knows of one provider. Built-in adapters wrap the official SDKs; a generic one
 * serves any keyed API through `registerProvider`.
 */
export interface ProviderAdapter<Client = unknown> {
  readonly name: string;
  /** Undefined when clients can be built now; else a promise of when (an SDK's ESM build loading). */
  ready?(): Promise<void> | undefined;
  /** Builds the client of one key, with the SDK's own retries off. */
  createClient(spec: ClientSpec): Client;
  /** Maps whatever a call threw to a failure class (see `FailureClass`). */
  classify(error: unknown): Failure;
  /** Tokens a request will use, estimated before it is sent (prompt size and max output). */
  estimateTokens?(request: unknown): number;
  /**
   * The provider counts a request's estimate against its limits and never corrects it with the real
   * usage (OpenAI, Groq): the buckets then keep the estimate too.
   */
  readonly chargesEstimate?: boolean;
  /** Real usage, read from a call's result. */
  readUsage?(result: unknown): TokenUsage | undefined;
  /** Limit headers of any response. */
  readRateLimits?(headers: Headers): RateLimitInfo | undefined;
  /**
   * The scope of the provider's rate limits a request of `model` counts against, when the provider limits
   * each model (or model class) separately within a key: the key then keeps its buckets learned from
   * headers and its 429 cooldowns per scope, so a limit of one model holds back no other. Absent: one
   * rate-limit state for the whole key (a generic adapter's default).
   */
  limitScope?(model: string): string;
  /**
   * The provider's cheapest authenticated call (a models list), for health checks. It throws what a
   * real call would throw, so `classify` judges it the same way.
   */
  check?(client: Client, signal: AbortSignal): Promise<CheckResponse>;
}
