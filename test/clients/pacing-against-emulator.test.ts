import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { scaledClock } from '../support/scaled-clock.js';

// 60 × real time: the emulator's minute windows pass in a second.
const SCALE = 60;
const KEYS = ['k0', 'k1', 'k2'];
// 30 a minute: each key sends every 33 ms of real time once paced, and a run is 300 jobs, not 600.
const RPM = 30;
const messages = [{ role: 'user' as const, content: 'Tell me about rate limits.' }];

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(now?: () => number) {
  const clock = scaledClock(SCALE);
  emulator = await startEmulator({
    keys: KEYS.map((name) => ({ key: `sk-pace-${name}-000000000000`, name })),
    // A realistic bucket: capacity one minute's worth, replenished continuously.
    defaultLimits: { rpm: RPM, tpm: 1_000_000 },
    latency: { kind: 'none' },
    seed: 7,
    now: now ?? clock.now,
  });
  return { clock, emulator };
}

/**
 * Five times the demand one key can serve per emulated minute, over two emulated minutes: past the first
 * minute's burst, so the pacing (and, unconfigured, the learning) is what the second minute tests.
 */
const JOBS = 5 * RPM * 2;

describe('pacing against the emulator (5× the demand one key can serve)', () => {
  it('a client that ignores limits gets 429s from this emulator (the control)', async () => {
    // The emulator's time stands still: twice a minute's requests arrive within one instant whatever the
    // machine's speed (on a moving clock, a slow machine spreads them over enough time to refill).
    const { emulator } = await start(() => 0);
    const raw = new OpenAI({
      apiKey: 'sk-pace-k0-000000000000',
      baseURL: baseUrlFor('openai', emulator.url),
      maxRetries: 0,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 2 * RPM }, () => raw.chat.completions.create({ model: 'gpt-4o-mini', messages })),
    );
    const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((e) => e instanceof OpenAI.RateLimitError)).toBe(true);
    const byStatus = emulator.ledger.countByStatus();
    expect(byStatus[429]).toBe(rejected.length);
    // Never more than a minute's worth served in one instant.
    expect(byStatus[200]).toBe(2 * RPM - rejected.length);
    expect(byStatus[200]).toBeLessThanOrEqual(RPM);
  });

  it('keys configured at the emulator’s limits: zero 429s, every job served', async () => {
    const { clock, emulator } = await start();
    // The clock runs 60× real time: the attempt deadline would be 3 real seconds, which a loaded machine passes.
    const mux = new Multiplexer({
      clock,
      queueSize: JOBS,
      strategy: 'least-loaded',
      attemptTimeoutMs: Infinity,
    });
    for (const name of KEYS) {
      mux.addOpenAIKey(name, `sk-pace-${name}-000000000000`, {
        baseURL: baseUrlFor('openai', emulator.url),
        limits: { rpm: RPM },
      });
    }
    const sent = new Map<string, number[]>(KEYS.map((k) => [k, []]));
    mux.on('request', (e) => sent.get(e.key.name)?.push(e.at));
    const openai = mux.getOpenAIClient();
    const replies = await Promise.all(
      Array.from({ length: JOBS }, () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages })),
    );
    expect(replies).toHaveLength(JOBS);
    expect(emulator.ledger.countByStatus()).toEqual({ 200: JOBS });
    expect(emulator.ledger.duplicates()).toEqual([]);
    // The window guarantee holds where keymux keeps it, at the sender, on its own clock. (Measured at
    // the emulator, arrival jitter — 1 ms real is 60 ms here — can move a send across a window's edge.)
    for (const times of sent.values()) expect(maxInWindow(times, 60_000)).toBeLessThanOrEqual(RPM);
  }, 120_000);

  it('no limits configured: learned from the headers, a handful of 429s at most, none after learning', async () => {
    const { clock, emulator } = await start();
    // The clock runs 60× real time: the attempt deadline would be 3 real seconds, which a loaded machine passes.
    const mux = new Multiplexer({
      clock,
      queueSize: JOBS,
      strategy: 'least-loaded',
      attemptTimeoutMs: Infinity,
    });
    for (const name of KEYS) {
      mux.addOpenAIKey(name, `sk-pace-${name}-000000000000`, { baseURL: baseUrlFor('openai', emulator.url) });
    }
    const learned: string[] = [];
    mux.on('limits-learned', (e) => learned.push(e.key.name));
    const openai = mux.getOpenAIClient();
    const replies = await Promise.all(
      Array.from({ length: JOBS }, () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages })),
    );
    expect(replies).toHaveLength(JOBS);
    expect([...new Set(learned)].sort()).toEqual(KEYS);
    // Learned per model: OpenAI limits each model apart.
    const limits = mux.getUsageStats().providers.openai!.keys.map((k) => k.models['gpt-4o-mini']?.limits.rpm);
    expect(limits.every((l) => l?.limit === RPM && l.learned)).toBe(true);
    const entries = emulator.ledger.entries();
    const limited = entries.filter((e) => e.status === 429);
    expect(limited.length).toBeLessThanOrEqual(5);
    const secondHalf = entries.slice(entries.length / 2);
    expect(secondHalf.filter((e) => e.status === 429)).toEqual([]);
  }, 120_000);
});

/** The most sends any half-open window of `windowMs` holds, starting at each send. */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    max = Math.max(max, j - i);
  }
  return max;
}
