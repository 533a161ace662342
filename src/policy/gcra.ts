import { MINUTE_MS, PACE_SLACK_MS } from '../core/key-state-store.js';

/**
 * GCRA arithmetic on one limit's theoretical arrival time (`tat`, ms) and its floor from provider readings
 * (`notBefore`): the one implementation, used by the worker's GcraBucket and the memory store. The Redis
 * store's Lua (`GCRA_LUA` in store/lua/clock.ts) is tested against it decision by decision
 * (test/store/gcra-lua.property.test.ts). `undefined` is a limit with no schedule yet (or one that expired
 * idle). Limits over a minute or less are paced, a unit every window / limit; longer ones (per day) allow
 * the whole limit at once, as providers do.
 */

export function isPaced(windowMs: number): boolean {
  return windowMs <= MINUTE_MS;
}

/** Milliseconds until the next send may go; 0 when it may go now. */
export function waitOf(
  tat: number | undefined,
  notBefore: number | undefined,
  now: number,
  limit: number,
  windowMs: number,
): number {
  const due = tat === undefined ? now : isPaced(windowMs) ? tat : tat - windowMs + windowMs / limit;
  const at = Math.max(due, notBefore ?? now);
  return at > now ? at - now : 0;
}

/** The schedule after taking `cost` units at `now`. */
export function takeTat(
  tat: number | undefined,
  now: number,
  cost: number,
  limit: number,
  windowMs: number,
): number {
  // A send up to PACE_SLACK_MS late (a timer firing late) keeps the schedule, or every late timer would
  // cost throughput for good; but never more than half an interval: a provider's bucket may hold only one
  // send more than its pace (a burst of 2), and the other half is the network's jitter. After an idle gap
  // the schedule restarts from now, so idleness earns no burst.
  const slack = isPaced(windowMs) ? Math.min(PACE_SLACK_MS, windowMs / limit / 2) : 0;
  const base = tat !== undefined && tat >= now - slack ? tat : now;
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

/** How far ahead of now a time runs; 0 when it has passed. */
export function aheadOf(at: number | undefined, now: number): number {
  return at !== undefined && at > now ? at - now : 0;
}
