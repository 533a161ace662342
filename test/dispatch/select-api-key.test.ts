import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  clearApiKeyCache,
  MAX_REMEMBERED_CONNECTIONS,
  type SelectApiKeyOptions,
  type SelectionStrategyName,
  selectApiKey,
} from '../../src/dispatch/select-api-key.js';

const KEYS = ['sk-key1', 'sk-key2', 'sk-key3'] as const;
const CANARY = 'sk-canary-DO-NOT-LEAK-1234567890';

afterEach(() => clearApiKeyCache());

/** mulberry32: a small seeded PRNG, so distribution checks are exact and repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Returns the given values in turn. */
function pinned(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

function picks(n: number, options: Omit<SelectApiKeyOptions, 'connectionId'>, connectionId = 'c1'): string[] {
  return Array.from({ length: n }, () => selectApiKey({ connectionId, ...options }));
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).not.toContain(CANARY);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('selectApiKey: random (the default)', () => {
  it('maps random() onto the list', () => {
    expect(picks(4, { keys: KEYS, random: pinned(0, 0.34, 0.67, 0.999999) })).toEqual([
      'sk-key1',
      'sk-key2',
      'sk-key3',
      'sk-key3',
    ]);
  });

  it('stays in range when random() returns 1', () => {
    expect(selectApiKey({ connectionId: 'c', keys: KEYS, random: () => 1 })).toBe('sk-key3');
  });

  it('returns the only key', () => {
    expect(selectApiKey({ connectionId: 'c', keys: ['only'] })).toBe('only');
  });
});

describe('selectApiKey: round-robin', () => {
  it('cycles in order, per connection', () => {
    expect(picks(7, { keys: KEYS, strategy: 'round-robin' })).toEqual([
      'sk-key1',
      'sk-key2',
      'sk-key3',
      'sk-key1',
      'sk-key2',
      'sk-key3',
      'sk-key1',
    ]);
    expect(picks(2, { keys: KEYS, strategy: 'round-robin' }, 'c2')).toEqual(['sk-key1', 'sk-key2']);
    expect(picks(1, { keys: KEYS, strategy: 'round-robin' })).toEqual(['sk-key2']);
  });

  it('accepts the underscore spelling', () => {
    expect(picks(4, { keys: KEYS, strategy: 'round_robin' })).toEqual([
      'sk-key1',
      'sk-key2',
      'sk-key3',
      'sk-key1',
    ]);
  });
});

describe('selectApiKey: the selection cache is bounded', () => {
  it('forgets the connection used longest ago past MAX_REMEMBERED_CONNECTIONS, keeps the recent ones', () => {
    const rr = { keys: KEYS, strategy: 'round-robin' } as const;
    expect(picks(1, rr, 'oldest')).toEqual(['sk-key1']);
    expect(picks(1, rr, 'kept')).toEqual(['sk-key1']);
    for (let i = 0; i < MAX_REMEMBERED_CONNECTIONS - 2; i++) picks(1, rr, `filler-${i}`);
    // Used again: 'kept' becomes the most recent, so the next new connection pushes 'oldest' out.
    expect(picks(1, rr, 'kept')).toEqual(['sk-key2']);
    picks(1, rr, 'one-more');
    expect(picks(1, rr, 'kept')).toEqual(['sk-key3']);
    expect(picks(1, rr, 'oldest')).toEqual(['sk-key1']);
  });
});

describe('selectApiKey: lru', () => {
  it('picks never-used keys first in list order, then the one used longest ago', () => {
    expect(picks(6, { keys: KEYS, strategy: 'lru' })).toEqual([
      'sk-key1',
      'sk-key2',
      'sk-key3',
      'sk-key1',
      'sk-key2',
      'sk-key3',
    ]);
  });

  it('counts picks made by other strategies on the same connection', () => {
    selectApiKey({ connectionId: 'c', keys: KEYS, random: () => 0.5 }); // sk-key2
    selectApiKey({ connectionId: 'c', keys: KEYS, random: () => 0 }); // sk-key1
    const lru = picks(3, { keys: KEYS, strategy: 'least_recently_used' }, 'c');
    expect(lru).toEqual(['sk-key3', 'sk-key2', 'sk-key1']);
  });

  it('a key added later is picked next', () => {
    picks(3, { keys: KEYS, strategy: 'lru' });
    expect(picks(2, { keys: [...KEYS, 'sk-key4'], strategy: 'lru' })).toEqual(['sk-key4', 'sk-key1']);
  });
});

describe('selectApiKey: weighted', () => {
  const weights = { 'sk-key1': 1, 'sk-key2': 2, 'sk-key3': 3 };

  it('exact picks for pinned random values (cumulative 1, 3, 6 of 6)', () => {
    const random = pinned(0, 0.16, 0.17, 0.49, 0.5, 0.99, 1);
    expect(picks(7, { keys: KEYS, strategy: 'weighted', weights, random })).toEqual([
      'sk-key1',
      'sk-key1',
      'sk-key2',
      'sk-key2',
      'sk-key3',
      'sk-key3',
      'sk-key3',
    ]);
  });

  it('a key not listed weighs 1; a key at 0 is never picked, even at the edges', () => {
    const zero = { 'sk-key2': 0, 'sk-key3': 2 };
    const random = pinned(0, 0.33, 0.34, 0.999, 1);
    expect(picks(5, { keys: KEYS, strategy: 'weighted', weights: zero, random })).toEqual([
      'sk-key1',
      'sk-key1',
      'sk-key3',
      'sk-key3',
      'sk-key3',
    ]);
    const first = { 'sk-key1': 0 };
    expect(picks(1, { keys: KEYS, strategy: 'weighted', weights: first, random: () => 0 })).toEqual([
      'sk-key2',
    ]);
  });

  // The tolerance is about 5 standard deviations of the share at these counts.
  it('is fair over many picks with a seeded PRNG', () => {
    const n = 60_000;
    const counts = new Map<string, number>();
    for (const key of picks(n, { keys: KEYS, strategy: 'weighted', weights, random: seeded(42) })) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, weight] of Object.entries(weights)) {
      expect(Math.abs((counts.get(key) ?? 0) / n - weight / 6)).toBeLessThan(0.01);
    }
  });

  it('without weights is uniform', () => {
    const n = 30_000;
    const all = picks(n, { keys: KEYS, strategy: 'weighted', random: seeded(7) });
    for (const key of KEYS)
      expect(Math.abs(all.filter((k) => k === key).length / n - 1 / 3)).toBeLessThan(0.01);
  });
});

describe('clearApiKeyCache', () => {
  it('clears one connection, leaving the others', () => {
    picks(2, { keys: KEYS, strategy: 'round-robin' }, 'a');
    picks(2, { keys: KEYS, strategy: 'round-robin' }, 'b');
    clearApiKeyCache('a');
    expect(picks(1, { keys: KEYS, strategy: 'round-robin' }, 'a')).toEqual(['sk-key1']);
    expect(picks(1, { keys: KEYS, strategy: 'round-robin' }, 'b')).toEqual(['sk-key3']);
  });

  it('clears every connection', () => {
    picks(2, { keys: KEYS, strategy: 'round-robin' }, 'a');
    picks(1, { keys: KEYS, strategy: 'lru' }, 'b');
    clearApiKeyCache();
    expect(picks(1, { keys: KEYS, strategy: 'round-robin' }, 'a')).toEqual(['sk-key1']);
    expect(picks(1, { keys: KEYS, strategy: 'lru' }, 'b')).toEqual(['sk-key1']);
  });

  it('clearing an unknown connection is harmless', () => {
    expect(() => clearApiKeyCache('nobody')).not.toThrow();
  });
});

describe('selectApiKey: errors', () => {
  it('empty keys', () => {
    expect(configError(() => selectApiKey({ connectionId: 'c', keys: [] })).path).toBe('keys');
  });

  it('an empty key in the list', () => {
    expect(configError(() => selectApiKey({ connectionId: 'c', keys: [CANARY, ' '] })).path).toBe('keys[1]');
  });

  it('an unknown or unsupported strategy', () => {
    const unknown = 'fastest' as SelectionStrategyName;
    expect(configError(() => selectApiKey({ connectionId: 'c', keys: KEYS, strategy: unknown })).path).toBe(
      'strategy',
    );
    const leastLoaded = 'least-loaded' as SelectionStrategyName;
    const e = configError(() => selectApiKey({ connectionId: 'c', keys: KEYS, strategy: leastLoaded }));
    expect(e.message).toContain('`weighted`');
  });

  it('negative, non-finite or all-zero weights, without naming the key', () => {
    const call = (weights: Record<string, number>) => () =>
      selectApiKey({
        connectionId: 'c',
        keys: [CANARY, 'sk-other-0123456789'],
        strategy: 'weighted',
        weights,
      });
    expect(configError(call({ [CANARY]: -1 })).path).toBe('weights');
    expect(configError(call({ [CANARY]: Number.NaN })).message).toContain('keys[0]');
    expect(configError(call({ [CANARY]: 0, 'sk-other-0123456789': 0 })).path).toBe('weights');
  });

  it('a failed call leaves the state untouched', () => {
    configError(() =>
      selectApiKey({ connectionId: 'c', keys: KEYS, strategy: 'weighted', weights: { 'sk-key1': -1 } }),
    );
    expect(picks(1, { keys: KEYS, strategy: 'round-robin' }, 'c')).toEqual(['sk-key1']);
  });
});
