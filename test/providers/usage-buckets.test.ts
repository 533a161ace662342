import { describe, expect, it } from 'vitest';
import { totalTokens } from '../../src/core/usage-buckets.js';
import { readAnthropicUsage } from '../../src/providers/anthropic.js';
import { readGeminiUsage } from '../../src/providers/gemini.js';
import { readGroqUsage } from '../../src/providers/groq.js';
import { readOpenAIUsage } from '../../src/providers/openai.js';

// Usage objects in the providers' documented shapes (field names and nesting from their API references,
// see docs/provider-wire-facts.md, "Usage and cost"); the counts are chosen so that every bucket is used.
const cases = [
  {
    name: 'OpenAI Chat Completions: prompt_tokens includes cached_tokens, completion_tokens includes reasoning',
    read: readOpenAIUsage,
    result: {
      usage: {
        prompt_tokens: 2006,
        completion_tokens: 300,
        total_tokens: 2306,
        prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 128,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    },
    buckets: {
      uncachedInput: 86,
      cacheRead: 1920,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 172,
      reasoning: 128,
    },
  },
  {
    name: 'OpenAI Responses: input_tokens includes input_tokens_details.cached_tokens',
    read: readOpenAIUsage,
    result: {
      usage: {
        input_tokens: 125,
        output_tokens: 48,
        total_tokens: 173,
        input_tokens_details: { cached_tokens: 98 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
    },
    buckets: { uncachedInput: 27, cacheRead: 98, cacheWrite: 0, cacheWrite1h: 0, output: 48, reasoning: 0 },
  },
  {
    name: 'Groq stream chunk: OpenAI usage under x_groq',
    read: readGroqUsage,
    result: { x_groq: { usage: { prompt_tokens: 24, completion_tokens: 377, total_tokens: 401 } } },
    buckets: { uncachedInput: 24, cacheRead: 0, cacheWrite: 0, cacheWrite1h: 0, output: 377, reasoning: 0 },
  },
  {
    name: 'Anthropic Message: cache reads and writes come apart from input_tokens, writes split by TTL',
    read: readAnthropicUsage,
    result: {
      usage: {
        input_tokens: 50,
        cache_creation_input_tokens: 1500,
        cache_read_input_tokens: 2000,
        cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 },
        output_tokens: 503,
      },
    },
    buckets: {
      uncachedInput: 50,
      cacheRead: 2000,
      cacheWrite: 500,
      cacheWrite1h: 1000,
      output: 503,
      reasoning: 0,
    },
  },
  {
    name: 'Anthropic without the TTL split: every write is a 5-minute one',
    read: readAnthropicUsage,
    result: {
      usage: {
        input_tokens: 21,
        cache_creation_input_tokens: 188086,
        cache_read_input_tokens: 0,
        output_tokens: 393,
      },
    },
    buckets: {
      uncachedInput: 21,
      cacheRead: 0,
      cacheWrite: 188086,
      cacheWrite1h: 0,
      output: 393,
      reasoning: 0,
    },
  },
  {
    name: 'Anthropic stream message_start',
    read: readAnthropicUsage,
    result: {
      type: 'message_start',
      message: { usage: { input_tokens: 25, cache_read_input_tokens: 100, output_tokens: 1 } },
    },
    buckets: { uncachedInput: 25, cacheRead: 100, cacheWrite: 0, cacheWrite1h: 0, output: 1, reasoning: 0 },
  },
  {
    name: 'Gemini usageMetadata: promptTokenCount includes cachedContentTokenCount; thoughts apart from candidates',
    read: readGeminiUsage,
    result: {
      usageMetadata: {
        promptTokenCount: 2152,
        cachedContentTokenCount: 2048,
        candidatesTokenCount: 120,
        thoughtsTokenCount: 310,
        totalTokenCount: 2582,
      },
    },
    buckets: {
      uncachedInput: 104,
      cacheRead: 2048,
      cacheWrite: 0,
      cacheWrite1h: 0,
      output: 120,
      reasoning: 310,
    },
  },
] as const;

describe('usage in non-overlapping buckets', () => {
  it.each(cases)('$name', ({ read, result, buckets }) => {
    const usage = read(result);
    expect(usage?.buckets).toEqual(buckets);
  });

  it('no token is counted twice: the buckets add up to what the provider billed in all', () => {
    expect(totalTokens(readOpenAIUsage(cases[0].result)?.buckets ?? ({} as never))).toBe(2306);
    expect(totalTokens(readOpenAIUsage(cases[1].result)?.buckets ?? ({} as never))).toBe(173);
    expect(totalTokens(readGeminiUsage(cases[6].result)?.buckets ?? ({} as never))).toBe(2582);
  });
});
