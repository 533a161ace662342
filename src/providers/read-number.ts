import { isRecord } from './error-facts.js';

/** A finite, non-negative number at `path` inside `value`, if there is one. */
export function numberAt(value: unknown, ...path: string[]): number | undefined {
  let v = value;
  for (const step of path) v = isRecord(v) ? v[step] : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}
