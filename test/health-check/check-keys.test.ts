import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import { parseOpenAIRateLimits } from '../../src/providers/wire-values.js';
import { deferred, type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

const KEYS = { good: 'sk-fake-good-0000000001', bad: 'sk-fake-bad-00000000002' } as const;

/** What the fake provider answers a check on each key, changed by the test as the provider would. */
type Verdict = 'ok' | 401 | 402 | 500 | 'hang';

interface Setup {
  readonly mux: Multiplexer;
  readonly clock: ManualClock;
  readonly verdicts: Map<string, Verdict>;
  readonly calls: string[];
  readonly events: KeymuxEvent[];
}

const muxes: Multiplexer[] = [];
afterEach(async () => {
  await Promise.all(muxes.splice(0).map((mux) => mux.close()));
});

function setup(healthCheckInterval = 0, withCheck = true): Setup {
  const clock = new ManualClock(1_000_000);
  const verdicts = new Map<string, Verdict>([
    [KEYS.good, 'ok'],
    [KEYS.bad, 401],
  ]);
  const calls: string[] = [];
  const check = async (client: FakeClient, signal: AbortSignal): Promise<{ status: number }> => {
    calls.push(client.apiKey);
    const verdict = verdicts.get(client.apiKey);
    if (verdict === 'hang') {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }
    if (typeof verdict === 'number') throw new HttpError(verdict, `HTTP ${verdict} for ${client.apiKey}`);
    return { status: 200 };
  };
  const adapter: ProviderAdapter<FakeClient> = { ...fakeAdapter(), ...(withCheck ? { check } : {}) };
  // No attempt deadline: its sweeping timer would count among the pending ones.
  const mux = new Multiplexer({
    clock,
    healthCheckInterval,
    initialRetryDelay: 10,
    attemptTimeoutMs: Number.POSITIVE_INFINITY,
  });
  muxes.push(mux);
  mux.registerProvider(adapter);
  mux.addKey('fake', { name: 'good', apiKey: KEYS.good });
  mux.addKey('fake', { name: 'bad', apiKey: KEYS.bad });
  const events: KeymuxEvent[] = [];
  mux.on('*', (event) => events.push(event));
  return { mux, clock, verdicts, calls, events };
}

const types = (events: KeymuxEvent[]): string[] => events.map((e) => e.type);

describe('checkKeys', () => {
  it('reports each key and marks a rejected key unavailable before any job', async () => {
    const { mux, events } = setup();
    const results = await mux.checkKeys();
    expect(results.map((r) => [r.name, r.ok, r.status, r.failureClass, r.state])).toEqual([
      ['good', true, 200, undefined, 'healthy'],
      ['bad', false, 401, 'auth', 'unavailable'],
    ]);
    expect(results[1]?.label).toBe('sk-f…0002');
    expect(types(events).filter((t) => t === 'key-checked')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'key-unavailable').map((e) => 'key' in e && e.key.name)).toEqual([
      'bad',
    ]);
    // Jobs now go only to the good key.
    const used = await Promise.all(
      [1, 2, 3].map(() => mux.execute('fake', async (c) => (c as FakeClient).apiKey)),
    );
    expect(new Set(used)).toEqual(new Set([KEYS.good]));
  });

  it('revives an unavailable key whose check passes, with key-recovered', async () => {
    const { mux, verdicts, events } = setup();
    await mux.checkKeys('fake');
    verdicts.set(KEYS.bad, 'ok');
    const [, bad] = await mux.checkKeys('fake');
    expect(bad).toMatchObject({ ok: true, state: 'healthy' });
    expect(events.filter((e) => e.type === 'key-recovered').map((e) => 'key' in e && e.key.name)).toEqual([
      'bad',
    ]);
  });

  it('marks a spent quota exhausted, and a pass clears it', async () => {
    const { mux, verdicts } = setup();
    verdicts.set(KEYS.good, 402);
    expect((await mux.checkKeys())[0]).toMatchObject({
      ok: false,
      failureClass: 'quota-exhausted',
      state: 'exhausted',
    });
    verdicts.set(KEYS.good, 'ok');
    expect((await mux.checkKeys())[0]).toMatchObject({ ok: true, state: 'healthy' });
  });

  it('skips disabled keys and providers without a check, without calling anything', async () => {
    const { mux, calls } = setup();
    mux.disableKey('fake', 'bad');
    const results = await mux.checkKeys();
    expect(results.map((r) => [r.name, r.ok, r.skipped, r.state])).toEqual([
      ['good', true, undefined, 'healthy'],
      ['bad', false, 'disabled', 'disabled'],
    ]);
    expect(calls).toEqual([KEYS.good]);
    const unchecked = setup(0, false);
    const skipped = await unchecked.mux.checkKeys();
    expect(skipped.map((r) => r.skipped)).toEqual(['no-check', 'no-check']);
    expect(unchecked.calls).toEqual([]);
  });

  it('runs one check per key at a time, outside the request counts', async () => {
    const { mux, calls } = setup();
    const [first, second] = await Promise.all([mux.checkKeys(), mux.checkKeys()]);
    expect(first).toEqual(second);
    expect(calls).toHaveLength(2);
    const stats = mux.getUsageStats();
    expect(JSON.stringify(stats)).not.toContain(KEYS.good);
    expect(stats.providers.fake?.keys.map((k) => k.requests)).toEqual([0, 0]);
  });

  it('waits for a free slot when the key is saturated', async () => {
    const { mux, calls, clock } = setup();
    mux.disableKey('fake', 'bad');
    const held = Array.from({ length: 5 }, () => deferred());
    const jobs = held.map((d) => mux.execute('fake', () => d.promise));
    await clock.advance(0);
    const checking = mux.checkKeys();
    await clock.advance(0);
    expect(calls).toEqual([]);
    held[0]?.resolve();
    const [good] = await checking;
    expect(good?.ok).toBe(true);
    expect(calls).toEqual([KEYS.good]);
    for (const d of held) d.resolve();
    await Promise.all(jobs);
  });

  it('fails a check that hangs past its timeout as transient, on the injected clock', async () => {
    const { mux, verdicts, clock } = setup();
    verdicts.set(KEYS.good, 'hang');
    const checking = mux.checkKeys();
    await clock.advance(10_000);
    const [good] = await checking;
    expect(good).toMatchObject({ ok: false, failureClass: 'transient', latencyMs: 10_000 });
  });

  it("takes a generic provider's check, classified by status", async () => {
    const mux = new Multiplexer();
    muxes.push(mux);
    mux.registerProvider({
      name: 'search',
      check: async (apiKey: string) => {
        if (apiKey !== KEYS.good) throw Object.assign(new Error('HTTP 403'), { status: 403 });
        return undefined;
      },
    });
    mux.addKey('search', { name: 'good', apiKey: KEYS.good });
    mux.addKey('search', { name: 'bad', apiKey: KEYS.bad });
    const results = await mux.checkKeys('search');
    expect(results.map((r) => [r.name, r.ok, r.status, r.failureClass, r.state])).toEqual([
      ['good', true, 200, undefined, 'healthy'],
      ['bad', false, 403, 'auth', 'unavailable'],
    ]);
  });

  it('emits nothing for a key removed while its check ran', async () => {
    const { mux, verdicts, clock, events } = setup();
    verdicts.set(KEYS.good, 'hang');
    mux.disableKey('fake', 'bad');
    const checking = mux.checkKeys();
    await clock.advance(0);
    mux.removeKey('fake', 'good');
    events.length = 0;
    await clock.advance(10_000);
    expect((await checking)[0]).toMatchObject({ name: 'good', ok: false, failureClass: 'transient' });
    expect(events).toEqual([]);
    expect(mux.getUsageStats().providers.fake?.keys.map((k) => k.name)).toEqual(['bad']);
  });

  it('reads the limits the check response reported in its headers', async () => {
    const mux = new Multiplexer();
    muxes.push(mux);
    const headers = new Headers({
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '499',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '199000',
    });
    mux.registerProvider({
      ...fakeAdapter('limited'),
      readRateLimits: (h: Headers) => parseOpenAIRateLimits(h, Date.now()),
      check: async () => ({ status: 200, headers }),
    });
    mux.addKey('limited', { name: 'good', apiKey: KEYS.good });
    const [good] = await mux.checkKeys();
    expect(good?.limits).toEqual({
      requests: { limit: 500, remaining: 499, per: 'minute' },
      tokens: { limit: 200_000, remaining: 199_000, per: 'minute' },
    });
  });

  it('rejects an unknown provider, and after close()', async () => {
    const { mux } = setup();
    await expect(mux.checkKeys('nope')).rejects.toMatchObject({ name: 'ConfigError' });
    await mux.close();
    await expect(mux.checkKeys()).rejects.toMatchObject({ name: 'ShutdownError' });
  });

  it('never puts a key value in results or events', async () => {
    const { mux, events, verdicts } = setup();
    verdicts.set(KEYS.good, 500);
    const results = await mux.checkKeys();
    const text = JSON.stringify({ results, events });
    expect(text).toContain('HTTP 401');
    for (const key of Object.values(KEYS)) expect(text).not.toContain(key);
  });
});

describe('healthCheckInterval', () => {
  it('re-checks a key held out at each interval and revives it once it passes', async () => {
    const { mux, verdicts, clock, calls } = setup(60_000);
    await mux.checkKeys();
    calls.length = 0;
    await clock.advance(60_000);
    // The bad key is re-checked; the good key was checked a round ago, with no traffic since: checked too.
    expect(calls.sort()).toEqual([KEYS.bad, KEYS.good].sort());
    expect(mux.getUsageStats().providers.fake?.keys.find((k) => k.name === 'bad')?.state).toBe('unavailable');
    verdicts.set(KEYS.bad, 'ok');
    const recovered = new Promise((resolve) => mux.on('key-recovered', resolve));
    await clock.advance(60_000);
    await recovered;
    expect(mux.getUsageStats().providers.fake?.keys.find((k) => k.name === 'bad')?.state).toBe('healthy');
  });

  it('leaves busy healthy keys alone and stops with close()', async () => {
    const { mux, clock, calls } = setup(60_000);
    mux.disableKey('fake', 'bad');
    await clock.advance(59_000);
    await mux.execute('fake', async () => 'used');
    await clock.advance(1_000);
    expect(calls).toEqual([]);
    await clock.advance(60_000);
    expect(calls).toEqual([KEYS.good]);
    await mux.close();
    expect(clock.pending).toBe(0);
  });

  it("keeps no process alive: its timer on the system clock is unref'd", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const mux = new Multiplexer({ healthCheckInterval: 60_000 });
    muxes.push(mux);
    mux.registerProvider(fakeAdapter());
    mux.addKey('fake', { name: 'good', apiKey: KEYS.good });
    expect(timers()).toBe(before);
    // The same wait with a ref'd timer would show: the count above is not blind to it.
    const controller = new AbortController();
    const waiting = systemClock.sleep(60_000, controller.signal).catch(() => undefined);
    expect(timers()).toBe(before + 1);
    controller.abort();
    await waiting;
  });

  it('is off by default', async () => {
    const { clock, calls } = setup();
    await clock.advance(3_600_000);
    expect(calls).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
