import { type Clock, MAX_TIMER_MS, systemClock } from '../../core/clock.js';

/**
 * Calls `fire` after `ms` on the injected clock; returns what cancels it. `Infinity` sets no timer;
 * a longer delay than Node's timers hold fires at their maximum (about 24.8 days), where the caller
 * looks again. On the system clock the timer is unref'd: a stream nobody reads must not keep the
 * process alive.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): () => void {
  if (ms === Number.POSITIVE_INFINITY) return () => undefined;
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
