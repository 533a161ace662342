import type Anthropic from '@anthropic-ai/sdk';
import type { TokenUsage } from '../core/events.js';
import type { UsageBuckets } from '../core/usage-buckets.js';
import type { CheckResponse, ClientSpec, ProviderAdapter } from './adapter.js';
import type { AdapterOptions } from './adapter-options.js';
import { classifyError } from './classify.js';
import { preferEsm } from './esm-client.js';
import { sdksReady } from './load-sdk.js';
import {
  estimateRequestTokens,
  numberAt,
  parseAnthropicRateLimits,
  type TokenProfile,
} from './wire-values.js';

export const ANTHROPIC_PACKAGE = '@anthropic-ai/sdk';

export const ANTHROPIC_TOKEN_PROFILE: TokenProfile = {
  promptFields: ['messages', 'system'],
  maxPaths: [['max_tokens']],
  overhead: 0,
  // messages.countTokens takes a request without max_tokens and generates nothing.
  promptOnly: (request) => request.max_tokens === undefined,
};

/**
 * A Message's `usage` (input + tokens written to the prompt cache, which count toward input limits),
 * or a stream's `message_start` / `message_delta` event.
 */
export function readAnthropicUsage(result: unknown): TokenUsage | undefined {
  const usage =
    numberAt(result, 'usage', 'output_tokens') !== undefined
      ? 'usage'
      : numberAt(result, 'message', 'usage', 'output_tokens') !== undefined
        ? 'message'
        : undefined;
  if (usage === undefined) return undefined;
  const base = usage === 'usage' ? ['usage'] : ['message', 'usage'];
  const input =
    (numberAt(result, ...base, 'input_tokens') ?? 0) +
    (numberAt(result, ...base, 'cache_creation_input_tokens') ?? 0);
  const buckets =
    anthropicBuckets(usage === 'usage' ? (result as { usage: unknown }).usage : undefined) ??
    anthropicBuckets((result as { message?: { usage?: unknown } }).message?.usage);
  const outputTokens = numberAt(result, ...base, 'output_tokens') ?? 0;
  return buckets ? { inputTokens: input, outputTokens, buckets } : { inputTokens: input, outputTokens };
}

export function createAnthropicClient(spec: ClientSpec): Anthropic {
  return preferEsm(
    ANTHROPIC_PACKAGE,
    (sdk: typeof import('@anthropic-ai/sdk')) =>
      new sdk.Anthropic({
        apiKey: spec.apiKey,
        maxRetries: 0,
        fetch: spec.fetch,
        ...(spec.baseURL === undefined ? {} : { baseURL: spec.baseURL }),
      }),
  );
}

/** One page of one model from the models list: authenticated, and generates nothing. */
export async function checkAnthropicKey(client: Anthropic, signal: AbortSignal): Promise<CheckResponse> {
  const { response } = await client.models.list({ limit: 1 }, { signal }).withResponse();
  return { status: response.status, headers: response.headers };
}

/**
 * Anthropic: per model class ("Claude Sonnet 4.x" covers `claude-sonnet-4-5` and `claude-sonnet-4-6`);
 * older names (`claude-3-5-haiku-20241022`) per model, without their date.
 */
export function anthropicLimitScope(model: string): string {
  const family = /^claude-(opus|sonnet|haiku)-(\d+)(?:[-.]|$)/.exec(model);
  return family ? `claude-${family[1]}-${family[2]}` : model.replace(/-\d{8}$/, '');
}
/** The `@anthropic-ai/sdk` package; its 529 overloaded answers are transient. */
export function createAnthropicAdapter(options: AdapterOptions = {}): ProviderAdapter<Anthropic> {
  const now = options.now ?? Date.now;
  return {
    name: 'anthropic',
    ready: () => sdksReady(ANTHROPIC_PACKAGE),
    createClient: createAnthropicClient,
    classify: (error) => classifyError(error, now()),
    estimateTokens: (request) => estimateRequestTokens(request, ANTHROPIC_TOKEN_PROFILE),
    readUsage: readAnthropicUsage,
    readRateLimits: (headers) => parseAnthropicRateLimits(headers, now()),
    limitScope: anthropicLimitScope,
    check: checkAnthropicKey,
  };
}

const nonNegative = (n: number): number => Math.max(0, n);

/**
 * Anthropic: `input_tokens` counts only what is neither read from nor written to the cache;
 * `cache_read_input_tokens` and `cache_creation_input_tokens` come apart, the latter split by TTL in
 * `cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens` (absent: all 5-minute).
 * `output_tokens` includes thinking, which Anthropic does not count apart.
 */
export function anthropicBuckets(usage: unknown): UsageBuckets | undefined {
  const output = numberAt(usage, 'output_tokens');
  if (output === undefined) return undefined;
  const written = numberAt(usage, 'cache_creation_input_tokens') ?? 0;
  const oneHour = numberAt(usage, 'cache_creation', 'ephemeral_1h_input_tokens') ?? 0;
  return {
    uncachedInput: numberAt(usage, 'input_tokens') ?? 0,
    cacheRead: numberAt(usage, 'cache_read_input_tokens') ?? 0,
    cacheWrite: nonNegative(written - oneHour),
    cacheWrite1h: oneHour,
    output,
    reasoning: 0,
  };
}
