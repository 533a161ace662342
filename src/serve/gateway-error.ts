import {
  BudgetExceededError,
  ConfigError,
  DeadlineExceededError,
  isKeymuxError,
  NoAvailableKeyError,
  ProviderError,
  QueueFullError,
  RateLimitedError,
  RetriesExhaustedError,
  ShutdownError,
  TimeoutError,
} from '../core/errors.js';
import { type Dialect, errorBody } from './error-body.js';
import { upstreamBodyOf } from './gateway-job.js';

export interface ErrorReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined;
}

function tooMany(dialect: Dialect, message: string, retryAfterS: number): ErrorReply {
  const seconds = Math.max(1, Math.ceil(retryAfterS));
  return {
    status: 429,
    headers: { 'retry-after': String(seconds) },
    body: errorBody(dialect, 429, message, 'rate_limit_exceeded'),
  };
}

/** The provider's own error body, so its SDK raises its own class with the provider's words. */
function passThrough(dialect: Dialect, status: number, cause: unknown, message: string): ErrorReply {
  const kept = upstreamBodyOf(cause);
  const hasOwnShape = kept !== null && typeof kept === 'object' && 'error' in kept;
  const body = hasOwnShape
    ? kept
    : dialect === 'openai' && kept !== null && typeof kept === 'object'
      ? { error: kept }
      : errorBody(dialect, status, message);
  return { status, headers: {}, body };
}

/**
 * The answer to a job the multiplexer rejected: a saturated pool is the gateway's own 429 with
 * Retry-After, no key that can serve is 503, a provider's refusal of the request itself passes through.
 * Messages are keymux's (which never hold a key's value) or the provider's body, scrubbed of the key.
 */
export function errorReply(error: unknown, dialect: Dialect, earliestRetryS: () => number): ErrorReply {
  // A budget's refusal is final for this period: no Retry-After, and the code says why.
  if (error instanceof BudgetExceededError) {
    const message = `keymux: budget_exceeded: ${error.message}`;
    return { status: 429, headers: {}, body: errorBody(dialect, 429, message, 'budget_exceeded') };
  }
  if (error instanceof QueueFullError)
    return tooMany(dialect, `keymux: every key's queue is full (${error.message})`, earliestRetryS());
  if (error instanceof RateLimitedError)
    return tooMany(dialect, `keymux: ${error.message}`, (error.retryAfterMs ?? 1000) / 1000);
  if (error instanceof NoAvailableKeyError)
    return { status: 503, headers: {}, body: errorBody(dialect, 503, `keymux: ${error.message}`) };
  if (error instanceof ConfigError)
    return {
      status: 503,
      headers: {},
      body: errorBody(dialect, 503, `keymux: no key can serve: ${error.message}`),
    };
  if (error instanceof ShutdownError)
    return {
      status: 503,
      headers: {},
      body: errorBody(dialect, 503, 'keymux: the gateway is shutting down'),
    };
  // The job could not start, or try again, before the request's `x-keymux-deadline`.
  if (error instanceof DeadlineExceededError) {
    const body = errorBody(dialect, 504, `keymux: ${error.message}`, 'deadline_exceeded');
    return { status: 504, headers: {}, body };
  }
  if (error instanceof TimeoutError)
    return { status: 504, headers: {}, body: errorBody(dialect, 504, `keymux: ${error.message}`) };
  if (error instanceof ProviderError) {
    const status = httpStatusOf(error.cause) ?? error.status ?? 502;
    return passThrough(dialect, status, error.cause, error.message);
  }
  if (error instanceof RetriesExhaustedError) {
    const last = error.attempts.at(-1);
    if (last?.status === 429) return tooMany(dialect, `keymux: ${error.message}`, earliestRetryS());
    return { status: 502, headers: {}, body: errorBody(dialect, 502, `keymux: ${error.message}`) };
  }
  const message = isKeymuxError(error)
    ? `keymux: ${error.message}`
    : 'keymux: the gateway failed to relay the request';
  return { status: 502, headers: {}, body: errorBody(dialect, 502, message) };
}
