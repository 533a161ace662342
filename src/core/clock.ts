/** The only source of time for the dispatcher and workers, so tests can run on a manual clock. */
export interface Clock {
  /** Milliseconds since an arbitrary epoch; only differences matter. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal, options?: SleepOptions): Promise<void>;
}

export interface SleepOptions {
  /** The timer alone must not keep the process alive (background health checks). @default false */
  readonly unref?: boolean;
}

/** Node's timers take at most this; a longer sleep ends here, and every caller looks again when it wakes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal, options) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.min(MAX_TIMER_MS, Math.max(0, ms)),
      );
      if (options?.unref) timer.unref();
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * A time on `clock` as a wall-clock Date (for messages). On the system clock the two are one: exact,
 * where reading both clocks a moment apart would be off by a millisecond.
 */
export function wallTimeOf(at: number, clock: Clock): Date {
  return new Date(clock === systemClock ? at : Date.now() + (at - clock.now()));
}
