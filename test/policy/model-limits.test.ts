import { describe, expect, it } from 'vitest';
import type { Failure } from '../../src/core/failure.js';
import { ModelLimits } from '../../src/policy/rate-limiter.js';

const policy = {
  initialRetryDelay: 1000,
  backoffFactor: 2,
  maxRetryDelay: 60_000,
  failureThreshold: 3,
  cooldownMs: 300_000,
  rateLimitCooldownMs: 5000,
  breakerBaseMs: 10_000,
};

const limited = (retryAfterMs?: number): Failure => ({
  class: 'rate-limited',
  status: 429,
  retryAfterMs,
  message: '429',
  error: new Error('429'),
});

describe('ModelLimits', () => {
  it('rests a model until exactly its hint (capped at maxRetryDelay); other models are untouched', () => {
    const models = new ModelLimits(false);
    const a = models.of('gpt-4.1', 0);
    expect(a.onRateLimited(limited(1200), 0, policy, () => 0)).toBe(1200);
    expect(a.canStart(1199)).toBe(false);
    expect(a.canStart(1200)).toBe(true);
    expect(models.of('gpt-4.1-mini', 0).canStart(0)).toBe(true);
    expect(a.onRateLimited(limited(3_000_000), 0, policy, () => 0)).toBe(60_000);
    models.reset();
    expect(a.cooldownUntil(0)).toBeUndefined();
  });

  it('without a hint backs off exponentially, capped by rateLimitCooldownMs; a success starts over', () => {
    const model = new ModelLimits(false).of('m', 0);
    const rest = (now: number) => model.onRateLimited(limited(), now, policy, () => 0.999_999) - now;
    expect([rest(0), rest(10_000), rest(20_000), rest(30_000)]).toEqual([999, 1999, 3999, 4999]);
    model.onSuccess();
    expect(rest(40_000)).toBe(999);
  });

  it('while a new model learns its limits, one call of it at a time', () => {
    const model = new ModelLimits(true).of('m', 0);
    expect(model.canStart(0)).toBe(true);
    model.inFlight++;
    expect(model.canStart(0)).toBe(false);
    model.limiter.observe(undefined, 0);
    expect(model.canStart(0)).toBe(true);
  });

  it('keeps at most `max` scopes: the least recently used idle one is forgotten, never a busy one', () => {
    const models = new ModelLimits(false, 2);
    const a = models.of('a', 0);
    a.inFlight = 1;
    models.of('b', 0);
    models.of('c', 0);
    expect([models.peek('a'), models.peek('b'), models.peek('c')].map((m) => m !== undefined)).toEqual([
      true,
      false,
      true,
    ]);
  });
});
