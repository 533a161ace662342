import type { KeyRef, TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { BudgetedJob, JobBudget, JobContext } from '../core/job-context.js';
import type { CostLine } from '../core/key-counters.js';
import { ATTEMPT_TRACE, type AttemptTrace, JOB_TRACE, type JobTrace } from '../core/telemetry.js';

export type { BudgetedJob, JobBudget, JobContext };

/** How one attempt on one key ended. `skipped`: the key went out of service before the call started. */
export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly skipped: true }
  | { readonly ok: false; readonly skipped: false; readonly failure: Failure; readonly key: KeyRef };

/** Told once when a cancellation aborts: a function, or an object (a queued job is its own listener, no closure). */
export type AbortListener = ((reason: unknown) => void) | { handleAbort(reason: unknown): void };

/** What only some cancellations need: made on first use, so a job nobody aborts or listens to has none. */
interface AbortState {
  aborted: boolean;
  reason: unknown;
  listeners: AbortListener[] | undefined;
  controller: AbortController | undefined;
}

/**
 * A job's abort state. Cheaper than an AbortController per job: listeners are plain callbacks (Node's
 * EventTarget costs microseconds per listener), and the AbortSignal handed to user code and SDKs is
 * only built when someone asks for it. One field until then: thousands of jobs wait at once.
 */
export class Cancellation {
  #state: AbortState | undefined;

  get aborted(): boolean {
    return this.#state?.aborted === true;
  }

  get reason(): unknown {
    return this.#state?.reason;
  }

  /** A standard signal that follows this cancellation. */
  get signal(): AbortSignal {
    const state = this.#use();
    if (!state.controller) {
      state.controller = new AbortController();
      if (state.aborted) state.controller.abort(state.reason);
    }
    return state.controller.signal;
  }

  abort(reason: unknown): void {
    const state = this.#use();
    if (state.aborted) return;
    state.aborted = true;
    state.reason = reason;
    const listeners = state.listeners;
    state.listeners = undefined;
    for (const listener of listeners ?? []) tell(listener, reason);
    state.controller?.abort(reason);
  }

  /** Calls `listener` once on abort, at once if already aborted. */
  onAbort(listener: AbortListener): void {
    const state = this.#use();
    if (state.aborted) {
      tell(listener, state.reason);
      return;
    }
    state.listeners ??= [];
    state.listeners.push(listener);
  }

  offAbort(listener: AbortListener): void {
    const listeners = this.#state?.listeners;
    const i = listeners?.indexOf(listener) ?? -1;
    if (i >= 0) listeners?.splice(i, 1);
  }

  throwIfAborted(): void {
    if (this.#state?.aborted) throw this.#state.reason;
  }

  #use(): AbortState {
    this.#state ??= { aborted: false, reason: undefined, listeners: undefined, controller: undefined };
    return this.#state;
  }
}

function tell(listener: AbortListener, reason: unknown): void {
  if (typeof listener === 'function') listener(reason);
  else listener.handleAbort(reason);
}

/** A job as the worker runs it. */
export interface Job<T> {
  readonly id: number;
  readonly tokens: number;
  readonly priority: number;
  readonly cancel: Cancellation;
  /** A caller's signal or deadline can abort it (close() aborts every job in any case). */
  readonly abortable: boolean;
  readonly fn: (client: unknown, ctx: JobContext) => Promise<T>;
  /** What the job's key slot is held on after it settled (a stream handed out), so close() can end it. */
  held?: Promise<unknown> | undefined;
  /** Its spans and metrics, when someone traces it. */
  readonly trace?: JobTrace | undefined;
  /** When it must have started by, in ms on the clock: no attempt begins after it. */
  readonly deadline?: number | undefined;
  /**
   * The limit scope of its model (`ProviderAdapter.limitScope`), where the provider limits models
   * separately: the key's rate-limit state of that scope paces it. Undefined: the key's state alone.
   */
  readonly limitScope?: string | undefined;
  /** Where each attempt's usage is counted for the stats' cost figures, when the call has a model. */
  readonly costLine?: CostLine | undefined;
  /** The budgets, when some may cover it (src/spend): each attempt reserves before its call and settles after. */
  readonly budget?: JobBudget | undefined;
  /** What the budgets read of it (see BudgetedJob). */
  readonly tag?: string | undefined;
  readonly spend?: unknown;
  /** Told that an attempt's call begins on a key (it is no longer waiting). */
  began?(): void;
  /** Told how an attempt on a key ended, exactly once per attempt; the dispatcher decides what next. */
  report(outcome: AttemptOutcome<T>): void;
}

/**
 * A job and its abort state in one object: thousands wait in queues at once, so each costs what it must.
 * `release` undoes the links to a caller's signal and deadline, when there are any.
 */
export abstract class QueuedJob<T> extends Cancellation implements Job<T> {
  release: (() => void) | undefined;
  held: Promise<unknown> | undefined;
  trace: JobTrace | undefined;

  constructor(
    readonly id: number,
    readonly tokens: number,
    readonly priority: number,
    readonly fn: (client: unknown, ctx: JobContext) => Promise<T>,
  ) {
    super();
  }

  get cancel(): Cancellation {
    return this;
  }

  get abortable(): boolean {
    return this.release !== undefined;
  }

  abstract report(outcome: AttemptOutcome<T>): void;
}

/** The failure of a job whose caller aborted, or whose deadline passed: rejected with the reason as given. */
export function aborted(cancel: Cancellation): Failure {
  return {
    class: 'aborted',
    status: undefined,
    retryAfterMs: undefined,
    message: 'aborted',
    error: cancel.reason,
  };
}

/** Runs the job's function on the key's client; a synchronous throw (no SDK, a bug) becomes a rejection. */
export function call<T>(job: Job<T>, client: () => unknown, ctx: JobContext): Promise<T> {
  try {
    return job.fn(client(), ctx);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * One attempt of a job on one key: what its function sees (a JobContext), and its own cancellation,
 * which follows the job's and also ends when the attempt's deadline passes. One object per attempt.
 */
export class AttemptContext extends Cancellation implements JobContext {
  usage: TokenUsage | undefined;
  held: Promise<unknown> | undefined;
  /** The attempt has been answered (value, failure, abort or timeout): later outcomes are the key's only. */
  answered = false;
  /** Set when the attempt's own deadline ended it: the key failed, not the caller. */
  timedOut = false;

  constructor(
    readonly key: KeyRef,
    readonly job: Job<unknown>,
    readonly attempt: number,
    readonly startedAt: number,
    trace: AttemptTrace | undefined,
  ) {
    super();
    this[ATTEMPT_TRACE] = trace;
  }

  /** Its span and metrics, when someone traces the job. */
  readonly [ATTEMPT_TRACE]: AttemptTrace | undefined;

  get [JOB_TRACE](): JobTrace | undefined {
    return this.job.trace;
  }

  get jobId(): number {
    return this.job.id;
  }

  hold(done: Promise<unknown>): void {
    this.held = done;
    this.job.held = done;
  }

  reportUsage(usage: TokenUsage): void {
    this.usage = usage;
  }
}

/** Where a queued entry waits: told when the entry leaves before its call begins. */
export interface EntryOwner {
  readonly ref: KeyRef;
  left(entry: QueuedEntry): void;
}

/**
 * A job waiting on one key: in its queue, or in a slot waiting for its rate limits. It leaves that state
 * exactly once: its call begins, it is handed back (`skip`), or its caller aborts. It is its own abort
 * listener and its own heap entry, so a queued job costs this object and nothing more.
 */
export class QueuedEntry {
  /** No longer waiting: begun, handed back or aborted. */
  done = false;
  /** Still in the key's queue (not yet given a slot). */
  queued = true;

  constructor(
    readonly job: Job<unknown>,
    readonly attempt: number,
    readonly owner: EntryOwner,
    /** Higher starts first: the job's priority minus its age in aging steps. */
    readonly rank: number,
  ) {}

  /** The caller aborted while the job waited here. */
  handleAbort(): void {
    if (this.#leave())
      this.answer({ ok: false, skipped: false, failure: aborted(this.job.cancel), key: this.owner.ref });
  }

  /** Handed back to the dispatcher: the key stopped serving before the call began. */
  skip(): void {
    if (!this.#leave()) return;
    this.job.cancel.offAbort(this);
    // A job aborted meanwhile (close() aborts every job, then hands the queued ones back) ends here.
    if (this.job.cancel.aborted) {
      this.answer({ ok: false, skipped: false, failure: aborted(this.job.cancel), key: this.owner.ref });
      return;
    }
    this.answer({ ok: false, skipped: true });
  }

  /** The call begins; from now on the attempt answers through `answer`. */
  begin(): void {
    if (!this.#leave()) return;
    this.job.cancel.offAbort(this);
    this.job.began?.();
  }

  answer(outcome: AttemptOutcome<unknown>): void {
    this.job.report(outcome);
  }

  #leave(): boolean {
    if (this.done) return false;
    this.done = true;
    this.owner.left(this);
    return true;
  }
}
