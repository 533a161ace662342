import type { UsageBuckets } from '../core/usage-buckets.js';
import { numberAt } from './wire-values.js';

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
