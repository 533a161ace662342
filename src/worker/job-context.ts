import type { KeyRef, TokenUsage } from '../core/events.js';
import { Cancellation } from './cancellation.js';

/** What a job's function learns of the attempt it runs in. */
export interface JobContext {
  readonly key: KeyRef;
  readonly jobId: number;
  /** 1-based; a job moves to another key on each retryable failure. */
  readonly attempt: number;
  /** Aborts when the caller aborts, the job's deadline passes or the multiplexer is force-closed. */
  readonly signal: AbortSignal;
  /** Keeps this key's concurrency slot until `done` settles: a stream holds its slot until consumed. */
  hold(done: Promise<unknown>): void;
  /** The call's real usage, reconciled against the estimate when the slot is released. */
  reportUsage(usage: TokenUsage): void;
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
}

/**
 * A job and its abort state in one object: thousands wait in queues at once, so each costs what it must.
 * `release` undoes the links to a caller's signal and deadline, when there are any.
 */
export class QueuedJob<T> extends Cancellation implements Job<T> {
  release: (() => void) | undefined;

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
}
