import type { KeyRef, TokenUsage } from '../core/events.js';
import { ATTEMPT_TRACE, type AttemptTrace, JOB_TRACE, type JobTrace } from '../core/telemetry.js';
import { Cancellation } from './cancellation.js';
import type { Job, JobContext } from './job-context.js';

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
