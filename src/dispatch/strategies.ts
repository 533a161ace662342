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

/**
 * Picks one of `eligible` (never empty), which are in the pool's order; `order` is the index of each in
 * the whole pool so round-robin keeps its place when keys drop in and out.
 */
export function pick<K extends Pickable>(
  strategy: Exclude<Strategy, 'specific'>,
  eligible: readonly K[],
  order: readonly number[],
  state: PickState,
  random: () => number,
): K {
  switch (strategy) {
    case 'round-robin':
      return roundRobin(eligible, order, state);
    case 'random':
      return eligible[Math.min(eligible.length - 1, Math.floor(random() * eligible.length))]!;
    case 'lru':
      return minBy(eligible, (a, b) => a.lastUsedAt - b.lastUsedAt);
    case 'least-used':
      return minBy(eligible, (a, b) => a.requests - b.requests || a.lastUsedAt - b.lastUsedAt);
    case 'least-loaded':
      return minBy(
        eligible,
        (a, b) => a.load - b.load || b.headroom - a.headroom || a.lastUsedAt - b.lastUsedAt,
      );
    case 'weighted':
      return weighted(eligible, random);
  }
}

function roundRobin<K>(eligible: readonly K[], order: readonly number[], state: PickState): K {
  let chosen = 0;
  for (let i = 0; i < order.length; i++) {
    if (order[i]! >= state.cursor) {
      chosen = i;
      break;
    }
  }
  state.cursor = order[chosen]! + 1;
  return eligible[chosen]!;
}

function weighted<K extends Pickable>(eligible: readonly K[], random: () => number): K {
  const weights = eligible.map((k) => k.weight * Math.max(k.score, 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let point = random() * total;
  for (let i = 0; i < eligible.length; i++) {
    point -= weights[i]!;
    if (point < 0) return eligible[i]!;
  }
  return eligible[eligible.length - 1]!;
}

/** The first key that no other key sorts before; ties keep the pool's order. */
function minBy<K>(items: readonly K[], compare: (a: K, b: K) => number): K {
  let best = items[0]!;
  for (let i = 1; i < items.length; i++) {
    if (compare(items[i]!, best) < 0) best = items[i]!;
  }
  return best;
}
