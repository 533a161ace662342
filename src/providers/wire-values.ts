// Reading values off the wire defensively: records, numbers at a path, headers (a `Headers` or a record),
// the providers' durations (Go durations, Retry-After), what their rate-limit headers say, and how many
// tokens a request's body may take (its prompt's strings and its output maximum).
import { DAY_MS, MINUTE_MS } from '../core/key-state-store.js';
import type { LimitReading, RateLimitInfo } from '../core/rate-limit-info.js';

const GO_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const GO_DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h)/;

/**
 * Milliseconds of a Go `time.Duration` string, as OpenAI and Groq write their reset headers and
 * "try again in …" hints: `12ms`, `1.5s`, `6m0s`, `2h3m4.5s`. Undefined when it is not one.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim();
  if (rest === '0') return 0;
  if (rest.length === 0) return undefined;
  let total = 0;
  while (rest.length > 0) {
    const match = GO_DURATION.exec(rest);
    if (!match) return undefined;
    const part = match[0];
    const unit = /[a-zµμ]+$/.exec(part)?.[0] ?? '';
    total += Number.parseFloat(part.slice(0, part.length - unit.length)) * (GO_UNITS[unit] ?? 0);
    rest = rest.slice(part.length);
  }
  return total;
}

/** Milliseconds of a protobuf JSON `Duration` as Gemini writes `retryDelay`: `"1.68s"`, `"30s"`. */
export function parseProtoDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(text);
  return match?.[1] === undefined ? undefined : Math.round(Number.parseFloat(match[1]) * 1000);
}

/**
 * Milliseconds from `now` of a `Retry-After` value: delay-seconds (`"2"`, `"1.5"`) or an HTTP date.
 * A date in the past gives 0.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number.parseFloat(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Milliseconds from `now` until an RFC 3339 instant (Anthropic's resets); 0 when already past. */
export function msUntil(instant: string, now: number): number | undefined {
  const at = Date.parse(instant.trim());
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Reads one header, case-insensitively, from a `Headers` or a plain record. */
export type HeaderReader = (name: string) => string | undefined;

interface HeadersLike {
  get(name: string): string | null;
}

function isHeadersLike(value: object): value is HeadersLike {
  return typeof (value as { get?: unknown }).get === 'function';
}

/**
 * The SDKs carry headers as `Headers` (OpenAI, Anthropic, Groq), others as records of strings or
 * string arrays; undefined when `headers` is neither.
 */
export function headerReader(headers: unknown): HeaderReader | undefined {
  if (headers === null || typeof headers !== 'object') return undefined;
  if (isHeadersLike(headers)) {
    return (name) => {
      const value = headers.get(name);
      return value ?? undefined;
    };
  }
  const record = headers as Record<string, unknown>;
  const lower = new Map<string, unknown>();
  for (const [name, value] of Object.entries(record)) lower.set(name.toLowerCase(), value);
  return (name) => {
    const value = lower.get(name.toLowerCase());
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    return undefined;
  };
}

/** A non-null object, read defensively (an SDK's error, a response body). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** A finite, non-negative number at `path` inside `value`, if there is one. */
export function numberAt(value: unknown, ...path: string[]): number | undefined {
  let v = value;
  for (const step of path) v = isRecord(v) ? v[step] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

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

/**
 * Output tokens reserved when a request names no maximum: enough for a typical chat answer. The real
 * count replaces the estimate when the call ends, so this only shapes pacing while the call runs.
 */
export const DEFAULT_MAX_OUTPUT_TOKENS = 256;

/**
 * About four characters a token, summed over every string inside a JSON value (as the emulator counts).
 * Walks with a stack of its own, not by recursion: a client's body may nest arrays 100 000 deep.
 */
export function textTokens(value: unknown): number {
  let sum = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') sum += Math.ceil(next.length / 4);
    else if (Array.isArray(next)) for (const item of next) pending.push(item);
    else if (isRecord(next)) for (const item of Object.values(next)) pending.push(item);
  }
  return sum;
}

/** Where one provider's request keeps its prompt and its output maximum. */
export interface TokenProfile {
  /** Fields holding prompt text (messages, system prompts, inputs). */
  readonly promptFields: readonly string[];
  /** Paths of the output maximum, first found wins. */
  readonly maxPaths: readonly (readonly string[])[];
  /** Tokens the provider adds to every chat request (OpenAI's reply priming). */
  readonly overhead: number;
  /**
   * The provider charges the larger of the prompt estimate and the output maximum, up front, and never
   * corrects it (OpenAI, Groq): the estimate is then exactly the charge.
   */
  readonly chargesLargerOf?: boolean;
  /** Requests with no output at all (embeddings, token counts): no output reservation. */
  readonly promptOnly?: (request: Readonly<Record<string, unknown>>) => boolean;
}

function at(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const step of path) v = isRecord(v) ? v[step] : undefined;
  return v;
}

/** Prompt tokens plus the output maximum (or the default): what the call may take from a token bucket. */
export function estimateRequestTokens(request: unknown, profile: TokenProfile): number {
  if (typeof request === 'string' || Array.isArray(request)) {
    return textTokens(request) + profile.overhead + DEFAULT_MAX_OUTPUT_TOKENS;
  }
  if (!isRecord(request)) return 0;
  let prompt = 0;
  for (const field of profile.promptFields) prompt += textTokens(request[field]);
  if (profile.promptOnly?.(request)) return prompt;
  let max: number | undefined;
  for (const path of profile.maxPaths) {
    const value = at(request, path);
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
      max = value;
      break;
    }
  }
  if (profile.chargesLargerOf) return Math.max(prompt + profile.overhead, max ?? 0);
  return prompt + profile.overhead + (max ?? DEFAULT_MAX_OUTPUT_TOKENS);
}
