import type { Clock } from '../../src/core/clock.js';
import { systemClock } from '../../src/core/clock.js';

/**
 * Real time, run `scale` times faster: a minute of rate limits passes in a second, for tests that
 * drive a real server (the emulator takes the same `now`). Nothing is asserted about time itself.
 */
export function scaledClock(scale: number): Clock {
  const t0 = performance.now();
  return {
    now: () => (performance.now() - t0) * scale,
    sleep: (ms, signal) => systemClock.sleep(ms / scale, signal),
  };
}
