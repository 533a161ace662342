import { describe, expect, it } from 'vitest';
import { DAY_MS, MINUTE_MS } from '../../src/core/key-state-store.js';
import {
  parseAnthropicRateLimits,
  parseGroqRateLimits,
  parseOpenAIRateLimits,
  parseRetryAfterHeaders,
} from '../../src/providers/wire-values.js';

const now = Date.parse('2025-06-01T12:00:00Z');

describe('parseOpenAIRateLimits', () => {
  it('reads requests and tokens per minute with Go-duration resets', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '199970',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(parseOpenAIRateLimits(headers, now)).toEqual({
      requests: { limit: 500, remaining: 499, resetMs: 120, windowMs: MINUTE_MS },
      tokens: { limit: 200_000, remaining: 199_970, resetMs: 360_000, windowMs: MINUTE_MS },
    });
  });

  it('reads a plain record, case-insensitively, and partial readings', () => {
    expect(
      parseOpenAIRateLimits(
        { 'X-RateLimit-Remaining-Tokens': '10', 'X-RateLimit-Reset-Tokens': '2h3m4.5s' },
        now,
      ),
    ).toEqual({ tokens: { remaining: 10, resetMs: 7_384_500, windowMs: MINUTE_MS } });
  });

  it('adds retry-after-ms over retry-after', () => {
    const headers = new Headers({ 'retry-after': '3', 'retry-after-ms': '1234.5' });
    expect(parseOpenAIRateLimits(headers, now)).toEqual({ retryAfterMs: 1234.5 });
    expect(parseOpenAIRateLimits(new Headers({ 'retry-after': '3' }), now)).toEqual({ retryAfterMs: 3000 });
  });

  it('is undefined with no limit headers, and ignores malformed values', () => {
    expect(parseOpenAIRateLimits(new Headers({ 'content-type': 'application/json' }), now)).toBeUndefined();
    expect(parseOpenAIRateLimits(undefined, now)).toBeUndefined();
    expect(
      parseOpenAIRateLimits(
        new Headers({ 'x-ratelimit-limit-requests': 'lots', 'x-ratelimit-reset-requests': 'later' }),
        now,
      ),
    ).toBeUndefined();
  });
});

describe('parseGroqRateLimits', () => {
  it('reads requests per day and tokens per minute', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-limit-tokens': '18000',
      'x-ratelimit-remaining-tokens': '17997',
      'x-ratelimit-reset-tokens': '7.66s',
      'retry-after': '2',
    });
    expect(parseGroqRateLimits(headers, now)).toEqual({
      requests: { limit: 14_400, remaining: 14_370, resetMs: 179_560, windowMs: DAY_MS },
      tokens: { limit: 18_000, remaining: 17_997, resetMs: 7660, windowMs: MINUTE_MS },
      retryAfterMs: 2000,
    });
  });
});

describe('parseAnthropicRateLimits', () => {
  it('reads all four families with RFC 3339 resets relative to now', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2025-06-01T12:00:02Z',
      'anthropic-ratelimit-tokens-limit': '90000',
      'anthropic-ratelimit-tokens-remaining': '89000',
      'anthropic-ratelimit-tokens-reset': '2025-06-01T12:00:01.5Z',
      'anthropic-ratelimit-input-tokens-limit': '40000',
      'anthropic-ratelimit-input-tokens-remaining': '39500',
      'anthropic-ratelimit-input-tokens-reset': '2025-06-01T12:01:00Z',
      'anthropic-ratelimit-output-tokens-limit': '8000',
      'anthropic-ratelimit-output-tokens-remaining': '8000',
      'anthropic-ratelimit-output-tokens-reset': '2025-06-01T11:59:00Z',
    });
    expect(parseAnthropicRateLimits(headers, now)).toEqual({
      requests: { limit: 50, remaining: 49, resetMs: 2000, windowMs: MINUTE_MS },
      tokens: { limit: 90_000, remaining: 89_000, resetMs: 1500, windowMs: MINUTE_MS },
      inputTokens: { limit: 40_000, remaining: 39_500, resetMs: 60_000, windowMs: MINUTE_MS },
      outputTokens: { limit: 8000, remaining: 8000, resetMs: 0, windowMs: MINUTE_MS },
    });
  });

  it('reads retry-after as an HTTP date too', () => {
    const headers = new Headers({ 'retry-after': 'Sun, 01 Jun 2025 12:00:09 GMT' });
    expect(parseAnthropicRateLimits(headers, now)).toEqual({ retryAfterMs: 9000 });
  });

  it('ignores OpenAI headers', () => {
    expect(parseAnthropicRateLimits(new Headers({ 'x-ratelimit-limit-requests': '5' }), now)).toBeUndefined();
  });
});

describe('parseRetryAfterHeaders', () => {
  it('reads only the retry hints', () => {
    expect(parseRetryAfterHeaders(new Headers({ 'retry-after': '7' }), now)).toEqual({ retryAfterMs: 7000 });
    expect(parseRetryAfterHeaders(new Headers({ 'x-ratelimit-limit-requests': '5' }), now)).toBeUndefined();
  });
});
