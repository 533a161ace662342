import type { Strategy } from '../config/options.js';

/** What a strategy may know of a key: a read-only view, so strategies stay pure and testable. */
export interface Pickable {
  readonly name: string;
  readonly weight: number;
  /** 0–100. */
  readonly score: number;
  /** (queued + in flight) / concurrency. */
  readonly load: number;
  /** Fraction of the tightest rate limit still free: 0–1. */
  readonly headroom: number;
  readonly requests: number;
  readonly lastUsedAt: number;
}

/** State a strategy keeps between picks (the round-robin cursor). */
export interface PickState {
  cursor: number;
}

type Compare<K> = (a: K, b: K) => number;
const byLastUse: Compare<Pickable> = (a, b) => a.lastUsedAt - b.lastUsedAt;
const byRequests: Compare<Pickable> = (a, b) => a.requests - b.requests || byLastUse(a, b);
const byLoad: Compare<Pickable> = (a, b) => a.load - b.load || b.headroom - a.headroom || byLastUse(a, b);

/**
 * Picks one of the `keys` that pass `eligible`, or undefined when none does. One pass over the keys
 * and no allocation: this runs once per job, over up to thousands of keys.
 */
export function pick<K extends Pickable>(
  strategy: Exclude<Strategy, 'specific'>,
  keys: readonly K[],
  eligible: (key: K) => boolean,
  state: PickState,
  random: () => number,
): K | undefined {
  switch (strategy) {
    case 'round-robin':
      return roundRobin(keys, eligible, state);
    case 'random':
      return nth(keys, eligible, Math.floor(random() * count(keys, eligible)));
    case 'lru':
      return minBy(keys, eligible, byLastUse);
    case 'least-used':
      return minBy(keys, eligible, byRequests);
    case 'least-loaded':
      return minBy(keys, eligible, byLoad);
    case 'weighted':
      return weighted(keys, eligible, random);
  }
}

function roundRobin<K>(keys: readonly K[], eligible: (key: K) => boolean, state: PickState): K | undefined {
  const n = keys.length;
  for (let step = 0; step < n; step++) {
    const i = (state.cursor + step) % n;
    if (eligible(keys[i]!)) {
      state.cursor = (i + 1) % n;
      return keys[i];
    }
  }
  return undefined;
}

function count<K>(keys: readonly K[], eligible: (key: K) => boolean): number {
  let n = 0;
  for (const k of keys) if (eligible(k)) n++;
  return n;
}

function nth<K>(keys: readonly K[], eligible: (key: K) => boolean, index: number): K | undefined {
  let seen = 0;
  let last: K | undefined;
  for (const k of keys) {
    if (!eligible(k)) continue;
    if (seen++ === index) return k;
    last = k;
  }
  return last;
}

function weightOf(k: Pickable): number {
  return k.weight * Math.max(k.score, 1);
}

function weighted<K extends Pickable>(
  keys: readonly K[],
  eligible: (key: K) => boolean,
  random: () => number,
) {
  let total = 0;
  for (const k of keys) if (eligible(k)) total += weightOf(k);
  let point = random() * total;
  let last: K | undefined;
  for (const k of keys) {
    if (!eligible(k)) continue;
    last = k;
    point -= weightOf(k);
    if (point < 0) return k;
  }
  return last;
}

/** The first eligible key that no other sorts before; ties keep the pool's order. */
function minBy<K>(keys: readonly K[], eligible: (key: K) => boolean, compare: Compare<K>): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (eligible(k) && (best === undefined || compare(k, best) < 0)) best = k;
  }
  return best;
}
