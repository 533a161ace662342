import ms from 'ms';
import { type Clock, systemClock } from '../core/clock.js';
import { fail } from './describe-value.js';

/** A deadline as a caller gives it: a duration from the call (`'90s'`, `'6h'`, ms as a number) or a Date. */
export type DeadlineInput = Date | string | number;

const DURATION_HINT = "a duration above 0 ('90s', '6h', '2 days', a number of ms) or a valid Date";

/**
 * Checks a `deadline` option and returns it as given (a duration is counted from each call, not from
 * when a client was made). Durations are read by `ms` (vercel/ms): `'500ms'`, `'90s'`, `'6h'`, `'2d'`.
 * A Date already past is not an error here: the call fails with `DeadlineExceededError`.
 */
export function checkDeadline(value: unknown, path: string): DeadlineInput {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) fail(path, DURATION_HINT, 'an invalid Date');
    return value;
  }
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) fail(path, DURATION_HINT, value);
    return value;
  }
  if (typeof value === 'string') {
    const parsed = ms(value.trim() as ms.StringValue) as number | undefined;
    if (parsed === undefined || !(parsed > 0)) fail(path, DURATION_HINT, value);
    return value;
  }
  return fail(path, DURATION_HINT, value);
}

/**
 * The deadline as a time on `clock` (ms, the clock's own epoch): a duration from now, or a Date moved
 * onto the clock by its distance from the wall clock's now (a manual clock's epoch is not 1970's).
 */
export function deadlineAt(deadline: DeadlineInput, clock: Clock, wallNow: number = Date.now()): number {
  // On the system clock a Date is already a time on it (exact; two reads a moment apart would not be).
  if (deadline instanceof Date && clock === systemClock) return deadline.getTime();
  const now = clock.now();
  if (deadline instanceof Date) return now + (deadline.getTime() - wallNow);
  return now + (typeof deadline === 'number' ? deadline : (ms(deadline.trim() as ms.StringValue) as number));
}
