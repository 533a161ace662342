import type { KeyRef } from '../core/events.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import { aborted, type Job } from './job-context.js';

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
