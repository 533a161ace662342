import type { FailureClass } from './failure.js';
import type { FallbackFailure } from './fallback.js';

export type ErrorCode =
  | 'CONFIG_ERROR'
  | 'QUEUE_FULL'
  | 'NO_AVAILABLE_KEY'
  | 'RATE_LIMITED'
  | 'PROVIDER_ERROR'
  | 'RETRIES_EXHAUSTED'
  | 'SHUTDOWN'
  | 'TIMEOUT'
  | 'ATTEMPT_TIMEOUT'
  | 'MISSING_SDK'
  | 'BUDGET_EXCEEDED'
  | 'DEADLINE_EXCEEDED';

interface KeymuxErrorOptions {
  cause?: unknown;
  provider?: string;
  keyName?: string;
  keyLabel?: string;
}

/** Base of every error keymux throws. Never holds a key's value: only its name and masked label. */
export class KeymuxError extends Error {
  readonly code: ErrorCode;
  readonly provider: string | undefined;
  readonly keyName: string | undefined;
  readonly keyLabel: string | undefined;
  /**
   * A call with fallbacks: every other model tried, in order, with why it did not serve. This error is
   * the first model's. Set once, by the fallback chain, before the error is thrown.
   */
  fallbacks: readonly FallbackFailure[] = [];

  constructor(code: ErrorCode, message: string, options: KeymuxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.provider = options.provider;
    this.keyName = options.keyName;
    this.keyLabel = options.keyLabel;
  }
}

export class ConfigError extends KeymuxError {
  /** Dotted path of the offending field, e.g. `providers.openai.keys[1].rateLimit.requestsPerMinute`. */
  readonly path: string;
  constructor(path: string, message: string, options: KeymuxErrorOptions = {}) {
    super('CONFIG_ERROR', path ? `${path}: ${message}` : message, options);
    this.path = path;
  }
}

export class QueueFullError extends KeymuxError {
  constructor(message: string, options: KeymuxErrorOptions = {}) {
    super('QUEUE_FULL', message, options);
  }
}

export class NoAvailableKeyError extends KeymuxError {
  constructor(message: string, options: KeymuxErrorOptions = {}) {
    super('NO_AVAILABLE_KEY', message, options);
  }
}

/** A provider's answer that keymux did not retry (e.g. a 400): the SDK's error is the `cause`. */
export class ProviderError extends KeymuxError {
  readonly status: number | undefined;
  readonly failureClass: FailureClass;
  constructor(
    message: string,
    failureClass: FailureClass,
    status: number | undefined,
    options: KeymuxErrorOptions = {},
  ) {
    super('PROVIDER_ERROR', message, options);
    this.failureClass = failureClass;
    this.status = status;
  }
}

/**
 * A fallback target that cannot carry the request as it is (another provider's API through a translation
 * that would drop its tools, images or response format): it is skipped with reason `unsupported`.
 */
export class UnsupportedTargetError extends ProviderError {
  constructor(message: string, provider: string) {
    super(message, 'bad-request', undefined, { provider });
  }
}

/** One failed attempt of a job, as kept by `RetriesExhaustedError`. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly keyName: string;
  readonly keyLabel: string;
  readonly failureClass: FailureClass;
  readonly status: number | undefined;
  readonly message: string;
  readonly error: unknown;
}

export class RetriesExhaustedError extends KeymuxError {
  readonly attempts: readonly AttemptRecord[];
  constructor(
    message: string,
    attempts: readonly AttemptRecord[],
    options: KeymuxErrorOptions = {},
    code: ErrorCode = 'RETRIES_EXHAUSTED',
  ) {
    super(code, message, options);
    this.attempts = attempts;
  }
}

/**
 * Every attempt of the job met a 429 (each on another key, or the pool has one key). `retryAfterMs`:
 * when the earliest key may be tried again, if any will be.
 */
export class RateLimitedError extends RetriesExhaustedError {
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    retryAfterMs: number | undefined,
    attempts: readonly AttemptRecord[] = [],
    options: KeymuxErrorOptions = {},
  ) {
    super(message, attempts, options, 'RATE_LIMITED');
    this.retryAfterMs = retryAfterMs;
  }
}

export class ShutdownError extends KeymuxError {
  constructor(message = 'the multiplexer is closed', options: KeymuxErrorOptions = {}) {
    super('SHUTDOWN', message, options);
  }
}

export class TimeoutError extends KeymuxError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options: KeymuxErrorOptions = {}) {
    super('TIMEOUT', `the job did not settle within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** One attempt on one key took longer than `attemptTimeoutMs`: a failure of that key, not of the caller. */
export class AttemptTimeoutError extends KeymuxError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options: KeymuxErrorOptions = {}) {
    super('ATTEMPT_TIMEOUT', `the attempt got no answer within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

export class MissingSdkError extends KeymuxError {
  readonly packageName: string;
  constructor(packageName: string, options: KeymuxErrorOptions = {}) {
    super(
      'MISSING_SDK',
      `this client needs the package \`${packageName}\`: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
  }
}

/** Why a budget refused a call: it would cross its limit, or the call's cost cannot be known before it is sent. */
export type BudgetRefusal = 'exceeded' | 'unknown-price' | 'unbounded-output' | 'store-unavailable';

/**
 * A budget refused a call before it was sent: the call's worst case would cross it, its model has no
 * price (a USD budget), or it names no output maximum and its model has no known cap. Names the budget,
 * never a key.
 */
export class BudgetExceededError extends KeymuxError {
  readonly budget: string;
  readonly reason: BudgetRefusal;
  constructor(budget: string, reason: BudgetRefusal, message: string, options: KeymuxErrorOptions = {}) {
    super('BUDGET_EXCEEDED', message, options);
    this.budget = budget;
    this.reason = reason;
  }
}

/**
 * The job's `deadline` passed before it could start, or before its next attempt after failed ones: a job
 * never starts an attempt after its deadline. Names the deadline, never a key; `attempts` holds what
 * was tried before (empty when nothing was).
 */
export class DeadlineExceededError extends KeymuxError {
  /** The deadline, in ms on the multiplexer's clock. */
  readonly deadline: number;
  readonly attempts: readonly AttemptRecord[];
  constructor(
    deadline: number,
    /** The deadline on the wall clock, for the message. */
    wallTime: Date,
    attempts: readonly AttemptRecord[],
    options: KeymuxErrorOptions = {},
  ) {
    const when =
      attempts.length === 0
        ? 'before the job could start'
        : `before its next attempt (${attempts.length} failed)`;
    const stamp = Number.isNaN(wallTime.getTime()) ? String(deadline) : wallTime.toISOString();
    super(
      'DEADLINE_EXCEEDED',
      `${options.provider ?? 'keymux'}: the deadline (${stamp}) passed ${when}`,
      options,
    );
    this.deadline = deadline;
    this.attempts = attempts;
  }
}

export function isKeymuxError(value: unknown): value is KeymuxError {
  return value instanceof KeymuxError;
}
