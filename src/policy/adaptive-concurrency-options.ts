import type { FailureClass } from '../core/failure.js';

/** What `AdaptiveConcurrency` is built from and fed with. */
export interface AdaptiveConcurrencyOptions {
  /** `'auto'` adapts between 1 and `maxConcurrencyCeiling`; a number pins the limit to exactly that. @default 'auto' */
  readonly maxConcurrentRequests?: number | 'auto';
  /** The most slots `'auto'` gives a key. @default 256 */
  readonly maxConcurrencyCeiling?: number;
  /** Slots an `'auto'` key starts with. @default 5 */
  readonly initialConcurrency?: number;
  /**
   * Requests per millisecond the key's rate limits allow (configured or learned; token limits divided by
   * the mean tokens per request), or undefined while none is known. Read on each growth decision.
   */
  readonly allowedRate?: () => number | undefined;
}

export interface CallSuccess {
  /** Start of the call to its end: for a stream, its whole life (the slot was held all along). */
  readonly latencyMs: number;
  readonly now: number;
  /** Jobs were waiting for a slot of this key when the call ended: more slots would have been used. */
  readonly saturated: boolean;
  /** A stream's time to first byte; its sample is then first byte + the mean body duration. */
  readonly firstByteMs?: number;
}

export interface CallFailure {
  readonly class: FailureClass;
  readonly latencyMs: number;
  readonly now: number;
}

/** What the limit is based on, for stats and the bench. */
export interface ConcurrencyState {
  readonly limit: number;
  readonly adaptive: boolean;
  /** ceil(rate × p90 × 1.25) when the rate is known and latencies have been seen. */
  readonly target: number | undefined;
  readonly latencyP90Ms: number;
  readonly latencyMs: number;
  readonly baselineMs: number;
}
