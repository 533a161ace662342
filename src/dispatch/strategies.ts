import type { Strategy } from '../config/options.js';
import type { PickState } from '../core/pick-state.js';

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
  /** Jobs assigned so far (queued, in flight or done). */
  readonly requests: number;
  /** Order of the last assignment: higher is more recent. */
  readonly lastAssigned: number;
}

type Compare<K> = (a: K, b: K) => number;
const byLastUse: Compare<Pickable> = (a, b) => a.lastAssigned - b.lastAssigned;
const byRequests: Compare<Pickable> = (a, b) => a.requests - b.requests || byLastUse(a, b);
const byHeadroom: Compare<Pickable> = (a, b) => b.headroom - a.headroom || byLastUse(a, b);

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
      return keys.length > EXACT_UP_TO
        ? (leastLoaded(sample(keys, eligible, random), () => true) ?? leastLoaded(keys, eligible))
        : leastLoaded(keys, eligible);
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

/**
 * Above this many keys, least-loaded compares a random sample of eligible keys instead of all of them
 * (the "power of d choices": balance stays close to the exact pick, and a pick costs O(d), not O(n)).
 */
export const EXACT_UP_TO = 64;
const SAMPLE = 8;
const sampleScratch: Pickable[] = [];

/** Up to SAMPLE distinct-index eligible keys drawn at random (4 × SAMPLE draws at most). */
function sample<K extends Pickable>(
  keys: readonly K[],
  eligible: (key: K) => boolean,
  random: () => number,
): K[] {
  const out = sampleScratch as K[];
  out.length = 0;
  for (let draw = 0; draw < 4 * SAMPLE && out.length < SAMPLE; draw++) {
    const k = keys[Math.floor(random() * keys.length)]!;
    if (eligible(k) && !out.includes(k)) out.push(k);
  }
  return out;
}

/** minBy by load, reading each key's load once: this scan is the whole cost of a pick over many keys. */
function leastLoaded<K extends Pickable>(keys: readonly K[], eligible: (key: K) => boolean): K | undefined {
  let best: K | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    if (!eligible(k)) continue;
    const load = k.load;
    if (load < bestLoad || (load === bestLoad && best !== undefined && byHeadroom(k, best) < 0)) {
      best = k;
      bestLoad = load;
    }
  }
  return best;
}

/** The first eligible key that no other sorts before; ties keep the pool's order. */
function minBy<K>(keys: readonly K[], eligible: (key: K) => boolean, compare: Compare<K>): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (eligible(k) && (best === undefined || compare(k, best) < 0)) best = k;
  }
  return best;
}
