import type OpenAI from 'openai';
import type { TokenUsage } from '../core/events.js';
import type { CheckResponse, ClientSpec, ProviderAdapter } from './adapter.js';
import type { AdapterOptions } from './adapter-options.js';
import { classifyError } from './classify.js';
import { preferEsm } from './esm-client.js';
import { estimateRequestTokens, type TokenProfile } from './estimate-tokens.js';
import { sdksReady } from './load-sdk.js';
import { openAIBuckets } from './usage-buckets.js';
import { numberAt, parseOpenAIRateLimits } from './wire-values.js';

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
