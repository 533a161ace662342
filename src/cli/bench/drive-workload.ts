import { setMaxListeners } from 'node:events';
import type { TokenUsage } from '../../core/events.js';
import type { StopReason } from './bench-result.js';
import { describeFailure, type RunRecorder } from './run-recorder.js';
import type { BenchJob } from './workload.js';

export interface DriveOptions {
  readonly jobs: readonly BenchJob[];
  /** Jobs kept outstanding at once: the same for every run, enough to saturate every key. */
  readonly concurrency: number;
  /** No new job starts after this long (ms); jobs in flight finish. */
  readonly budgetMs?: number;
  /** No new job starts once this many have (a hard cap for runs against a real provider). */
  readonly maxJobs?: number;
  readonly signal?: AbortSignal;
  /** Runs one job; resolves with the key that answered, when known, and the answer's usage. */
  run(job: BenchJob, signal: AbortSignal): Promise<JobAnswer>;
}

export interface JobAnswer {
  readonly key: string | undefined;
  readonly usage: TokenUsage | undefined;
}

/**
 * Keeps `concurrency` jobs outstanding until the workload, the time budget or the cap runs out. The
 * driver never retries: whatever retrying happens is the client's own, which is what is compared.
 */
export async function driveWorkload(options: DriveOptions, recorder: RunRecorder): Promise<StopReason> {
  const signal = options.signal ?? new AbortController().signal;
  // Every outstanding job listens to the run's signal (keymux and the SDK both do): more than Node's default 10.
  setMaxListeners(0, signal);
  const deadline =
    options.budgetMs === undefined ? Number.POSITIVE_INFINITY : recorder.now() + options.budgetMs;
  const limit = Math.min(options.jobs.length, options.maxJobs ?? Number.POSITIVE_INFINITY);
  let next = 0;
  let stoppedBy: StopReason = 'done';
  recorder.start();
  const lane = async (): Promise<void> => {
    for (;;) {
      if (signal.aborted) {
        stoppedBy = 'interrupted';
        return;
      }
      if (recorder.now() >= deadline && next < limit) {
        stoppedBy = 'time-budget';
        return;
      }
      if (next >= limit) {
        if (limit < options.jobs.length) stoppedBy = 'request-cap';
        return;
      }
      const job = options.jobs[next++]!;
      const startedAt = recorder.jobStarted();
      try {
        const { key, usage } = await options.run(job, signal);
        recorder.jobEnded(startedAt, { ok: true, key, usage });
      } catch (error) {
        recorder.jobEnded(startedAt, { ok: false, failure: describeFailure(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
  recorder.finish();
  return stoppedBy;
}
