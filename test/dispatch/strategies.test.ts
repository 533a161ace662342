import { describe, expect, it } from 'vitest';
import { EXACT_UP_TO, type Pickable, pick } from '../../src/dispatch/strategies.js';
import { seededRandom } from '../../src/emulator/random.js';

function key(name: string, over: Partial<Pickable> = {}): Pickable {
  return {
    name,
    weight: 1,
    score: 100,
    load: 0,
    headroom: 1,
    requests: 0,
    lastAssigned: 0,
    ...over,
  };
}

const prng = seededRandom;

const all = () => true;

describe('strategies', () => {
  it('round-robin cycles in order and keeps its place when keys drop out', () => {
    const keys = [key('a'), key('b'), key('c')];
    const state = { cursor: 0 };
    const names = Array.from({ length: 6 }, () => pick('round-robin', keys, all, state, Math.random)?.name);
    expect(names).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    // b is not eligible: after a comes c, then a again.
    const state2 = { cursor: 0 };
    const notB = (k: Pickable) => k.name !== 'b';
    expect(pick('round-robin', keys, all, state2, Math.random)?.name).toBe('a');
    expect(pick('round-robin', keys, notB, state2, Math.random)?.name).toBe('c');
    expect(pick('round-robin', keys, notB, state2, Math.random)?.name).toBe('a');
    expect(pick('round-robin', keys, () => false, state2, Math.random)).toBeUndefined();
  });

  it('round-robin is exactly fair over many picks', () => {
    const keys = Array.from({ length: 7 }, (_, i) => key(`k${i}`));
    const state = { cursor: 0 };
    const counts = new Map<string, number>();
    for (let i = 0; i < 7000; i++) {
      const k = pick('round-robin', keys, all, state, Math.random)!;
      counts.set(k.name, (counts.get(k?.name) ?? 0) + 1);
    }
    expect([...counts.values()]).toEqual(Array(7).fill(1000));
  });

  it('random picks by the injected random, uniformly over many picks', () => {
    const keys = [key('a'), key('b'), key('c'), key('d')];
    expect(pick('random', keys, all, { cursor: 0 }, () => 0)?.name).toBe('a');
    expect(pick('random', keys, all, { cursor: 0 }, () => 0.5)?.name).toBe('c');
    expect(pick('random', keys, all, { cursor: 0 }, () => 0.999)?.name).toBe('d');
    const rand = prng(42);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[keys.indexOf(pick('random', keys, all, { cursor: 0 }, rand)!)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('every strategy skips ineligible keys and returns undefined when none is eligible', () => {
    const keys = [key('a', { load: 0 }), key('b', { load: 1 })];
    for (const s of ['round-robin', 'random', 'lru', 'least-used', 'least-loaded', 'weighted'] as const) {
      expect(
        pick(
          s,
          keys,
          (k) => k.name === 'b',
          { cursor: 0 },
          () => 0.3,
        )?.name,
      ).toBe('b');
      expect(
        pick(
          s,
          keys,
          () => false,
          { cursor: 0 },
          () => 0.3,
        ),
      ).toBeUndefined();
    }
  });

  it('lru picks the key used longest ago, never-used first, ties in pool order', () => {
    const keys = [
      key('a', { lastAssigned: 5 }),
      key('b', { lastAssigned: 2 }),
      key('c', { lastAssigned: 9 }),
    ];
    expect(pick('lru', keys, all, { cursor: 0 }, Math.random)?.name).toBe('b');
    const fresh = [key('a', { lastAssigned: 5 }), key('b'), key('c')];
    expect(pick('lru', fresh, all, { cursor: 0 }, Math.random)?.name).toBe('b');
  });

  it('least-used picks the fewest requests so far, then the least recently used', () => {
    const keys = [
      key('a', { requests: 3, lastAssigned: 1 }),
      key('b', { requests: 1, lastAssigned: 8 }),
      key('c', { requests: 1, lastAssigned: 4 }),
    ];
    expect(pick('least-used', keys, all, { cursor: 0 }, Math.random)?.name).toBe('c');
  });

  it('least-loaded picks the lowest load, then the most headroom, then the least recently used', () => {
    const keys = [
      key('a', { load: 0.6 }),
      key('b', { load: 0.2, headroom: 0.3 }),
      key('c', { load: 0.2, headroom: 0.9, lastAssigned: 7 }),
      key('d', { load: 0.2, headroom: 0.9, lastAssigned: 3 }),
    ];
    expect(pick('least-loaded', keys, all, { cursor: 0 }, Math.random)?.name).toBe('d');
  });

  it('weighted follows weight × health score', () => {
    const keys = [key('a', { weight: 1 }), key('b', { weight: 3 }), key('c', { weight: 2, score: 50 })];
    // totals: a 100, b 300, c 100 → [0, .2) a, [.2, .8) b, [.8, 1) c
    expect(pick('weighted', keys, all, { cursor: 0 }, () => 0.1)?.name).toBe('a');
    expect(pick('weighted', keys, all, { cursor: 0 }, () => 0.5)?.name).toBe('b');
    expect(pick('weighted', keys, all, { cursor: 0 }, () => 0.9)?.name).toBe('c');
    const rand = prng(7);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 50_000; i++) counts[pick('weighted', keys, all, { cursor: 0 }, rand)!.name as 'a']++;
    expect(counts.a / 50_000).toBeCloseTo(0.2, 1);
    expect(counts.b / 50_000).toBeCloseTo(0.6, 1);
    expect(counts.c / 50_000).toBeCloseTo(0.2, 1);
  });
});

describe('least-loaded over many keys', () => {
  it('above EXACT_UP_TO keys it compares a random sample, still only eligible keys, least loaded of it', () => {
    const keys = Array.from({ length: EXACT_UP_TO + 36 }, (_, i) => key(`k${i}`, { load: (i % 7) / 7 }));
    const rand = prng(3);
    for (let i = 0; i < 200; i++) {
      const chosen = pick(
        'least-loaded',
        keys,
        (k) => Number(k.name.slice(1)) % 2 === 0,
        { cursor: 0 },
        rand,
      )!;
      expect(Number(chosen.name.slice(1)) % 2).toBe(0);
      expect(chosen.load).toBeLessThanOrEqual(3 / 7);
    }
  });

  it('falls back to the whole pool when the sample finds no eligible key', () => {
    const keys = Array.from({ length: EXACT_UP_TO + 1 }, (_, i) => key(`k${i}`));
    const onlyLast = (k: Pickable) => k.name === `k${EXACT_UP_TO}`;
    expect(pick('least-loaded', keys, onlyLast, { cursor: 0 }, () => 0)?.name).toBe(`k${EXACT_UP_TO}`);
  });
});
