/**
 * What a failed attempt means for the key and the job:
 * - `rate-limited`: the key cools down; the job fails over at once.
 * - `quota-exhausted`: the key is out until its reset or `resetKey`; the job fails over.
 * - `auth`: the key is unavailable until `resetKey`; the job fails over.
 * - `transient`: 408/409/5xx/529/connection faults; counts toward the breaker; the job fails over.
 * - `bad-request`: the caller's request is wrong; rejected at once, the key untouched.
 * - `aborted`: the caller aborted or the job timed out; the key untouched.
 */
export type FailureClass =
  | 'rate-limited'
  | 'quota-exhausted'
  | 'auth'
  | 'transient'
  | 'bad-request'
  | 'aborted';

/** A classified failure: produced by a provider's classifier from whatever the call threw. */
export interface Failure {
  readonly class: FailureClass;
  readonly status: number | undefined;
  /** The provider's hint (Retry-After, reset header, RetryInfo), when it gave one. */
  readonly retryAfterMs: number | undefined;
  readonly message: string;
  readonly error: unknown;
}

export const RETRYABLE: ReadonlySet<FailureClass> = new Set([
  'rate-limited',
  'quota-exhausted',
  'auth',
  'transient',
]);
