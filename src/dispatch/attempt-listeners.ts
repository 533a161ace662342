import type { EventBus, KeyRef, TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { AdaptiveConcurrency } from '../policy/adaptive-concurrency.js';
import type { EjectionGuard, HealthChange } from '../policy/health.js';
import type { SharedGate } from '../policy/shared-gate.js';

/** How one attempt on a key ended, after the key's health took it in. */
interface AttemptReport {
  readonly at: number;
  readonly latencyMs: number;
  readonly jobId: number;
  readonly attempt: number;
}

export interface SuccessReport extends AttemptReport {
  /** Set for a stream: when its first chunk came, ms after the call started. */
  readonly firstByteMs: number | undefined;
  /** Jobs waited for a slot: more slots would have been used. */
  readonly saturated: boolean;
  /** The success closed the key's breaker. */
  readonly closedBreaker: boolean;
  readonly usage: TokenUsage | undefined;
}

export interface FailureReport extends AttemptReport {
  readonly failure: Failure;
  /** What the failure did to the key (a cooldown, its quota, its breaker), if anything. */
  readonly change: HealthChange | undefined;
}

/**
 * Told how each attempt on a key ended, exactly once (the shape of Netflix concurrency-limits'
 * `Limiter.Listener`): the key's worker reports the outcome, and each collaborator takes what it needs.
 */
export interface AttemptListener {
  onSuccess(report: SuccessReport): void;
  onFailure(report: FailureReport): void;
}

/** The state shared with other processes: the breaker's verdict and the key's cooldowns. */
function sharedListener(shared: SharedGate): AttemptListener {
  return {
    onSuccess: (r) => shared.onSuccess(r.closedBreaker),
    onFailure: (r) => shared.onFailure(r.change),
  };
}

/** The concurrency limit, adapting to latency. */
function concurrencyListener(concurrency: AdaptiveConcurrency): AttemptListener {
  return {
    onSuccess: ({ latencyMs, at: now, saturated, firstByteMs }) =>
      concurrency.onSuccess(
        firstByteMs === undefined
          ? { latencyMs, now, saturated }
          : { latencyMs, now, saturated, firstByteMs },
      ),
    onFailure: ({ failure, latencyMs, at: now }) =>
      concurrency.onFailure({ class: failure.class, latencyMs, now }),
  };
}

/** The events (and through them the stats and the logs). */
function eventsListener(events: EventBus, key: KeyRef): AttemptListener {
  return {
    onSuccess: ({ at, jobId, attempt, latencyMs, usage }) =>
      events.emit({ type: 'success', at, key, jobId, attempt, latencyMs, usage }),
    onFailure: ({ at, jobId, attempt, latencyMs, failure, change }) => {
      events.emit({
        type: 'failure',
        at,
        key,
        jobId,
        attempt,
        latencyMs,
        failureClass: failure.class,
        status: failure.status,
        message: failure.message,
      });
      if (change && change.type !== 'ejection-held') events.emit({ ...change, at, key });
    },
  };
}

/** The pool's ejection ceiling: a held breaker degrades the pool, a success ends that. */
function guardListener(guard: EjectionGuard): AttemptListener {
  return {
    onSuccess: (r) => guard.onSuccess(r.at),
    onFailure: (r) => {
      if (r.change?.type === 'ejection-held') guard.onHeld(r.at);
    },
  };
}

/** A key's listeners, in the order they hear an outcome. */
export function attemptListeners(key: {
  readonly ref: KeyRef;
  readonly events: EventBus;
  readonly concurrency: AdaptiveConcurrency;
  readonly shared?: SharedGate | undefined;
  readonly guard: EjectionGuard | undefined;
}): readonly AttemptListener[] {
  return [
    ...(key.shared ? [sharedListener(key.shared)] : []),
    ...(key.guard ? [guardListener(key.guard)] : []),
    concurrencyListener(key.concurrency),
    eventsListener(key.events, key.ref),
  ];
}
