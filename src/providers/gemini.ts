import type { TokenUsage } from '../core/events.js';
import type { UsageBuckets } from '../core/usage-buckets.js';
import type { CheckResponse, ProviderAdapter } from './adapter.js';
import type { AdapterOptions } from './adapter-options.js';
import { classifyError } from './classify.js';
import { GENAI_PACKAGE, GENERATIVE_AI_PACKAGE, GeminiClients } from './gemini-clients.js';
import { sdksReady } from './load-sdk.js';
import { estimateRequestTokens, numberAt, parseRetryAfterHeaders, type TokenProfile } from './wire-values.js';

/**
 * `generateContent` requests of both Google SDKs: `{ contents, systemInstruction, generationConfig }`
 * (@google/generative-ai) and `{ model, contents, config: { systemInstruction, maxOutputTokens } }`
 * (@google/genai). A plain string or parts array is a prompt too.
 */
export const GEMINI_TOKEN_PROFILE: TokenProfile = {
  promptFields: ['contents', 'systemInstruction', 'content', 'requests', 'history'],
  maxPaths: [
    ['generationConfig', 'maxOutputTokens'],
    ['config', 'maxOutputTokens'],
  ],
  overhead: 0,
  // embedContent / batchEmbedContents / countTokens generate nothing.
  promptOnly: (request) => request.content !== undefined || request.requests !== undefined,
};

/** `usageMetadata` of a response or stream chunk; `response.usageMetadata` for @google/generative-ai. */
export function readGeminiUsage(result: unknown): TokenUsage | undefined {
  for (const base of [['usageMetadata'], ['response', 'usageMetadata']]) {
    const input = numberAt(result, ...base, 'promptTokenCount');
    if (input === undefined) continue;
    const output =
      (numberAt(result, ...base, 'candidatesTokenCount') ?? 0) +
      (numberAt(result, ...base, 'thoughtsTokenCount') ?? 0);
    let metadata: unknown = result;
    for (const step of base) metadata = (metadata as Record<string, unknown>)[step];
    const buckets = geminiBuckets(metadata);
    return buckets
      ? { inputTokens: input, outputTokens: output, buckets }
      : { inputTokens: input, outputTokens: output };
  }
  return undefined;
}

/**
 * One page of one model from the models list, through `@google/genai` (`@google/generative-ai` has no
 * models list). Gemini sends no limit headers, so there is nothing to read but success.
 */
export async function checkGeminiKey(clients: GeminiClients, signal: AbortSignal): Promise<CheckResponse> {
  await clients.genAI.models.list({ config: { pageSize: 1, abortSignal: signal } });
  return {};
}

/** Gemini: per model per project; the `models/` prefix dropped. */
export function geminiLimitScope(model: string): string {
  return model.replace(/^models\//, '');
}
/**
 * Gemini keys, for both `@google/generative-ai` and `@google/genai`: a key's client is a
 * `GeminiClients` holding either SDK's client, built on first use. Gemini's limits come only as
 * RetryInfo on a 429, so keys with no configured limits adapt their concurrency instead.
 */
export function createGeminiAdapter(options: AdapterOptions = {}): ProviderAdapter<GeminiClients> {
  const now = options.now ?? Date.now;
  return {
    name: 'gemini',
    ready: () => sdksReady(GENERATIVE_AI_PACKAGE, GENAI_PACKAGE),
    createClient: (spec) => new GeminiClients(spec),
    classify: (error) => classifyError(error, now()),
    estimateTokens: (request) => estimateRequestTokens(request, GEMINI_TOKEN_PROFILE),
    readUsage: readGeminiUsage,
    readRateLimits: (headers) => parseRetryAfterHeaders(headers, now()),
    limitScope: geminiLimitScope,
    check: checkGeminiKey,
  };
}

const nonNegative = (n: number): number => Math.max(0, n);

/**
 * Gemini `usageMetadata`: `promptTokenCount` INCLUDES `cachedContentTokenCount`;
 * `candidatesTokenCount` excludes `thoughtsTokenCount`, which is billed as output.
 */
export function geminiBuckets(metadata: unknown): UsageBuckets | undefined {
  const prompt = numberAt(metadata, 'promptTokenCount');
  if (prompt === undefined) return undefined;
  const cached = numberAt(metadata, 'cachedContentTokenCount') ?? 0;
  return {
    uncachedInput: nonNegative(prompt - cached),
    cacheRead: cached,
    cacheWrite: 0,
    cacheWrite1h: 0,
    output: numberAt(metadata, 'candidatesTokenCount') ?? 0,
    reasoning: numberAt(metadata, 'thoughtsTokenCount') ?? 0,
  };
}
