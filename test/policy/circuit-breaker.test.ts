import { describe, expect, it } from 'vitest';
import { Breaker, CircuitBreaker, ConsecutiveFailures } from '../../src/policy/circuit-breaker.js';

const yes = (): boolean => true;
const policy = { failureThreshold: 3, cooldownMs: 300_000, breakerBaseMs: 1000 };

describe('CircuitBreaker', () => {
  it('opens after 3 consecutive failures for the base time and lets no call through while open', () => {
    const b = new CircuitBreaker(policy);
    expect(b.onTransient(0, yes)).toBe('none');
    expect(b.onTransient(1, yes)).toBe('none');
    expect(b.canPass(2)).toBe(true);
    expect(b.onTransient(2, yes)).toBe('opened');
    expect(b.state(2)).toEqual({ kind: 'open', until: 1002, opens: 1 });
    expect(b.canPass(1001)).toBe(false);
    expect(b.openUntil()).toBe(1002);
    expect(b.canPass(1002)).toBe(true);
  });

  it('a success in between resets the count', () => {
    const b = new CircuitBreaker(policy);
    b.onTransient(0, yes);
    b.onTransient(0, yes);
    b.onSuccess();
    expect(b.onTransient(0, yes)).toBe('none');
    expect(b.state(0).kind).toBe('closed');
  });

  it('after its time admits exactly one half-open probe; success closes', () => {
    const b = new CircuitBreaker(policy);
    for (let i = 0; i < 3; i++) b.onTransient(0, yes);
    expect(b.state(1000)).toEqual({ kind: 'half-open', probing: false, opens: 1 });
    expect(b.canPass(1000)).toBe(true);
    b.onStart(1000);
    expect(b.canPass(1000)).toBe(false);
    expect(b.onSuccess()).toBe(true);
    expect(b.state(1000).kind).toBe('closed');
    expect(b.canPass(1000)).toBe(true);
  });

  it('each consecutive re-opening lasts one base time longer, capped at cooldownMs', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 3500, breakerBaseMs: 1000 });
    let now = 0;
    const durations: number[] = [];
    b.onTransient(now, yes);
    for (let i = 0; i < 5; i++) {
      const until = b.openUntil();
      if (until === undefined) throw new Error('expected an open breaker');
      durations.push(until - now);
      now = until;
      b.onStart(now);
      expect(b.onTransient(now, yes)).toBe('opened');
    }
    expect(durations).toEqual([1000, 2000, 3000, 3500, 3500]);
    // A success resets the growth.
    b.onSuccess();
    b.onTransient(now, yes);
    expect(b.openUntil()).toBe(now + 1000);
  });

  it('a probe that ends without a verdict frees the half-open slot', () => {
    const b = new CircuitBreaker({ ...policy, failureThreshold: 1 });
    b.onTransient(0, yes);
    b.onStart(1000);
    expect(b.canPass(1000)).toBe(false);
    b.onNeutral(1000);
    expect(b.canPass(1000)).toBe(true);
  });

  it('when the pool refuses an ejection the breaker stays closed and says so', () => {
    const b = new CircuitBreaker(policy);
    b.onTransient(0, () => false);
    b.onTransient(0, () => false);
    expect(b.onTransient(0, () => false)).toBe('held');
    expect(b.state(0).kind).toBe('closed');
    expect(b.canPass(0)).toBe(true);
    // The next failure, with room in the pool, opens it.
    expect(b.onTransient(1, yes)).toBe('opened');
  });

  it('a failure of a call that started before the breaker opened changes nothing', () => {
    const b = new CircuitBreaker({ ...policy, failureThreshold: 1 });
    b.onTransient(0, yes);
    expect(b.onTransient(10, yes)).toBe('none');
    expect(b.openUntil()).toBe(1000);
  });
});

describe('Breaker, the one state machine behind the keys’ and the store’s breakers', () => {
  const make = (whileOpen: 'ignore' | 'reopen') =>
    new Breaker({ rule: new ConsecutiveFailures(2), openFor: () => 1000, whileOpen });

  it('a failure while open reopens from now under the store’s rule, and changes nothing under the keys’', () => {
    const store = make('reopen');
    const key = make('ignore');
    for (const b of [store, key]) {
      b.onFailure(0);
      expect(b.onFailure(10)).toBe('opened');
      expect(b.onFailure(500)).toBe('none');
    }
    expect(store.openUntil()).toBe(1500);
    expect(key.openUntil()).toBe(1010);
  });

  it('trips open at once whatever the count, and one success closes it and clears the count', () => {
    const b = make('ignore');
    b.onFailure(0);
    b.trip(5);
    expect(b.isOpen).toBe(true);
    expect(b.onSuccess()).toBe(true);
    expect(b.onFailure(6)).toBe('none');
    expect(b.state(6).kind).toBe('closed');
  });
});
