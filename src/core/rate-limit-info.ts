/** What one response's headers (or a 429's body) say about the key's limits. Windows are in ms. */
export interface RateLimitInfo {
  readonly requests?: LimitReading;
  readonly tokens?: LimitReading;
  /** Anthropic reports input and output tokens apart. */
  readonly inputTokens?: LimitReading;
  readonly outputTokens?: LimitReading;
  /** Retry-After / retry-after-ms / RetryInfo, when present. */
  readonly retryAfterMs?: number;
}

export interface LimitReading {
  readonly limit?: number;
  readonly remaining?: number;
  /** Time until the bucket is full again (OpenAI) or until the reset instant (Anthropic), in ms from now. */
  readonly resetMs?: number;
  /** The window the limit counts over: 60 000 for a per-minute limit, 86 400 000 per day (Groq's requests). */
  readonly windowMs: number;
}
