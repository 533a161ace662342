import { describe, expect, it } from 'vitest';
import { RateLimitedError, RetriesExhaustedError } from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { deferred, type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

function setup(keys: string[], opts: ConstructorParameters<typeof Multiplexer>[0] = {}) {
  const clock = new ManualClock(1_000_000);
  const mux = new Multiplexer({ clock, random: () => 0.5, ...opts });
  mux.registerProvider(fakeAdapter());
  for (const k of keys) mux.addKey('fake', { name: k, apiKey: `secret-${k}-0123456789` });
  const events: KeymuxEvent[] = [];
  mux.on('*', (e) => events.push(e));
  const nameOf = (c: unknown) => (c as FakeClient).apiKey.split('-')[1]!;
  const keyStats = (name: string) => mux.getUsageStats().providers.fake!.keys.find((k) => k.name === name)!;
  const poolStats = () => mux.getUsageStats().providers.fake!;
  return { clock, mux, events, nameOf, keyStats, poolStats };
}

class QuotaError extends HttpError {
  constructor(retryAfterMs: number) {
    super(402, 'insufficient_quota', retryAfterMs);
  }
}

describe('key state: a breaker that always decides', () => {
  it('a half-open probe that meets a quota error is released: later jobs on the key settle', async () => {
    const { mux, clock, keyStats } = setup(['a'], {
      failureThreshold: 1,
      breakerBaseMs: 1000,
      maxEjectedPercent: 100,
      maxRetries: 1,
      initialRetryDelay: 0,
    });
    await expect(mux.execute('fake', async () => Promise.reject(new HttpError(503)))).rejects.toBeInstanceOf(
      RetriesExhaustedError,
    );
    expect(keyStats('a').state).toBe('circuit-open');
    const probe = mux
      .execute('fake', async () => Promise.reject(new QuotaError(1000)))
      .catch((e: unknown) => e);
    const later = Array.from({ length: 3 }, (_, i) => mux.execute('fake', async () => i));
    await clock.advance(1000);
    expect(await probe).toBeInstanceOf(RetriesExhaustedError);
    await clock.advance(1000);
    await expect(Promise.all(later)).resolves.toEqual([0, 1, 2]);
  });
});

describe('key state: jobs leave a key that cannot serve', () => {
  it('jobs wait in the pool, not on a key: a disabled key takes no more of them', async () => {
    const { mux, nameOf, keyStats, poolStats } = setup(['a', 'b'], { maxConcurrentRequests: 1 });
    const gates = { a: deferred(), b: deferred() };
    const ran: string[] = [];
    const jobs = Array.from({ length: 6 }, () =>
      mux.execute('fake', async (c) => {
        const name = nameOf(c) as 'a' | 'b';
        ran.push(name);
        await gates[name].promise;
        return name;
      }),
    );
    await flush();
    // Late binding: each key holds only the job it runs; the other four wait for whichever key frees first.
    expect([keyStats('a').queued, keyStats('b').queued]).toEqual([0, 0]);
    expect(poolStats().waiting).toBe(4);
    mux.disableKey('fake', 'a');
    await flush();
    expect(poolStats().queued).toBe(4);
    gates.b.resolve();
    gates.a.resolve();
    const names = await Promise.all(jobs);
    expect(names.filter((n) => n === 'a')).toHaveLength(1);
    expect(ran.filter((n) => n === 'a')).toHaveLength(1);
  });

  it('removeKey hands its queued jobs back too, and they settle on the other keys', async () => {
    const { mux, nameOf } = setup(['a', 'b'], { maxConcurrentRequests: 1 });
    const hang = deferred();
    const jobs = Array.from({ length: 10 }, () =>
      mux.execute('fake', async (c) => {
        if (nameOf(c) === 'a') await hang.promise;
        return nameOf(c);
      }),
    );
    await flush();
    mux.removeKey('fake', 'a');
    // Nine jobs settle on b while a's one call still hangs.
    const settled = await Promise.all(jobs.filter((_, i) => i !== 0));
    expect(settled.every((n) => n === 'b')).toBe(true);
    hang.resolve();
    await expect(jobs[0]).resolves.toBe('a');
  });

  it('after a 429 on a key, every waiting job runs on the other key', async () => {
    const { mux, nameOf, keyStats } = setup(['a', 'b'], { maxConcurrentRequests: 1 });
    const first = deferred();
    let a = 0;
    const jobs = Array.from({ length: 6 }, () =>
      mux.execute('fake', async (c) => {
        if (nameOf(c) === 'a' && a++ === 0) {
          await first.promise;
          throw new HttpError(429, 'slow down', 60_000);
        }
        return nameOf(c);
      }),
    );
    await flush();
    // While a's first call hangs, b (one slot) has served the other five: none waited on a.
    expect(keyStats('b').successes).toBe(5);
    first.resolve();
    const names = await Promise.all(jobs);
    expect(names.every((n) => n === 'b')).toBe(true);
    expect(keyStats('a').state).toBe('rate-limited');
  });
});

describe('key state: fair strategies count what each key was given', () => {
  it.each(['lru', 'least-used'] as const)(
    '%s spreads 30 jobs sent at once evenly over 3 keys',
    async (strategy) => {
      const { mux, nameOf } = setup(['a', 'b', 'c'], { maxConcurrentRequests: 2, strategy });
      const gate = deferred();
      const counts: Record<string, number> = {};
      const jobs = Array.from({ length: 30 }, () =>
        mux.execute('fake', async (c) => {
          counts[nameOf(c)] = (counts[nameOf(c)] ?? 0) + 1;
          await gate.promise;
        }),
      );
      gate.resolve();
      await Promise.all(jobs);
      expect(counts).toEqual({ a: 10, b: 10, c: 10 });
    },
  );
});

describe('key state: errors', () => {
  it('an error thrown by the caller’s own function passes through as it is', async () => {
    const { mux } = setup(['a']);
    const mine = new TypeError('my own bug');
    await expect(mux.execute('fake', async () => Promise.reject(mine))).rejects.toBe(mine);
  });

  it('when every attempt meets a 429 the job rejects with RateLimitedError and when to come back', async () => {
    const { mux } = setup(['a', 'b'], { maxRetries: 2 });
    const error = (await mux
      .execute('fake', async () => Promise.reject(new HttpError(429, 'no', 3000)))
      .catch((e: unknown) => e)) as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.attempts).toHaveLength(2);
    expect(error.retryAfterMs).toBe(3000);
  });
});

describe('key state: every wait has an end', () => {
  it('a key that never answers fails its attempt at attemptTimeoutMs; the job moves on and the key is blamed', async () => {
    const { mux, clock, nameOf, events } = setup(['a', 'b'], { attemptTimeoutMs: 5000 });
    const job = mux.execute('fake', async (c, ctx) => {
      if (nameOf(c) === 'a')
        await new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        );
      return nameOf(c);
    });
    await clock.advance(4999);
    expect(events.some((e) => e.type === 'failure')).toBe(false);
    await clock.advance(1);
    await expect(job).resolves.toBe('b');
    const failure = events.find((e) => e.type === 'failure');
    expect(failure).toMatchObject({ key: { name: 'a' }, failureClass: 'transient' });
  });

  it('timeoutMs: Infinity means no deadline', async () => {
    const { mux, clock } = setup(['a'], { attemptTimeoutMs: Number.POSITIVE_INFINITY });
    const gate = deferred<number>();
    const job = mux.execute('fake', async () => gate.promise, { timeoutMs: Number.POSITIVE_INFINITY });
    await clock.advance(10 * 86_400_000);
    gate.resolve(7);
    await expect(job).resolves.toBe(7);
  });

  it('drain() resolves only after the callers’ handlers have run', async () => {
    const { mux } = setup(['a']);
    const seen: number[] = [];
    for (let i = 0; i < 20; i++) void mux.execute('fake', async () => i).then((v) => seen.push(v));
    await mux.drain();
    expect(seen).toHaveLength(20);
  });

  it('priority ages: a low-priority job waiting long enough runs before newer high-priority ones', async () => {
    const { mux, clock } = setup(['a'], { maxConcurrentRequests: 1, priorityAgingMs: 100 });
    const order: string[] = [];
    const gate = deferred();
    const blocker = mux.execute('fake', async () => gate.promise);
    await flush();
    const low = mux.execute('fake', async () => order.push('low'), { priority: 0 });
    await clock.advance(1000);
    // Ten levels higher, but queued 1000 ms (ten levels of ageing) later, and one more after that.
    const high = [
      mux.execute('fake', async () => order.push('high-9'), { priority: 9 }),
      mux.execute('fake', async () => order.push('high-11'), { priority: 11 }),
    ];
    gate.resolve();
    await Promise.all([blocker, low, ...high]);
    expect(order).toEqual(['high-11', 'low', 'high-9']);
  });
});
