import type { TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { RateLimitInfo } from '../core/rate-limit-info.js';
import type { CheckResponse, ClientSpec, ProviderAdapter } from './adapter.js';
import { classifyError } from './classify.js';
import { parseRetryAfterHeaders } from './wire-values.js';

export interface GenericAdapterOptions<Client> {
  /** A provider name of lowercase letters, digits and dashes. */
  readonly name: string;
  /** @default the key itself: `execute(name, (apiKey) => …)` gets the raw key as its "client" */
  readonly createClient?: (spec: ClientSpec) => Client;
  /** @default `classifyError`: status codes, Retry-After, network faults */
  readonly classify?: (error: unknown) => Failure;
  readonly estimateTokens?: (request: unknown) => number;
  readonly readUsage?: (result: unknown) => TokenUsage | undefined;
  /** @default only `retry-after` / `retry-after-ms` */
  readonly readRateLimits?: (headers: Headers) => RateLimitInfo | undefined;
  /**
   * The API's cheapest authenticated call, for `checkKeys` and `healthCheckInterval`: it throws on a
   * bad key as a real call would. @default none: the provider's keys are reported as not checkable
   */
  readonly check?: (client: Client, signal: AbortSignal) => Promise<CheckResponse | undefined>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Any keyed API as a keymux provider (for `registerProvider`, `execute` and `withKeyRotation`). */
export function createGenericAdapter<Client = string>(
  options: GenericAdapterOptions<Client>,
): ProviderAdapter<Client> {
  const now = options.now ?? Date.now;
  const adapter: ProviderAdapter<Client> = {
    name: options.name,
    createClient: options.createClient ?? ((spec) => spec.apiKey as Client),
    classify: options.classify ?? ((error) => classifyError(error, now())),
    readRateLimits: options.readRateLimits ?? ((headers) => parseRetryAfterHeaders(headers, now())),
  };
  return {
    ...adapter,
    ...(options.estimateTokens ? { estimateTokens: options.estimateTokens } : {}),
    ...(options.readUsage ? { readUsage: options.readUsage } : {}),
    ...(options.check ? { check: withResponse(options.check) } : {}),
  };
}

/** A user's check may resolve with nothing: success without a status or headers to read. */
function withResponse<Client>(
  check: (client: Client, signal: AbortSignal) => Promise<CheckResponse | undefined>,
): (client: Client, signal: AbortSignal) => Promise<CheckResponse> {
  return async (client, signal) => (await check(client, signal)) ?? {};
}
