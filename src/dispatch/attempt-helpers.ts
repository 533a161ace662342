import type { Failure } from '../core/failure.js';
import type { Cancellation } from './cancellation.js';
import type { Job, JobContext } from './job-context.js';

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
