import type OpenAI from 'openai';
import type { TokenUsage } from '../core/events.js';
import type { UsageBuckets } from '../core/usage-buckets.js';
import type { CheckResponse, ClientSpec, ProviderAdapter } from './adapter.js';
import type { AdapterOptions } from './adapter-options.js';
import { classifyError } from './classify.js';
import { preferEsm } from './esm-client.js';
import { sdksReady } from './load-sdk.js';
import { estimateRequestTokens, numberAt, parseOpenAIRateLimits, type TokenProfile } from './wire-values.js';

export const OPENAI_PACKAGE = 'openai';

/** Chat Completions, Responses, Completions and Embeddings request shapes. */
export const OPENAI_TOKEN_PROFILE: TokenProfile = {
  promptFields: ['messages', 'input', 'instructions', 'prompt'],
  maxPaths: [['max_completion_tokens'], ['max_tokens'], ['max_output_tokens']],
  overhead: 3,
  chargesLargerOf: true,
  promptOnly: (request) =>
    request.messages === undefined && typeof request.model === 'string' && /embed/i.test(request.model),
};

/**
 * Usage of a Chat Completions or Completions result (`prompt_tokens`/`completion_tokens`), a Responses
 * result (`input_tokens`/`output_tokens`) or an Embeddings result (prompt only).
 */
export function readOpenAIUsage(result: unknown): TokenUsage | undefined {
  const input = numberAt(result, 'usage', 'prompt_tokens') ?? numberAt(result, 'usage', 'input_tokens');
  if (input === undefined) return undefined;
  const output =
    numberAt(result, 'usage', 'completion_tokens') ?? numberAt(result, 'usage', 'output_tokens') ?? 0;
  const buckets = openAIBuckets((result as { usage: unknown }).usage);
  return buckets
    ? { inputTokens: input, outputTokens: output, buckets }
    : { inputTokens: input, outputTokens: output };
}

export function createOpenAIClient(spec: ClientSpec): OpenAI {
  return preferEsm(
    OPENAI_PACKAGE,
    (sdk: typeof import('openai')) =>
      new sdk.OpenAI({
        apiKey: spec.apiKey,
        maxRetries: 0,
        fetch: spec.fetch,
        ...(spec.baseURL === undefined ? {} : { baseURL: spec.baseURL }),
      }),
  );
}

/** The models list: authenticated, and not counted against the key's chat limits. */
export async function checkOpenAIKey(client: OpenAI, signal: AbortSignal): Promise<CheckResponse> {
  const { response } = await client.models.list({ signal }).withResponse();
  return { status: response.status, headers: response.headers };
}

/** OpenAI: per model; a dated snapshot counts with its model (`gpt-4.1-2025-04-14` is `gpt-4.1`). */
export function openAILimitScope(model: string): string {
  return model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
}
/** The `openai` package, with keymux as the only retry loop (`maxRetries: 0`). */
export function createOpenAIAdapter(options: AdapterOptions = {}): ProviderAdapter<OpenAI> {
  const now = options.now ?? Date.now;
  return {
    name: 'openai',
    ready: () => sdksReady(OPENAI_PACKAGE),
    createClient: createOpenAIClient,
    classify: (error) => classifyError(error, now()),
    estimateTokens: (request) => estimateRequestTokens(request, OPENAI_TOKEN_PROFILE),
    chargesEstimate: true,
    readUsage: readOpenAIUsage,
    readRateLimits: (headers) => parseOpenAIRateLimits(headers, now()),
    limitScope: openAILimitScope,
    check: checkOpenAIKey,
  };
}

const nonNegative = (n: number): number => Math.max(0, n);

/**
 * OpenAI and Groq: `prompt_tokens` (Chat Completions) or `input_tokens` (Responses) INCLUDES
 * `prompt_tokens_details.cached_tokens` / `input_tokens_details.cached_tokens`; `completion_tokens` /
 * `output_tokens` INCLUDES `completion_tokens_details.reasoning_tokens` / `output_tokens_details.reasoning_tokens`.
 * `usage` is the usage object itself.
 */
export function openAIBuckets(usage: unknown): UsageBuckets | undefined {
  const prompt = numberAt(usage, 'prompt_tokens') ?? numberAt(usage, 'input_tokens');
  if (prompt === undefined) return undefined;
  const completion = numberAt(usage, 'completion_tokens') ?? numberAt(usage, 'output_tokens') ?? 0;
  const cached =
    numberAt(usage, 'prompt_tokens_details', 'cached_tokens') ??
    numberAt(usage, 'input_tokens_details', 'cached_tokens') ??
    0;
  const reasoning =
    numberAt(usage, 'completion_tokens_details', 'reasoning_tokens') ??
    numberAt(usage, 'output_tokens_details', 'reasoning_tokens') ??
    0;
  return {
    uncachedInput: nonNegative(prompt - cached),
    cacheRead: cached,
    cacheWrite: 0,
    cacheWrite1h: 0,
    output: nonNegative(completion - reasoning),
    reasoning,
  };
}
