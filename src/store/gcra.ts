import { PACE_SLACK_MS } from './store.js';

/**
 * GCRA arithmetic on one theoretical arrival time (`tat`, ms), shared by the memory store and mirrored
 * line for line by the Lua scripts. `undefined` is a limit with no schedule yet (or one that expired idle).
 */

/** Milliseconds until the next send may go on this schedule; 0 when it may go now. */
export function waitOf(tat: number | undefined, now: number): number {
  return tat !== undefined && tat > now ? tat - now : 0;
}

/** The schedule after taking `cost` units at `now`. */
export function takeTat(
  tat: number | undefined,
  now: number,
  cost: number,
  limit: number,
  windowMs: number,
): number {
  // A send up to PACE_SLACK_MS late keeps the schedule (late timers would otherwise cost throughput for
  // good); after an idle gap the schedule restarts from now, so idleness earns no burst.
  const base = tat !== undefined && tat >= now - PACE_SLACK_MS ? tat : now;
  return base + Math.min(cost, limit) * (windowMs / limit);
}

/** The schedule after correcting a take by `delta` units: debt moves it later, a refund never before now. */
export function adjustTat(
  tat: number | undefined,
  now: number,
  delta: number,
  limit: number,
  windowMs: number,
): number | undefined {
  if (tat === undefined || delta === 0) return tat;
  const moved = tat + delta * (windowMs / limit);
  return delta > 0 ? moved : Math.max(moved, Math.min(tat, now));
}
