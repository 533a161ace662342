import { describe, parseStrategy } from '../config/resolve.js';
import { ConfigError } from '../core/errors.js';

/** The strategies of the stateless `selectApiKey` helper; the multiplexer has more. */
export type SelectionStrategy = 'random' | 'round-robin' | 'lru' | 'weighted';

/** Also `round_robin`, and `least_recently_used` or `least-recently-used` for `lru`. */
export type SelectionStrategyName =
  | SelectionStrategy
  | 'round_robin'
  | 'least_recently_used'
  | 'least-recently-used';

export interface SelectApiKeyOptions {
  /** Selection state (round-robin position, last use) is kept per connection. */
  readonly connectionId: string;
  readonly keys: readonly string[];
  /** @default 'random' */
  readonly strategy?: SelectionStrategyName;
  /** Relative weights by key value, for `weighted`; a key not listed weighs 1, a key at 0 is never picked. */
  readonly weights?: Readonly<Record<string, number>>;
  /** @default Math.random */
  readonly random?: () => number;
}

interface ConnectionState {
  /** Picks by round-robin so far; the next one is `keys[turn % keys.length]`. */
  turn: number;
  /** A counter, not a time: LRU needs only the order of picks, and stays deterministic. */
  tick: number;
  /** Tick of each key's last pick, by key value, under any strategy. */
  readonly lastPick: Map<string, number>;
}

// The seed's selection cache: module-wide, so callers need not carry state; cleared by clearApiKeyCache.
// Bounded, least recently used out first: a server that makes a connection id per request must not grow
// it without end.
const cache = new Map<string, ConnectionState>();

/** Connections whose selection state is kept; the one used longest ago is forgotten past this. */
export const MAX_REMEMBERED_CONNECTIONS = 10_000;

const SUPPORTED: readonly string[] = [
  'random',
  'round-robin',
  'lru',
  'weighted',
] satisfies SelectionStrategy[];

/** Picks one of `keys` for the connection by strategy, and remembers the pick. */
export function selectApiKey(options: SelectApiKeyOptions): string {
  const { connectionId, keys, weights, random = Math.random } = options;
  if (typeof connectionId !== 'string') {
    throw new ConfigError(
      'connectionId',
      `Expected \`connectionId\` to be a string, got ${describe(connectionId)}`,
    );
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError('keys', 'Expected `keys` to be a non-empty array of keys, got none');
  }
  const badKey = keys.findIndex((key) => typeof key !== 'string' || key.trim() === '');
  if (badKey !== -1) throw new ConfigError(`keys[${badKey}]`, 'Expected a non-empty string');
  const strategy = parseSelection(options.strategy);
  const state = stateOf(connectionId);
  const index = pick(strategy, keys, state, weights, random);
  const key = keys[index] as string;
  state.lastPick.set(key, state.tick++);
  return key;
}

/** Forgets the selection state of one connection, or of all. */
export function clearApiKeyCache(connectionId?: string): void {
  if (connectionId === undefined) cache.clear();
  else cache.delete(connectionId);
}

function parseSelection(value: unknown): SelectionStrategy {
  if (value === undefined) return 'random';
  const names = SUPPORTED.map((s) => `\`${s}\``).join(', ');
  const strategy = (() => {
    try {
      return parseStrategy(value, 'strategy');
    } catch {
      return undefined;
    }
  })();
  if (strategy === undefined || !SUPPORTED.includes(strategy)) {
    throw new ConfigError('strategy', `Expected \`strategy\` to be one of ${names}, got ${describe(value)}`);
  }
  return strategy as SelectionStrategy;
}

function stateOf(connectionId: string): ConnectionState {
  let state = cache.get(connectionId);
  // Re-inserted on every use: a Map keeps insertion order, so its first entry is the least recently used.
  if (state !== undefined) cache.delete(connectionId);
  else state = { turn: 0, tick: 0, lastPick: new Map() };
  cache.set(connectionId, state);
  if (cache.size > MAX_REMEMBERED_CONNECTIONS) cache.delete(cache.keys().next().value as string);
  return state;
}

function pick(
  strategy: SelectionStrategy,
  keys: readonly string[],
  state: ConnectionState,
  weights: Readonly<Record<string, number>> | undefined,
  random: () => number,
): number {
  switch (strategy) {
    case 'random':
      return Math.min(Math.floor(random() * keys.length), keys.length - 1);
    case 'round-robin':
      return state.turn++ % keys.length;
    case 'lru':
      return leastRecent(keys, state.lastPick);
    case 'weighted':
      return weighted(weightsOf(keys, weights), random);
  }
}

/** Never-picked keys first, in list order; then the one picked longest ago. */
function leastRecent(keys: readonly string[], lastPick: ReadonlyMap<string, number>): number {
  let best = 0;
  let bestTick = Number.POSITIVE_INFINITY;
  for (const [index, key] of keys.entries()) {
    const tick = lastPick.get(key) ?? Number.NEGATIVE_INFINITY;
    if (tick < bestTick) {
      best = index;
      bestTick = tick;
    }
  }
  return best;
}

function weightsOf(keys: readonly string[], weights: Readonly<Record<string, number>> | undefined): number[] {
  const out = keys.map((key, index) => {
    const weight = weights !== undefined && Object.hasOwn(weights, key) ? weights[key] : 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      // The path names the key by position: the weights map is keyed by secrets.
      throw new ConfigError(
        'weights',
        `Expected the weight of keys[${index}] to be a finite number from 0 and up, got ${describe(weight)}`,
      );
    }
    return weight;
  });
  if (!out.some((weight) => weight > 0)) {
    throw new ConfigError('weights', 'Expected at least one key with a weight above 0, got all at 0');
  }
  return out;
}

/** Cumulative pick over `random() * total`; a zero weight is never chosen, even when random() returns 1. */
function weighted(weights: readonly number[], random: () => number): number {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const target = random() * total;
  let cumulative = 0;
  let last = 0;
  for (const [index, weight] of weights.entries()) {
    if (weight === 0) continue;
    cumulative += weight;
    last = index;
    if (target < cumulative) return index;
  }
  return last;
}
