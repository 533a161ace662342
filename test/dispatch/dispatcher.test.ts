import { describe, expect, it } from 'vitest';
import {
  NoAvailableKeyError,
  ProviderError,
  QueueFullError,
  RetriesExhaustedError,
  ShutdownError,
  TimeoutError,
} from '../../src/core/errors.js';
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
  const calls: string[] = [];
  const nameOf = (c: unknown) => (c as FakeClient).apiKey.split('-')[1]!;
  return { clock, mux, events, calls, nameOf };
}

describe('dispatcher', () => {
  it('a 429 on one key moves the job to another key at once, and cools the first', async () => {
    const { mux, calls, nameOf, clock } = setup(['a', 'b']);
    const result = await mux.execute('fake', async (client) => {
      const name = nameOf(client);
      calls.push(name);
      if (name === 'a') throw new HttpError(429, 'slow down', 5000);
      return name;
    });
    expect(result).toBe('b');
    expect(calls).toEqual(['a', 'b']);
    const a = mux.getUsageStats().providers.fake!.keys[0]!;
    expect(a.state).toBe('rate-limited');
    expect(a.cooldownUntil).toBe(new Date(clock.now() + 5000).toISOString());
    expect(a.rateLimited).toBe(1);
    // While a cools down, round-robin only finds b.
    calls.length = 0;
    await mux.execute('fake', async (c) => calls.push(nameOf(c)));
    await mux.execute('fake', async (c) => calls.push(nameOf(c)));
    expect(calls).toEqual(['b', 'b']);
  });

  it('when every key is cooling down the job waits for the earliest and succeeds', async () => {
    const { mux, clock, calls, nameOf } = setup(['a', 'b']);
    let failing = true;
    const done = mux.execute('fake', async (client) => {
      const name = nameOf(client);
      calls.push(name);
      if (failing) throw new HttpError(429, 'no', name === 'a' ? 3000 : 2000);
      return name;
    });
    await flush();
    expect(calls).toEqual(['a', 'b']);
    failing = false;
    await clock.advance(1999);
    expect(calls).toHaveLength(2);
    await clock.advance(1);
    await expect(done).resolves.toBe('b');
    expect(calls).toEqual(['a', 'b', 'b']);
  });

  it('when no key can ever serve it fails at once with NoAvailableKeyError and makes no call', async () => {
    const { mux, calls, nameOf } = setup(['a', 'b']);
    await expect(
      mux.execute('fake', async (c) => {
        calls.push(nameOf(c));
        throw new HttpError(401);
      }),
    ).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toEqual(['a', 'b']);
    calls.length = 0;
    await expect(mux.execute('fake', async (c) => calls.push(nameOf(c)))).rejects.toBeInstanceOf(
      NoAvailableKeyError,
    );
    expect(calls).toEqual([]);
    expect(mux.getUsageStats().providers.fake!.keys.map((k) => k.state)).toEqual([
      'unavailable',
      'unavailable',
    ]);
    mux.resetKey('fake', 'a');
    await expect(mux.execute('fake', async (c) => nameOf(c))).resolves.toBe('a');
  });

  it('disabled keys are never picked; with all disabled the job fails at once', async () => {
    const { mux, nameOf } = setup(['a', 'b']);
    mux.disableKey('fake', 'a');
    await expect(mux.execute('fake', async (c) => nameOf(c))).resolves.toBe('b');
    mux.disableKey('fake', 'b');
    await expect(mux.execute('fake', async (c) => nameOf(c))).rejects.toBeInstanceOf(NoAvailableKeyError);
    mux.enableKey('fake', 'a');
    await expect(mux.execute('fake', async (c) => nameOf(c))).resolves.toBe('a');
  });

  it('rejects with QueueFullError when the queue of every key is full', async () => {
    const { mux } = setup(['a', 'b'], { maxConcurrentRequests: 1, queueSize: 2 });
    const gate = deferred();
    const jobs = Array.from({ length: 6 }, () => mux.execute('fake', () => gate.promise));
    await flush();
    await expect(mux.execute('fake', async () => 1)).rejects.toBeInstanceOf(QueueFullError);
    gate.resolve();
    await Promise.all(jobs);
    await expect(mux.execute('fake', async () => 1)).resolves.toBe(1);
  });

  it('never runs more calls on a key than its concurrency', async () => {
    const { mux, nameOf } = setup(['a', 'b'], { maxConcurrentRequests: 3, strategy: 'least-loaded' });
    const running = new Map<string, number>();
    let peak = 0;
    const gates = Array.from({ length: 12 }, () => deferred());
    const jobs = gates.map((g) =>
      mux.execute('fake', async (c) => {
        const k = nameOf(c);
        running.set(k, (running.get(k) ?? 0) + 1);
        peak = Math.max(peak, running.get(k)!);
        await g.promise;
        running.set(k, running.get(k)! - 1);
      }),
    );
    await flush();
    expect([...running.values()]).toEqual([3, 3]);
    for (const g of gates) {
      g.resolve();
      await flush();
    }
    await Promise.all(jobs);
    expect(peak).toBe(3);
  });

  it('a 400 is rejected at once with ProviderError carrying the SDK error as cause, no retry', async () => {
    const { mux, calls, nameOf } = setup(['a', 'b']);
    const sdkError = new HttpError(400, 'bad model');
    const error = await mux
      .execute('fake', async (c) => {
        calls.push(nameOf(c));
        throw sdkError;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).cause).toBe(sdkError);
    expect((error as ProviderError).status).toBe(400);
    expect((error as ProviderError).keyName).toBe('a');
    expect(calls).toEqual(['a']);
    expect(mux.getUsageStats().providers.fake!.keys[0]!.state).toBe('healthy');
  });

  it('bounds the attempts of a job by maxRetries and keeps every attempt', async () => {
    const { mux, calls, nameOf, clock } = setup(['a', 'b', 'c', 'd'], { maxRetries: 3 });
    const settled = mux
      .execute('fake', async (c) => {
        calls.push(nameOf(c));
        throw new HttpError(503);
      })
      .catch((e: unknown) => e);
    // After two faults in a row on different keys the job pauses before its next attempt.
    await flush();
    expect(calls).toEqual(['a', 'b']);
    await clock.runAll();
    const error = (await settled) as RetriesExhaustedError;
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(error.attempts.map((a) => [a.keyName, a.failureClass, a.status])).toEqual([
      ['a', 'transient', 503],
      ['b', 'transient', 503],
      ['c', 'transient', 503],
    ]);
  });

  it('3 transient failures open a key’s breaker; after the cooldown one probe closes it', async () => {
    const { mux, clock, events } = setup(['a'], {
      initialRetryDelay: 10,
      cooldownMs: 10_000,
      breakerBaseMs: 10_000,
      maxRetries: 1,
      // One key: let its breaker open (by default a one-key pool keeps its key in rotation).
      maxEjectedPercent: 100,
    });
    for (let i = 0; i < 3; i++) {
      const p = mux.execute('fake', async () => {
        throw new HttpError(500);
      });
      await expect(p).rejects.toBeInstanceOf(RetriesExhaustedError);
      await clock.advance(10);
    }
    expect(events.filter((e) => e.type === 'circuit-open')).toHaveLength(1);
    expect(mux.getUsageStats().providers.fake!.keys[0]!.state).toBe('circuit-open');
    let calls = 0;
    const probe = mux.execute('fake', async () => ++calls);
    await clock.advance(9_000);
    expect(calls).toBe(0);
    await clock.advance(1_000);
    await expect(probe).resolves.toBe(1);
    expect(events.filter((e) => e.type === 'circuit-closed')).toHaveLength(1);
    // Closed again; 'degraded' until recent successes outweigh the three failures.
    expect(mux.getUsageStats().providers.fake!.keys[0]!.state).toBe('degraded');
  });

  it('specific pins every call to its key', async () => {
    const { mux, nameOf } = setup(['a', 'b', 'c']);
    const names = await Promise.all(
      Array.from({ length: 5 }, () => mux.execute('fake', async (c) => nameOf(c), { keyName: 'b' })),
    );
    expect(names).toEqual(['b', 'b', 'b', 'b', 'b']);
  });

  it('abort while queued: rejected with the signal’s reason and never called', async () => {
    const { mux } = setup(['a'], { maxConcurrentRequests: 1 });
    const gate = deferred();
    const first = mux.execute('fake', () => gate.promise);
    const controller = new AbortController();
    let called = false;
    const second = mux.execute(
      'fake',
      async () => {
        called = true;
      },
      { signal: controller.signal },
    );
    await flush();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(second).rejects.toBe(reason);
    gate.resolve();
    await first;
    await flush();
    expect(called).toBe(false);
    expect(mux.getUsageStats().providers.fake!.keys[0]!.queued).toBe(0);
  });

  it('abort while waiting out a cooldown', async () => {
    // No attempt deadline: its one sweeping timer would count among the pending ones.
    const { mux, clock } = setup(['a'], { attemptTimeoutMs: Number.POSITIVE_INFINITY });
    let calls = 0;
    const controller = new AbortController();
    const waiting = mux.execute(
      'fake',
      async () => {
        calls++;
        throw new HttpError(429, 'no', 60_000);
      },
      { signal: controller.signal },
    );
    await clock.advance(1000);
    expect(calls).toBe(1);
    expect(clock.pending).toBe(1);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(clock.pending).toBe(0);
    expect(calls).toBe(1);
  });

  it('abort while running frees the slot once the call stops', async () => {
    const { mux } = setup(['a'], { maxConcurrentRequests: 1 });
    const controller = new AbortController();
    const running = mux.execute(
      'fake',
      (_c, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        ),
      { signal: controller.signal },
    );
    await flush();
    controller.abort(new Error('cancelled'));
    await expect(running).rejects.toThrow('cancelled');
    await expect(mux.execute('fake', async () => 'next')).resolves.toBe('next');
    expect(mux.getUsageStats().providers.fake!.keys[0]!.state).toBe('healthy');
  });

  it('timeoutMs rejects with TimeoutError on the injected clock', async () => {
    const { mux, clock } = setup(['a']);
    const job = mux.execute(
      'fake',
      (_c, ctx) =>
        new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      {
        timeoutMs: 5000,
      },
    );
    const rejected = expect(job).rejects.toBeInstanceOf(TimeoutError);
    await clock.advance(4999);
    await clock.advance(1);
    await rejected;
  });

  it('close refuses new jobs and settles every accepted one', async () => {
    const { mux, clock } = setup(['a'], {
      maxConcurrentRequests: 1,
      attemptTimeoutMs: Number.POSITIVE_INFINITY,
    });
    const gate = deferred();
    const settled: string[] = [];
    const jobs = Array.from({ length: 4 }, (_, i) =>
      mux
        .execute('fake', (_c, ctx) =>
          Promise.race([
            gate.promise,
            new Promise((_r, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason))),
          ]),
        )
        .then(
          () => settled.push(`${i} ok`),
          (e: unknown) => settled.push(`${i} ${(e as Error).name}`),
        ),
    );
    await flush();
    await mux.close();
    await Promise.all(jobs);
    expect(settled.sort()).toEqual([
      '0 ShutdownError',
      '1 ShutdownError',
      '2 ShutdownError',
      '3 ShutdownError',
    ]);
    await expect(mux.execute('fake', async () => 1)).rejects.toBeInstanceOf(ShutdownError);
    expect(clock.pending).toBe(0);
  });

  it('jobs waiting in the pool fail at once when every key turns out unusable (401), each exactly once', async () => {
    const { mux } = setup(['a', 'b'], { maxConcurrentRequests: 1 });
    const gates = { a: deferred(), b: deferred() };
    let calls = 0;
    const settled: string[] = [];
    const jobs = Array.from({ length: 6 }, (_, i) =>
      mux
        .execute('fake', async (c) => {
          calls++;
          const name = (c as FakeClient).apiKey.split('-')[1] as 'a' | 'b';
          await gates[name].promise;
          throw new HttpError(401, 'invalid api key');
        })
        .then(
          () => settled.push(`${i} ok`),
          (e: unknown) => settled.push(`${i} ${(e as Error).name}`),
        ),
    );
    await flush();
    // Two calls hold the two slots; four jobs wait in the pool.
    expect(mux.getUsageStats().providers.fake!.waiting).toBe(4);
    gates.a.resolve();
    gates.b.resolve();
    await Promise.all(jobs);
    // The two running jobs failed over to the other key, met its 401 too; the four waiting never ran.
    expect(calls).toBe(2);
    expect(settled).toHaveLength(6);
    expect(new Set(settled.map((s) => s.split(' ')[0])).size).toBe(6);
    expect(settled.every((s) => !s.endsWith('ok'))).toBe(true);
    expect(mux.getUsageStats().providers.fake!.waiting).toBe(0);
  });

  it('drain waits for every accepted job', async () => {
    const { mux } = setup(['a', 'b']);
    const gate = deferred();
    let done = 0;
    for (let i = 0; i < 5; i++) void mux.execute('fake', () => gate.promise.then(() => done++));
    const drained = mux.drain().then(() => done);
    await flush();
    gate.resolve();
    await expect(drained).resolves.toBe(5);
  });

  it('counts requests, successes, failures by class and retries per key', async () => {
    const { mux, nameOf } = setup(['a', 'b']);
    await mux.execute('fake', async (c) => {
      if (nameOf(c) === 'a') throw new HttpError(503);
    });
    const [a, b] = mux.getUsageStats().providers.fake!.keys;
    expect(a).toMatchObject({ requests: 1, successes: 0, failures: 1, retries: 0 });
    expect(a!.failuresByClass.transient).toBe(1);
    expect(b).toMatchObject({ requests: 1, successes: 1, failures: 0, retries: 1 });
  });

  it('a held call (a stream) keeps its slot, and its usage and verdict count when it ends', async () => {
    const { mux, events } = setup(['a'], { maxConcurrentRequests: 1 });
    const end = deferred();
    let second = false;
    const stream = await mux.execute('fake', async (_c, ctx) => {
      ctx.hold(end.promise.then(() => ctx.reportUsage({ inputTokens: 7, outputTokens: 11 })));
      return 'first chunk';
    });
    expect(stream).toBe('first chunk');
    const next = mux.execute('fake', async () => {
      second = true;
    });
    await flush();
    expect(second).toBe(false);
    expect(events.some((e) => e.type === 'success')).toBe(false);
    end.resolve();
    await next;
    expect(second).toBe(true);
    const a = mux.getUsageStats().providers.fake!.keys[0]!;
    expect([a.inputTokens, a.outputTokens, a.successes]).toEqual([7, 11, 2]);
  });

  it('a stream cut after its first chunk is not retried but counts against its key', async () => {
    const { mux, calls, nameOf } = setup(['a', 'b']);
    const stream = await mux.execute('fake', async (c, ctx) => {
      calls.push(nameOf(c));
      ctx.hold(Promise.reject(new HttpError(502, 'cut')));
      return 'chunk';
    });
    await flush();
    expect(stream).toBe('chunk');
    expect(calls).toEqual(['a']);
    const a = mux.getUsageStats().providers.fake!.keys[0]!;
    expect([a.successes, a.failuresByClass.transient]).toEqual([0, 1]);
  });
});
