import type { KeyRef, TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { JobContext } from '../core/job-context.js';
import { ATTEMPT_TRACE, type AttemptTrace, JOB_TRACE, type JobTrace } from '../core/telemetry.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import { Cancellation } from './cancellation.js';

export type { JobContext };

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
