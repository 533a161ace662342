import { type Clock, systemClock } from '../core/clock.js';

/** setTimeout's longest delay; longer ones would fire at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` after `ms` on the injected clock; returns what cancels it. On the system clock the
 * timer is unref'd: a stream nobody reads must not keep the process alive.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  const delay = Math.min(Math.max(0, ms), MAX_TIMER_MS);
  if (clock === systemClock) {
    const timer = setTimeout(fire, delay);
    timer.unref();
    return () => clearTimeout(timer);
  }
  const cancel = new AbortController();
  clock.sleep(delay, cancel.signal).then(fire, () => undefined);
  return () => cancel.abort();
}
