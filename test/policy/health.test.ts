import { describe, expect, it } from 'vitest';
import type { Failure, FailureClass } from '../../src/core/failure.js';
import { KeyHealth } from '../../src/policy/health.js';

const policy = {
  initialRetryDelay: 1000,
  backoffFactor: 2,
  maxRetryDelay: 60_000,
  failureThreshold: 3,
  cooldownMs: 300_000,
  rateLimitCooldownMs: 60_000,
  breakerBaseMs: 10_000,
};

function failure(cls: FailureClass, retryAfterMs?: number, status?: number): Failure {
  return { class: cls, status, retryAfterMs, message: cls, error: new Error(cls) };
}

describe('KeyHealth', () => {
  it('a 429 with a hint cools the key until exactly the hint', () => {
    const h = new KeyHealth(policy, () => 0);
    expect(h.onFailure(failure('rate-limited', 1200), 0)).toEqual({ type: 'rate-limited', until: 1200 });
    expect(h.state(1199)).toBe('rate-limited');
    expect(h.canStart(1199)).toBe(false);
    expect(h.canStart(1200)).toBe(true);
    expect(h.readyAt(0)).toBe(1200);
  });

  it('consecutive 429s without hints back off exponentially, capped by rateLimitCooldownMs', () => {
    const h = new KeyHealth({ ...policy, rateLimitCooldownMs: 5000 }, () => 0.999_999);
    const untils: number[] = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      const change = h.onFailure(failure('rate-limited'), now);
      if (change?.type !== 'rate-limited') throw new Error('expected a cooldown');
      untils.push(change.until - now);
      now = change.until;
    }
    expect(untils).toEqual([999, 1999, 3999, 4999, 4999]);
  });

  it('401 takes the key out until reset; quota exhaustion until its reset or reset()', () => {
    const h = new KeyHealth(policy, () => 0);
    h.onFailure(failure('auth', undefined, 401), 0);
    expect(h.state(10 ** 9)).toBe('unavailable');
    expect(h.readyAt(0)).toBeUndefined();
    expect(h.reset(0)).toBe(true);
    expect(h.state(0)).toBe('healthy');
    h.onFailure(failure('quota-exhausted'), 0);
    expect(h.state(10 ** 9)).toBe('exhausted');
    expect(h.readyAt(0)).toBeUndefined();
    h.reset(0);
    h.onFailure(failure('quota-exhausted', 5000), 0);
    expect(h.readyAt(0)).toBe(5000);
    expect(h.state(5000)).not.toBe('exhausted');
  });

  it('bad requests and aborts leave the key untouched', () => {
    const h = new KeyHealth(policy, () => 0);
    expect(h.onFailure(failure('bad-request', undefined, 400), 0)).toBeUndefined();
    expect(h.onFailure(failure('aborted'), 0)).toBeUndefined();
    expect(h.state(0)).toBe('healthy');
    expect(h.score(0)).toBe(100);
  });

  it('the score follows recent success and is capped by the state', () => {
    const h = new KeyHealth(policy, () => 0);
    h.onFailure(failure('transient', undefined, 500), 0);
    // random() = 0: no backoff, so the key is degraded, not cooling down.
    expect(h.state(0)).toBe('degraded');
    expect(h.score(0)).toBe(90);
    h.onFailure(failure('rate-limited', 1000), 0);
    expect(h.score(0)).toBe(50);
    h.enabled = false;
    expect(h.score(0)).toBe(0);
    expect(h.state(0)).toBe('disabled');
  });

  it('a key backing off after a 5xx says so, not rate-limited', () => {
    const h = new KeyHealth(policy, () => 0.5);
    h.onFailure(failure('transient', undefined, 503), 0);
    expect(h.state(1)).toBe('backing-off');
    expect(h.state(500)).toBe('degraded');
  });

  it('a huge hint is capped at maxRetryDelay', () => {
    const h = new KeyHealth(policy, () => 0);
    h.onFailure(failure('rate-limited', 3_000_000), 0);
    expect(h.readyAt(0)).toBe(60_000);
  });

  it.each<FailureClass>(['rate-limited', 'quota-exhausted', 'auth', 'bad-request', 'aborted'])(
    'a half-open probe that meets %s is released: the breaker decides again',
    (cls) => {
      const h = new KeyHealth({ ...policy, failureThreshold: 1 }, () => 0);
      h.onFailure(failure('transient', undefined, 503), 0);
      expect(h.state(0)).toBe('circuit-open');
      h.onStart(10_000);
      expect(h.canStart(10_000)).toBe(false);
      h.onFailure(failure(cls, 1000, 429), 10_000);
      if (cls === 'auth') {
        expect(h.state(11_000)).toBe('unavailable');
        return;
      }
      // The probe's token came back: once its cooldown (if any) is over, a new probe may go.
      expect(h.canStart(11_000)).toBe(true);
      expect(h.state(11_000)).not.toBe('circuit-open');
    },
  );
});
