import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/worker/circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('opens after 3 consecutive failures and lets no call through while open', () => {
    const b = new CircuitBreaker(3, 300_000);
    expect(b.onFailure(0)).toBe(false);
    expect(b.onFailure(1)).toBe(false);
    expect(b.canPass(2)).toBe(true);
    expect(b.onFailure(2)).toBe(true);
    expect(b.state(2)).toBe('open');
    expect(b.canPass(2)).toBe(false);
    expect(b.canPass(300_001)).toBe(false);
    expect(b.openUntil()).toBe(300_002);
  });

  it('a success in between resets the count', () => {
    const b = new CircuitBreaker(3, 1000);
    b.onFailure(0);
    b.onFailure(0);
    b.onSuccess();
    expect(b.onFailure(0)).toBe(false);
    expect(b.state(0)).toBe('closed');
  });

  it('after the cooldown admits exactly one half-open probe; success closes', () => {
    const b = new CircuitBreaker(3, 1000);
    for (let i = 0; i < 3; i++) b.onFailure(0);
    expect(b.state(1000)).toBe('half-open');
    expect(b.canPass(1000)).toBe(true);
    b.onStart(1000);
    expect(b.canPass(1000)).toBe(false);
    expect(b.onSuccess()).toBe(true);
    expect(b.state(1000)).toBe('closed');
    expect(b.canPass(1000)).toBe(true);
  });

  it('a failed probe re-opens at once, for another full cooldown', () => {
    const b = new CircuitBreaker(3, 1000);
    for (let i = 0; i < 3; i++) b.onFailure(0);
    b.onStart(1500);
    expect(b.onFailure(1500)).toBe(true);
    expect(b.state(2000)).toBe('open');
    expect(b.state(2500)).toBe('half-open');
  });

  it('a probe that ends without a verdict frees the half-open slot', () => {
    const b = new CircuitBreaker(1, 10);
    b.onFailure(0);
    b.onStart(10);
    expect(b.canPass(10)).toBe(false);
    b.onNeutral();
    expect(b.canPass(10)).toBe(true);
  });
});
