import { DAY_MS, MINUTE_MS } from '../core/key-state-store.js';
import type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';
import { type HeaderReader, headerReader, msUntil, parseGoDuration, parseRetryAfter } from './wire-values.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function count(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function reading(
  limit: number | undefined,
  remaining: number | undefined,
  resetMs: number | undefined,
  windowMs: number,
): LimitReading | undefined {
  if (limit === undefined && remaining === undefined && resetMs === undefined) return undefined;
  const out: Mutable<LimitReading> = { windowMs };
  if (limit !== undefined) out.limit = limit;
  if (remaining !== undefined) out.remaining = remaining;
  if (resetMs !== undefined) out.resetMs = resetMs;
  return out;
}

/** `retry-after-ms` (OpenAI's, fractional ms) wins over `retry-after` (seconds or an HTTP date). */
export function readRetryAfterMs(read: HeaderReader, now: number): number | undefined {
  const ms = read('retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const after = read('retry-after');
  return after === undefined ? undefined : parseRetryAfter(after, now);
}

function finish(info: Mutable<RateLimitInfo>, read: HeaderReader, now: number): RateLimitInfo | undefined {
  const retryAfterMs = readRetryAfterMs(read, now);
  if (retryAfterMs !== undefined) info.retryAfterMs = retryAfterMs;
  return Object.keys(info).length > 0 ? info : undefined;
}

function xRateLimit(read: HeaderReader, kind: 'requests' | 'tokens', windowMs: number) {
  const reset = read(`x-ratelimit-reset-${kind}`);
  return reading(
    count(read(`x-ratelimit-limit-${kind}`)),
    count(read(`x-ratelimit-remaining-${kind}`)),
    reset === undefined ? undefined : parseGoDuration(reset),
    windowMs,
  );
}

function openAIStyle(headers: unknown, now: number, requestsWindowMs: number): RateLimitInfo | undefined {
  const read = headerReader(headers);
  if (!read) return undefined;
  const info: Mutable<RateLimitInfo> = {};
  const requests = xRateLimit(read, 'requests', requestsWindowMs);
  const tokens = xRateLimit(read, 'tokens', MINUTE_MS);
  if (requests) info.requests = requests;
  if (tokens) info.tokens = tokens;
  return finish(info, read, now);
}

/** OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`: both per minute, resets as Go durations. */
export function parseOpenAIRateLimits(headers: unknown, now: number): RateLimitInfo | undefined {
  return openAIStyle(headers, now, MINUTE_MS);
}

/** Groq's headers have OpenAI's names, but `*-requests` counts per day (RPD) and `*-tokens` per minute. */
export function parseGroqRateLimits(headers: unknown, now: number): RateLimitInfo | undefined {
  return openAIStyle(headers, now, DAY_MS);
}

/**
 * Anthropic's `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`,
 * per minute, with resets as RFC 3339 instants turned into ms from `now`.
 */
export function parseAnthropicRateLimits(headers: unknown, now: number): RateLimitInfo | undefined {
  const read = headerReader(headers);
  if (!read) return undefined;
  const one = (kind: string): LimitReading | undefined => {
    const reset = read(`anthropic-ratelimit-${kind}-reset`);
    return reading(
      count(read(`anthropic-ratelimit-${kind}-limit`)),
      count(read(`anthropic-ratelimit-${kind}-remaining`)),
      reset === undefined ? undefined : msUntil(reset, now),
      MINUTE_MS,
    );
  };
  const info: Mutable<RateLimitInfo> = {};
  const requests = one('requests');
  const tokens = one('tokens');
  const inputTokens = one('input-tokens');
  const outputTokens = one('output-tokens');
  if (requests) info.requests = requests;
  if (tokens) info.tokens = tokens;
  if (inputTokens) info.inputTokens = inputTokens;
  if (outputTokens) info.outputTokens = outputTokens;
  return finish(info, read, now);
}

/** Only `retry-after-ms` / `retry-after`: for providers that send no limit headers (Gemini). */
export function parseRetryAfterHeaders(headers: unknown, now: number): RateLimitInfo | undefined {
  const read = headerReader(headers);
  return read ? finish({}, read, now) : undefined;
}
