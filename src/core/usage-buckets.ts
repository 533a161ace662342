/**
 * A call's tokens in buckets that never overlap, so that each is priced once: OpenAI's and Gemini's
 * prompt counts include their cached tokens, Anthropic reports cache reads and writes apart from
 * `input_tokens`; the readers in providers/usage-buckets.ts undo those differences.
 */
export interface UsageBuckets {
  /** Prompt tokens read neither from nor into a cache: the input price. */
  readonly uncachedInput: number;
  /** Prompt tokens read from the provider's cache: the cached-input price. */
  readonly cacheRead: number;
  /** Prompt tokens written to a 5-minute cache (Anthropic's default): the cache-write price. */
  readonly cacheWrite: number;
  /** Prompt tokens written to a 1-hour cache (Anthropic): the 1-hour cache-write price. */
  readonly cacheWrite1h: number;
  /** Generated tokens, reasoning excluded: the output price. */
  readonly output: number;
  /** Reasoning ("thinking") tokens the provider counts apart: billed at the output price. */
  readonly reasoning: number;
}

export const EMPTY_BUCKETS: UsageBuckets = {
  uncachedInput: 0,
  cacheRead: 0,
  cacheWrite: 0,
  cacheWrite1h: 0,
  output: 0,
  reasoning: 0,
};

export function totalTokens(b: UsageBuckets): number {
  return b.uncachedInput + b.cacheRead + b.cacheWrite + b.cacheWrite1h + b.output + b.reasoning;
}

/** A stream's events carry cumulative counts (message_start, then message_delta): keep each field's largest. */
export function maxBuckets(
  a: UsageBuckets | undefined,
  b: UsageBuckets | undefined,
): UsageBuckets | undefined {
  if (!a || !b) return a ?? b;
  return {
    uncachedInput: Math.max(a.uncachedInput, b.uncachedInput),
    cacheRead: Math.max(a.cacheRead, b.cacheRead),
    cacheWrite: Math.max(a.cacheWrite, b.cacheWrite),
    cacheWrite1h: Math.max(a.cacheWrite1h, b.cacheWrite1h),
    output: Math.max(a.output, b.output),
    reasoning: Math.max(a.reasoning, b.reasoning),
  };
}
