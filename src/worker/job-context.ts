import type { JobContext } from '../core/job-context.js';
import type { JobTrace } from '../core/telemetry.js';
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
