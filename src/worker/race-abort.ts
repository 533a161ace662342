import type { Failure } from '../core/failure.js';
import type { Cancellation } from './cancellation.js';

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

/** Settles with `promise`, or rejects with the abort reason as soon as the job is aborted. */
export function raceAbort<T>(promise: Promise<T>, cancel: Cancellation): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    cancel.onAbort(reject);
    promise.then(
      (v) => {
        cancel.offAbort(reject);
        resolve(v);
      },
      (e: unknown) => {
        cancel.offAbort(reject);
        reject(e);
      },
    );
  });
}

/** Calls `fn`, turning a synchronous throw into a rejection. */
export function invoke<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}
