import type { KeyRef, TokenUsage } from '../core/events.js';
import type { Job, JobContext } from './job-context.js';

/** What one attempt's function sees of it; a class, not closures, as one is made per attempt. */
export class AttemptContext implements JobContext {
  usage: TokenUsage | undefined;
  held: Promise<unknown> | undefined;

  constructor(
    readonly key: KeyRef,
    readonly job: Job<unknown>,
    readonly attempt: number,
  ) {}

  get jobId(): number {
    return this.job.id;
  }

  get signal(): AbortSignal {
    return this.job.cancel.signal;
  }

  hold(done: Promise<unknown>): void {
    this.held = done;
    this.job.held = done;
  }

  reportUsage(usage: TokenUsage): void {
    this.usage = usage;
  }
}
