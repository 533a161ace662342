import type { Failure, FailureClass } from '../core/failure.js';
import { causeChain, type ErrorFacts, errorFacts, errorNames, prop } from './error-facts.js';
import { googleQuotaIsDaily, googleRetryDelayMs } from './google-details.js';
import { shortMessage } from './short-message.js';
import { parseGoDuration, parseProtoDuration, readRetryAfterMs } from './wire-values.js';

const ABORT_NAMES = new Set(['AbortError', 'APIUserAbortError', 'GoogleGenerativeAIAbortError']);

const CONNECTION_NAMES = new Set([
  'APIConnectionError',
  'APIConnectionTimeoutError',
  'TimeoutError',
  'FetchError',
  'ConnectTimeoutError',
  'HeadersTimeoutError',
  'BodyTimeoutError',
  'SocketError',
]);

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

// @google/generative-ai replaces a body that broke mid-stream (`terminated`) by "Error reading from the
// stream", and one cut inside a JSON line by "Failed to parse stream", with no cause; @google/genai says
// "Incomplete JSON segment at the end".
const CONNECTION_TEXT =
  /fetch failed|terminated|socket hang up|other side closed|network error|ECONNRESET|ETIMEDOUT|error reading from the stream|failed to parse stream|incomplete json segment/i;
const EXHAUSTED_CODES = /insufficient_quota|billing|credit/i;
const EXHAUSTED_TEXT =
  /insufficient_quota|quota exceeded|exceeded your current quota|billing|credit balance/i;
const BAD_KEY_TEXT = /api key not valid|invalid api key|api_key_invalid|incorrect api key/i;

function isNetworkFault(error: unknown): boolean {
  return causeChain(error).some((e) => {
    const code = prop(e, 'code');
    const message = prop(e, 'message');
    return (
      errorNames(e).some((name) => CONNECTION_NAMES.has(name)) ||
      (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
      (typeof message === 'string' && CONNECTION_TEXT.test(message))
    );
  });
}

function quotaExhausted(facts: ErrorFacts): boolean {
  const daily = googleQuotaIsDaily(facts.details);
  if (daily !== undefined) return daily;
  return facts.codes.some((c) => EXHAUSTED_CODES.test(c)) || EXHAUSTED_TEXT.test(facts.message);
}

function classOfStatus(status: number, facts: ErrorFacts): FailureClass {
  if (status === 429) return quotaExhausted(facts) ? 'quota-exhausted' : 'rate-limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota-exhausted';
  if (status === 408 || status === 409 || status === 425 || status === 499 || status >= 500)
    return 'transient';
  // Gemini answers a bad key with 400 INVALID_ARGUMENT / API_KEY_INVALID; Anthropic an empty balance with 400.
  if (BAD_KEY_TEXT.test(facts.message) || facts.codes.includes('API_KEY_INVALID')) return 'auth';
  if (/credit balance is too low/i.test(facts.message)) return 'quota-exhausted';
  return 'bad-request';
}

/** The hint in "Please try again in 1.5s" (OpenAI, Groq) or "Please retry in 1.68s" (Gemini). */
function hintInText(message: string): number | undefined {
  const match = /(?:try again|retry) in ((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)/i.exec(message);
  if (!match?.[1]) return undefined;
  return parseGoDuration(match[1]) ?? parseProtoDuration(match[1]);
}

/**
 * On a 429 without Retry-After: how long until an empty OpenAI-style bucket holds one unit again. The
 * `reset` header is the time until the bucket is *full* (a minute at `remaining: 0`), and the bucket
 * refills continuously, so one unit comes back after `reset / (limit - remaining)`; without a limit, the
 * reset itself. The longest over the empty buckets.
 */
function emptyBucketResetMs(facts: ErrorFacts): number | undefined {
  const read = facts.headers;
  if (!read) return undefined;
  let longest: number | undefined;
  for (const kind of ['requests', 'tokens']) {
    if (read(`x-ratelimit-remaining-${kind}`) !== '0') continue;
    const reset = read(`x-ratelimit-reset-${kind}`);
    const ms = reset === undefined ? undefined : parseGoDuration(reset);
    if (ms === undefined) continue;
    const limit = Number(read(`x-ratelimit-limit-${kind}`));
    const oneUnit = Number.isInteger(limit) && limit > 0 ? ms / limit : ms;
    longest = Math.max(longest ?? 0, oneUnit);
  }
  return longest;
}

function retryAfterMs(facts: ErrorFacts, now: number): number | undefined {
  const fromHeaders = facts.headers ? readRetryAfterMs(facts.headers, now) : undefined;
  const hint = fromHeaders ?? googleRetryDelayMs(facts.details);
  if (facts.status !== 429) return hint;
  const reset = emptyBucketResetMs(facts);
  // The message's "Please try again in 1.5s" is the provider's own figure for this request (OpenAI's
  // counts the tokens it asked for): better than the bucket's one unit.
  if (hint === undefined) return hintInText(facts.message) ?? reset;
  return reset !== undefined && isRoundedUp(facts, hint, reset) ? reset : hint;
}

/**
 * `Retry-After` counts whole seconds: a 429 whose empty bucket is full again in 150 ms says 1. When the
 * hint is only that reset rounded up, the reset is the better figure (a key waits 150 ms, not a second).
 */
function isRoundedUp(facts: ErrorFacts, hint: number, reset: number): boolean {
  if (facts.headers?.('retry-after-ms') !== undefined) return false;
  return reset < hint && hint <= Math.ceil(reset / 1000) * 1000;
}

/**
 * Maps whatever a call threw to a failure class (see `FailureClass`), for any SDK's APIError-like
 * error, a fetch Response-like error or a network fault. An error with no HTTP status that is not a
 * network fault or an abort is `bad-request`: it most likely comes from the caller's own code (or a
 * response the SDK could not parse), and retrying it on every key would only repeat it.
 * `now` turns an HTTP-date Retry-After into ms. The message is short and never holds a URL's query.
 */
export function classifyError(error: unknown, now: number): Failure {
  const facts = errorFacts(error);
  const status = facts.status;
  let failureClass: FailureClass;
  if (status !== undefined) failureClass = classOfStatus(status, facts);
  else if (facts.names.some((name) => ABORT_NAMES.has(name))) failureClass = 'aborted';
  else if (isNetworkFault(error)) failureClass = 'transient';
  else failureClass = 'bad-request';
  const text = shortMessage(facts.message);
  return {
    class: failureClass,
    status,
    retryAfterMs: retryAfterMs(facts, now),
    message: status === undefined || text.startsWith(String(status)) ? text : `${status} ${text}`,
    error,
  };
}

// OpenAI `context_length_exceeded` ("This model's maximum context length is …"); Anthropic
// invalid_request_error "prompt is too long: 208656 tokens > 200000 maximum"; Gemini INVALID_ARGUMENT
// "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576)."
const CONTEXT_CODES = new Set(['context_length_exceeded']);
const CONTEXT_TEXT =
  /maximum context length|prompt is too long|input token count \(\d+\) exceeds the maximum/i;
// OpenAI `content_policy_violation` ("Your request was rejected as a result of our safety system"),
// Azure OpenAI `content_filter`, OpenAI `invalid_prompt` "… flagged as potentially violating our usage policy".
const POLICY_CODES = new Set(['content_policy_violation', 'content_filter', 'moderation_blocked']);
// Anthropic: invalid_request_error "Output blocked by content filtering policy".
const POLICY_TEXT =
  /rejected as a result of our safety system|flagged as potentially violating|blocked by content filtering policy/i;

/**
 * A bad request that is about the prompt against one model (too long for its context window, refused
 * by the provider's content policy): another model may take it. Undefined for any other error.
 */
export function promptRefusal(error: unknown): 'context-window' | 'content-policy' | undefined {
  const facts = errorFacts(error);
  if (facts.status === undefined || facts.status < 400 || facts.status >= 500) return undefined;
  if (facts.codes.some((c) => CONTEXT_CODES.has(c)) || CONTEXT_TEXT.test(facts.message))
    return 'context-window';
  if (facts.codes.some((c) => POLICY_CODES.has(c)) || POLICY_TEXT.test(facts.message))
    return 'content-policy';
  return undefined;
}
