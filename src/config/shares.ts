import { ConfigError } from '../core/errors.js';
import { fail } from './describe-value.js';

/** Tag → weight: within a priority, tags share the pool in proportion (a tag not listed weighs 1). */
export type Shares = Readonly<Record<string, number>>;

const NONE: Shares = Object.freeze(Object.create(null) as Record<string, number>);

/**
 * Checks `shares` (`{ 'team-a': 3, 'team-b': 1 }`): each weight a finite number above 0. Returns a frozen
 * copy without a prototype, so a tag named `constructor` or `__proto__` is a tag like any other.
 */
export function checkShares(value: unknown, path = 'shares'): Shares {
  if (value === undefined) return NONE;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(path, "an object of tag → weight, e.g. { 'team-a': 3, 'team-b': 1 }", value);
  }
  const out = Object.create(null) as Record<string, number>;
  for (const [tag, weight] of Object.entries(value)) {
    if (tag.trim() === '') throw new ConfigError(path, 'a tag name is empty');
    const at = /^[\w.-]{1,64}$/.test(tag) ? `${path}.${tag}` : path;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      fail(at, 'a weight: a finite number above 0', weight);
    }
    out[tag] = weight;
  }
  return Object.freeze(out);
}

/** The weight of `tag` (1 when not listed, and for untagged jobs). */
export function weightOf(shares: Shares, tag: string | undefined): number {
  return tag !== undefined && Object.hasOwn(shares, tag) ? shares[tag]! : 1;
}
