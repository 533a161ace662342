import { describe, expect, it, vi } from 'vitest';
import { deadlineAt } from '../../src/config/deadline.js';
import { systemClock, wallTimeOf } from '../../src/core/clock.js';
import { ConfigError, DeadlineExceededError } from '../../src/core/errors.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { deferred, type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

const START = 1_000_000;

function setup(keys: string[], opts: ConstructorParameters<typeof Multiplexer>[0] = {}) {
  const clock = new ManualClock(START);
  const mux = new Multiplexer({ clock, random: () => 0.5, maxConcurrentRequests: 1, ...opts });
  mux.registerProvider(fakeAdapter());
  for (const k of keys) mux.addKey('fake', { name: k, apiKey: `secret-${k}-0123456789` });
  const events: KeymuxEvent[] = [];
  mux.on('job-settled', (e) => events.push(e));
  const nameOf = (c: unknown) => (c as FakeClient).apiKey.split('-')[1]!;
  return { clock, mux, events, nameOf };
}

/** Settles `promise` into a value to assert on, so a rejection is never left unhandled while time moves. */
function outcome<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const out: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(out, { value, settled: true }),
    (error: unknown) => Object.assign(out, { error, settled: true }),
  );
  return out;
}

describe('deadline', () => {
  it('a Date moved onto the system clock and back is the same instant, however the wall clock ticks', () => {
    const given = new Date('2020-01-01T00:00:00Z');
    let wall = Date.parse('2026-12-03T10:00:00Z');
    const now = vi.spyOn(Date, 'now').mockImplementation(() => wall++);
    try {
      expect(wallTimeOf(deadlineAt(given, systemClock), systemClock).toISOString()).toBe(given.toISOString());
    } finally {
      now.mockRestore();
    }
  });

  it('a deadline already past names the instant the caller gave, even when the wall clock ticks meanwhile', async () => {
    const { mux } = setup(['a']);
    const given = new Date('2020-01-01T00:00:00Z');
    let wall = Date.parse('2026-12-03T10:00:00Z');
    const now = vi.spyOn(Date, 'now').mockImplementation(() => wall++);
    try {
      const error = await mux.execute('fake', async () => 'x', { deadline: given }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect((error as Error).message).toContain('2020-01-01T00:00:00.000Z');
    } finally {
      now.mockRestore();
      await mux.close();
    }
  });

  it.each([
    ['0s', /duration above 0/],
    ['soon', /`soon` \(string\)/],
    [-5, /`-5` \(number\)/],
    [Number.NaN, /NaN/],
    [Number.POSITIVE_INFINITY, /Infinity/],
    [new Date('not a date'), /an invalid Date/],
    [{ hours: 6 }, /a value of type object/],
  ])('refuses %s with a ConfigError naming the field', async (deadline, message) => {
    const { mux } = setup(['a']);
    const error = await mux.execute('fake', async () => 1, { deadline: deadline as never }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('deadline');
    expect((error as Error).message).toMatch(message);
    expect(() => mux.getOpenAIClient({ deadline: deadline as never })).toThrow(ConfigError);
  });

  it('takes durations as `ms` reads them, a number of ms and a Date', () => {
    const { mux } = setup(['a']);
    for (const deadline of ['90s', '6h', '2 days', '1.5h', 250, new Date()]) {
      expect(() => mux.getOpenAIClient({ deadline })).not.toThrow();
    }
  });

  it('a job still waiting at its deadline fails then with DeadlineExceededError, and never runs', async () => {
    const { mux, clock, events } = setup(['a', 'b']);
    const gates = [deferred(), deferred()];
    const ran: string[] = [];
    // Both keys busy: the third job waits in the pool's backlog.
    const busy = gates.map((gate, i) =>
      mux.execute('fake', async () => {
        ran.push(`busy-${i}`);
        await gate.promise;
      }),
    );
    const late = outcome(mux.execute('fake', async () => ran.push('late'), { deadline: '90s' }));
    await clock.advance(89_999);
    expect(late.settled).toBe(false);
    await clock.advance(1);
    expect(late.error).toBeInstanceOf(DeadlineExceededError);
    const error = late.error as DeadlineExceededError;
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.deadline).toBe(START + 90_000);
    expect(error.attempts).toEqual([]);
    expect(error.message).toMatch(
      /^fake: the deadline \(\d{4}-\d\d-\d\dT[\d:.]+Z\) passed before the job could start$/,
    );
    // The keys free up later: the expired job is gone, nothing runs it.
    for (const gate of gates) gate.resolve();
    await Promise.all(busy);
    await flush();
    expect(ran).toEqual(['busy-0', 'busy-1']);
    expect(events.filter((e) => e.type === 'job-settled')).toHaveLength(3);
  });

  it('a job queued on its own key (`specific`) ends at its deadline too', async () => {
    const { mux, clock } = setup(['a', 'b']);
    const gate = deferred();
    const busy = mux.execute('fake', () => gate.promise, { strategy: 'specific', keyName: 'a' });
    let ran = false;
    const late = outcome(
      mux.execute(
        'fake',
        async () => {
          ran = true;
        },
        { strategy: 'specific', keyName: 'a', deadline: 5_000 },
      ),
    );
    await clock.advance(5_000);
    expect(late.error).toBeInstanceOf(DeadlineExceededError);
    gate.resolve();
    await busy;
    await flush();
    expect(ran).toBe(false);
  });

  it('an attempt running at the deadline is not cut short; a retry after it fails instead of starting', async () => {
    const { mux, clock, nameOf, events } = setup(['a', 'b']);
    const calls: string[] = [];
    const gate = deferred();
    // The first attempt runs past the deadline, then fails with a 503: its retry would start late.
    const job = outcome(
      mux.execute(
        'fake',
        async (client) => {
          calls.push(nameOf(client));
          await gate.promise;
          throw new HttpError(503);
        },
        { deadline: 1_000 },
      ),
    );
    await clock.advance(1_000);
    expect(job.settled).toBe(false);
    await clock.advance(500);
    gate.resolve();
    await flush();
    expect(calls).toEqual(['a']);
    expect(job.error).toBeInstanceOf(DeadlineExceededError);
    const error = job.error as DeadlineExceededError;
    expect(error.attempts.map((a) => [a.keyName, a.status])).toEqual([['a', 503]]);
    expect(error.message).toMatch(/before its next attempt \(1 failed\)$/);
    expect(error.cause).toBeInstanceOf(HttpError);
    expect(events.filter((e) => e.type === 'job-settled')).toHaveLength(1);

    // The same, succeeding after its deadline: it started in time, so it stands.
    const slow = deferred<string>();
    const ok = outcome(mux.execute('fake', () => slow.promise, { deadline: 1_000 }));
    await clock.advance(2_000);
    slow.resolve('late but started in time');
    await flush();
    expect(ok.value).toBe('late but started in time');
  });

  it('a retry before the deadline still happens; one in a pause after faults ends at the deadline', async () => {
    const { mux, clock, nameOf } = setup(['a', 'b', 'c'], { initialRetryDelay: 10_000 });
    const calls: string[] = [];
    const job = outcome(
      mux.execute(
        'fake',
        async (client) => {
          calls.push(nameOf(client));
          throw new HttpError(503);
        },
        { deadline: '3s' },
      ),
    );
    await flush();
    // a failed, b failed at once (failover); two faults in a row: the job pauses before c.
    expect(calls).toEqual(['a', 'b']);
    expect(job.settled).toBe(false);
    await clock.advance(3_000);
    expect(job.error).toBeInstanceOf(DeadlineExceededError);
    expect((job.error as DeadlineExceededError).attempts).toHaveLength(2);
    await clock.advance(60_000);
    expect(calls).toEqual(['a', 'b']);
  });

  it('a Date already past rejects at once, and a Date ahead counts on the wall clock', async () => {
    const { mux, clock } = setup(['a']);
    let ran = 0;
    const past = await mux
      .execute('fake', async () => ran++, { deadline: new Date(Date.now() - 60_000) })
      .catch((e) => e);
    expect(past).toBeInstanceOf(DeadlineExceededError);
    expect(ran).toBe(0);
    const gate = deferred();
    const busy = mux.execute('fake', () => gate.promise);
    const ahead = outcome(
      mux.execute('fake', async () => ran++, { deadline: new Date(Date.now() + 60_000) }),
    );
    await clock.advance(59_000);
    expect(ahead.settled).toBe(false);
    await clock.advance(2_000);
    expect(ahead.error).toBeInstanceOf(DeadlineExceededError);
    gate.resolve();
    await busy;
  });

  it('a job that starts before its deadline is untouched, and its timer is gone', async () => {
    // No attempt deadline: its timer is never cancelled (see DeadlineQueue), and would be counted here.
    const { mux, clock } = setup(['a'], { attemptTimeoutMs: Number.POSITIVE_INFINITY });
    await expect(mux.execute('fake', async () => 'done', { deadline: '6h' })).resolves.toBe('done');
    expect(clock.pending).toBe(0);
  });
});
