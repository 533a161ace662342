import { describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import { type FakeClient, fakeAdapter } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

function setup(keys: Array<{ name: string; rpm?: number; tpm?: number; quotaGroup?: string }>) {
  const clock = new ManualClock(0);
  // No attempt deadline: clock.runAll() would run on to its sweep, minutes past the sends.
  const mux = new Multiplexer({
    clock,
    random: () => 0.5,
    queueSize: 1000,
    strategy: 'least-loaded',
    attemptTimeoutMs: Number.POSITIVE_INFINITY,
  });
  mux.registerProvider(fakeAdapter());
  for (const k of keys) {
    mux.addKey('fake', {
      name: k.name,
      apiKey: `secret-${k.name}-0123456789`,
      limits: { ...(k.rpm ? { rpm: k.rpm } : {}), ...(k.tpm ? { tpm: k.tpm } : {}) },
      ...(k.quotaGroup ? { quotaGroup: k.quotaGroup } : {}),
    });
  }
  const sent: Array<{ key: string; t: number }> = [];
  const job = () =>
    mux.execute('fake', async (c) => {
      sent.push({ key: (c as FakeClient).apiKey.split('-')[1]!, t: clock.now() });
    });
  return { clock, mux, sent, job };
}

describe('pacing by the keys’ limits', () => {
  it('a key at 60 rpm sends one call a second, never two in the same second', async () => {
    const { clock, sent, job } = setup([{ name: 'a', rpm: 60 }]);
    const jobs = Array.from({ length: 5 }, job);
    await clock.runAll();
    await Promise.all(jobs);
    expect(sent.map((s) => s.t)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('two keys at 60 rpm serve twice the rate, each paced on its own', async () => {
    const { clock, sent, job } = setup([
      { name: 'a', rpm: 60 },
      { name: 'b', rpm: 60 },
    ]);
    const jobs = Array.from({ length: 6 }, job);
    await clock.runAll();
    await Promise.all(jobs);
    expect(sent.filter((s) => s.key === 'a').map((s) => s.t)).toEqual([0, 1000, 2000]);
    expect(sent.filter((s) => s.key === 'b').map((s) => s.t)).toEqual([0, 1000, 2000]);
  });

  it('keys of one quota group share their buckets', async () => {
    const { clock, sent, job } = setup([
      { name: 'a', rpm: 60, quotaGroup: 'org' },
      { name: 'b', rpm: 60, quotaGroup: 'org' },
    ]);
    const jobs = Array.from({ length: 4 }, job);
    await clock.runAll();
    await Promise.all(jobs);
    expect(sent.map((s) => s.t)).toEqual([0, 1000, 2000, 3000]);
    const stats = setupStats(sent);
    expect((stats.a ?? 0) + (stats.b ?? 0)).toBe(4);
  });

  it('stats show each limit, its use in the current window and the percent', async () => {
    const { clock, mux, job } = setup([{ name: 'a', rpm: 10 }]);
    const jobs = Array.from({ length: 3 }, job);
    await clock.runAll();
    await Promise.all(jobs);
    expect(mux.getUsageStats().providers.fake!.keys[0]!.limits).toEqual({
      rpm: { limit: 10, used: 3, percent: 30, learned: false },
    });
  });
});

function setupStats(sent: Array<{ key: string }>): Record<string, number> {
  const out: Record<string, number> = { a: 0, b: 0 };
  for (const s of sent) out[s.key] = (out[s.key] ?? 0) + 1;
  return out;
}
