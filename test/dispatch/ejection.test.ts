import { describe, expect, it } from 'vitest';
import type { KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

const T0 = 1_000_000;

/** A provider that refuses every call while `down()` says so. */
function setup(
  keys: number,
  opts: ConstructorParameters<typeof Multiplexer>[0],
  down: (now: number) => boolean,
) {
  const clock = new ManualClock(T0);
  const mux = new Multiplexer({ clock, random: () => 0.5, ...opts });
  mux.registerProvider(fakeAdapter());
  for (let i = 0; i < keys; i++) mux.addKey('fake', { name: `k${i}`, apiKey: `secret-k${i}-0123456789` });
  const events: KeymuxEvent[] = [];
  mux.on('*', (e) => events.push(e));
  const successes: number[] = [];
  const job = () =>
    mux.execute('fake', async (c) => {
      if (down(clock.now())) throw new HttpError(503, 'connection refused');
      successes.push(clock.now());
      return (c as FakeClient).apiKey;
    });
  return { clock, mux, events, job, successes };
}

describe('outlier ejection', () => {
  it('never ejects more than maxEjectedPercent of the keys; past that the pool is degraded, then recovers', async () => {
    let isDown = true;
    const { clock, mux, events, job } = setup(
      4,
      { failureThreshold: 1, maxEjectedPercent: 50 },
      () => isDown,
    );
    const jobs = Array.from({ length: 8 }, job);
    for (let i = 0; i < 20; i++) {
      await clock.advance(500);
      const open = mux.getUsageStats().providers.fake!.keys.filter((k) => k.state === 'circuit-open');
      expect(open.length).toBeLessThanOrEqual(2);
    }
    expect(events.filter((e) => e.type === 'pool-degraded')).toHaveLength(1);
    expect(mux.getUsageStats().providers.fake!.degraded).toBe(true);
    isDown = false;
    await clock.advance(30_000);
    await expect(Promise.all(jobs)).resolves.toHaveLength(8);
    expect(events.filter((e) => e.type === 'pool-recovered')).toHaveLength(1);
    expect(mux.getUsageStats().providers.fake!.degraded).toBe(false);
  });

  it('a 60 s outage of every key: jobs wait, probes go on, and the pool serves within one base interval of its end', async () => {
    const end = T0 + 60_000;
    const { clock, mux, job, successes } = setup(5, {}, (now) => now < end);
    let settled = 0;
    const jobs = Array.from({ length: 20 }, () => job().finally(() => settled++));
    let probes = 0;
    mux.on('request', () => probes++);
    // Up to the last second of the outage nothing settles (at its end, the probes succeed at once).
    for (let t = 0; t < 59; t++) await clock.advance(1000);
    expect(settled).toBe(0);
    await clock.advance(1000);
    expect(mux.getUsageStats().providers.fake!.waiting).toBeGreaterThan(0);
    expect(mux.getUsageStats().providers.fake!.nextProbeAt).not.toBeNull();
    // Probing went on through the outage, at a bounded rate (never more than one per key per second).
    expect(probes).toBeGreaterThan(10);
    expect(probes).toBeLessThan(5 * 60);
    await clock.advance(10_000);
    await flush();
    expect(Math.min(...successes)).toBeLessThanOrEqual(end + 10_000);
    await clock.runAll();
    await expect(Promise.all(jobs)).resolves.toHaveLength(20);
  });

  it('a 200 ms blip of every key loses no job', async () => {
    const end = T0 + 200;
    const { clock, job } = setup(5, {}, (now) => now < end);
    const jobs = Array.from({ length: 30 }, job);
    await clock.runAll();
    await expect(Promise.all(jobs)).resolves.toHaveLength(30);
  });
});
