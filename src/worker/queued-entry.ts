import type { KeyRef } from '../core/events.js';
import { aborted } from './attempt-helpers.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import type { Job } from './job-context.js';

/**
 * A job waiting on one key: in its queue, or in a slot waiting for its rate limits. It leaves that state
 * exactly once: its call begins, it is handed back (`skip`), or its caller aborts.
 */
export class QueuedEntry {
  /** No longer waiting: begun, handed back or aborted. */
  done = false;

  constructor(
    readonly job: Job<unknown>,
    readonly attempt: number,
    readonly settle: (outcome: AttemptOutcome<unknown>) => void,
    readonly waiting: Set<QueuedEntry>,
    readonly key: KeyRef,
  ) {}

  /** The caller aborted while the job waited here. */
  readonly onAbort = (): void => {
    if (this.#leave())
      this.settle({ ok: false, skipped: false, failure: aborted(this.job.cancel), key: this.key });
  };

  /** Handed back to the dispatcher: the key stopped serving before the call began. */
  skip(): void {
    if (!this.#leave()) return;
    this.job.cancel.offAbort(this.onAbort);
    // A job aborted meanwhile (close() aborts every job, then hands the queued ones back) ends here.
    if (this.job.cancel.aborted) {
      this.settle({ ok: false, skipped: false, failure: aborted(this.job.cancel), key: this.key });
      return;
    }
    this.settle({ ok: false, skipped: true });
  }

  /** The call begins; from now on the attempt answers through `answer`. */
  begin(): void {
    if (this.#leave()) this.job.cancel.offAbort(this.onAbort);
  }

  answer(outcome: AttemptOutcome<unknown>): void {
    this.settle(outcome);
  }

  #leave(): boolean {
    if (this.done) return false;
    this.done = true;
    this.waiting.delete(this);
    return true;
  }
}
