/** A Redis call that missed its deadline: the store goes local for it and counts it against Redis. */
export class StoreTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`redis did not answer within ${timeoutMs} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * Settles with the promise, or rejects at the deadline; a late answer is dropped, never unhandled. The
 * deadline gives way to an answer already waiting on the socket: when the process itself was busy (a long
 * synchronous task, a loaded machine) the timer and the reply become due together, and the timer runs first
 * in Node's loop; rejecting after one round of I/O (setImmediate) lets that reply count, so a slow process is
 * not mistaken for a slow Redis.
 */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new StoreTimeoutError(timeoutMs))), timeoutMs);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
