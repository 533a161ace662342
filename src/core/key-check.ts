import type { FailureClass } from './failure.js';

/** A key's state: what its health says of it now (the worker's `KeyHealth.state()`). */
export type HealthState =
  | 'healthy'
  | 'degraded'
  | 'rate-limited'
  | 'backing-off'
  | 'circuit-open'
  | 'exhausted'
  | 'unavailable'
  | 'disabled';

/** A key's health as a check leaves it. */
export type CheckedState = HealthState;

/** One limit as a check's response headers told it. */
export interface CheckedLimit {
  readonly limit?: number;
  readonly remaining?: number;
  readonly per: 'minute' | 'day';
}

/** What the headers of a check's response said about the key's limits (Anthropic counts input and output apart). */
export interface CheckedLimits {
  readonly requests?: CheckedLimit;
  readonly tokens?: CheckedLimit;
  readonly inputTokens?: CheckedLimit;
  readonly outputTokens?: CheckedLimit;
}

/** One key's health check, as `checkKeys` resolves it and `key-checked` carries it: never the key's value. */
export interface KeyCheckResult {
  readonly provider: string;
  readonly name: string;
  /** The masked label. */
  readonly label: string;
  /** The check ran and the provider accepted the key. */
  readonly ok: boolean;
  /** Why the key was not checked: it is disabled, or its provider has no `check` call. */
  readonly skipped?: 'disabled' | 'no-check';
  /** The response's HTTP status, when there was one. */
  readonly status: number | undefined;
  readonly failureClass: FailureClass | undefined;
  /** Why it failed, with any key value scrubbed. */
  readonly message?: string;
  readonly latencyMs: number;
  /** The key's health after the check. */
  readonly state: CheckedState;
  /** From the response's limit headers, when it had any. */
  readonly limits?: CheckedLimits;
}
