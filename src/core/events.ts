import type { BudgetRefusal } from './errors.js';
import type { FailureClass } from './failure.js';
import type { FallbackReason } from './fallback.js';
import type { KeyCheckResult } from './key-check.js';
import type { UsageBuckets } from './usage-buckets.js';

/** How events, stats and errors name a key: never its value. */
export interface KeyRef {
  readonly provider: string;
  readonly name: string;
  readonly label: string;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** The same usage split into buckets that do not overlap, each priced apart (when the answer said). */
  readonly buckets?: UsageBuckets;
}

export interface LearnedLimits {
  readonly rpm?: number;
  readonly tpm?: number;
  readonly rpd?: number;
  readonly tpd?: number;
}

/** Every event a multiplexer emits. `at` is the injected clock's time. */
export type KeymuxEvent =
  | {
      readonly type: 'request';
      readonly at: number;
      readonly key: KeyRef;
      readonly jobId: number;
      readonly attempt: number;
    }
  | {
      readonly type: 'success';
      readonly at: number;
      readonly key: KeyRef;
      readonly jobId: number;
      readonly attempt: number;
      readonly latencyMs: number;
      readonly usage: TokenUsage | undefined;
    }
  | {
      readonly type: 'failure';
      readonly at: number;
      readonly key: KeyRef;
      readonly jobId: number;
      readonly attempt: number;
      readonly latencyMs: number;
      readonly failureClass: FailureClass;
      readonly status: number | undefined;
      readonly message: string;
    }
  | {
      readonly type: 'retry';
      readonly at: number;
      readonly key: KeyRef;
      readonly jobId: number;
      readonly attempt: number;
    }
  /**
   * A 429 rests the key until `until`: for every call, or, with `model`, for that model's calls only (the
   * provider limits each model separately; see `ProviderAdapter.limitScope`).
   */
  | {
      readonly type: 'rate-limited';
      readonly at: number;
      readonly key: KeyRef;
      readonly until: number;
      readonly model?: string;
    }
  | { readonly type: 'circuit-open'; readonly at: number; readonly key: KeyRef; readonly until: number }
  | { readonly type: 'circuit-closed'; readonly at: number; readonly key: KeyRef }
  | {
      readonly type: 'key-exhausted';
      readonly at: number;
      readonly key: KeyRef;
      readonly until: number | undefined;
    }
  | {
      readonly type: 'key-unavailable';
      readonly at: number;
      readonly key: KeyRef;
      readonly status: number | undefined;
    }
  | { readonly type: 'key-recovered'; readonly at: number; readonly key: KeyRef }
  /** A health check ran (`checkKeys` or `healthCheckInterval`); `key-recovered` follows when it revived the key. */
  | {
      readonly type: 'key-checked';
      readonly at: number;
      readonly key: KeyRef;
      readonly result: KeyCheckResult;
    }
  | { readonly type: 'key-added'; readonly at: number; readonly key: KeyRef }
  | { readonly type: 'key-removed'; readonly at: number; readonly key: KeyRef }
  | { readonly type: 'key-enabled'; readonly at: number; readonly key: KeyRef }
  | { readonly type: 'key-disabled'; readonly at: number; readonly key: KeyRef }
  | {
      readonly type: 'limits-learned';
      readonly at: number;
      readonly key: KeyRef;
      readonly limits: LearnedLimits;
      /** The model (its limit scope) the limits are of, when the provider limits each model separately. */
      readonly model?: string;
    }
  | {
      readonly type: 'concurrency-changed';
      readonly at: number;
      readonly key: KeyRef;
      readonly concurrency: number;
    }
  /** More keys failed at once than the ejection ceiling allows: a fault of the provider, not of one key. */
  | { readonly type: 'pool-degraded'; readonly at: number; readonly provider: string }
  | { readonly type: 'pool-recovered'; readonly at: number; readonly provider: string }
  /** The shared store (Redis) is away: each process paces alone at its `localShare` of each limit. */
  | { readonly type: 'store-degraded'; readonly at: number; readonly reason: string }
  | { readonly type: 'store-recovered'; readonly at: number; readonly downMs: number }
  /** A budget's spent and reserved money (or tokens) reached 80% of it in this period: once per period. */
  | {
      readonly type: 'budget-warning';
      readonly at: number;
      readonly budget: string;
      readonly used: number;
      readonly limit: number;
      readonly unit: 'usd' | 'tokens';
    }
  /** A budget refused a call (see `BudgetExceededError`). */
  | {
      readonly type: 'budget-exceeded';
      readonly at: number;
      readonly budget: string;
      readonly provider: string;
      readonly model: string | undefined;
      readonly reason: BudgetRefusal;
    }
  /** A call moved to the next model of its fallbacks; `from` and `to` are `provider/model`. */
  | {
      readonly type: 'fallback';
      readonly at: number;
      readonly from: string;
      readonly to: string;
      readonly reason: FallbackReason;
    }
  /** A call with fallbacks settled on one model (`provider/model`): served, or not. */
  | { readonly type: 'model-settled'; readonly at: number; readonly model: string; readonly ok: boolean }
  | {
      readonly type: 'job-settled';
      readonly at: number;
      readonly provider: string;
      readonly jobId: number;
      readonly ok: boolean;
      readonly attempts: number;
      /**
       * `'batch'`: the call was offloaded (`batchOffload`) and settled without a synchronous job: its batch
       * line answered it, or it was refused (budget) or cut short (close). A line re-sent synchronously
       * settles as that synchronous job instead (no `via`). Absent for every other job.
       */
      readonly via?: 'batch';
    };

export type KeymuxEventType = KeymuxEvent['type'];
export type EventOf<T extends KeymuxEventType> = Extract<KeymuxEvent, { type: T }>;
export type Listener<T extends KeymuxEventType> = (event: EventOf<T>) => void;

/** Where a listener's exception goes: a logger's warning, or a process warning. */
export type ListenerErrorReporter = (error: unknown, event: KeymuxEvent) => void;

/**
 * Without a logger, a throwing listener is reported as a process warning (`KEYMUX_LISTENER_ERROR`), once
 * per listener: a listener that throws on every event must not flood stderr.
 */
function warnOnce(): ListenerErrorReporter {
  let warned = 0;
  return (error, event) => {
    if (warned++ > 0) return;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.emitWarning(`a keymux event listener threw on a "${event.type}" event: ${reason}`, {
      code: 'KEYMUX_LISTENER_ERROR',
      detail: 'The event was still delivered to the other listeners. Further errors are not reported.',
    });
  };
}

/**
 * A small typed emitter; `'*'` listens to every event. A throwing listener never breaks the emitter nor
 * the job that emitted the event, and is never silent: its error goes to `reportListenerError`.
 */
export class EventBus {
  readonly #listeners = new Map<string, Set<(event: KeymuxEvent) => void>>();
  readonly #fallback = warnOnce();
  /** Set by the multiplexer to its logger's `warn`; a process warning otherwise. */
  reportListenerError: ListenerErrorReporter | undefined;

  on<T extends KeymuxEventType>(type: T | '*', listener: Listener<T>): () => void {
    const set = this.#listeners.get(type) ?? new Set();
    this.#listeners.set(type, set);
    const wrapped = listener as (event: KeymuxEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  emit(event: KeymuxEvent): void {
    // Two lookups, no array: this runs several times per job.
    this.#call(this.#listeners.get(event.type), event);
    this.#call(this.#listeners.get('*'), event);
  }

  #call(set: Set<(event: KeymuxEvent) => void> | undefined, event: KeymuxEvent): void {
    if (!set) return;
    for (const listener of set) {
      try {
        listener(event);
      } catch (error) {
        this.#report(error, event);
      }
    }
  }

  #report(error: unknown, event: KeymuxEvent): void {
    try {
      (this.reportListenerError ?? this.#fallback)(error, event);
    } catch {
      // A logger that throws too has nowhere left to report to.
    }
  }
}
