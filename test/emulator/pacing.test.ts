import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { emulatorFor, KEY_A, KEY_B, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function chat(emulator: Emulator, key: string, jobId?: string): Promise<Response> {
  return fetch(`${emulator.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(jobId === undefined ? {} : { 'x-keymux-job-id': jobId }),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('pacing of a pool', () => {
  it('serves exactly 60 rpm with burst 1 to a client that ignores limits, and 429s the rest', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'a' }], pools: { a: { rpm: 60, burst: 1 } }, now: clock.now },
      closers,
    );
    // Two requests a second for 130 simulated seconds.
    for (let i = 0; i < 260; i++) {
      const response = await chat(emulator, KEY_A, `job-${i}`);
      await response.arrayBuffer();
      clock.advance(500);
    }
    expect(emulator.ledger.countByStatus()).toEqual({ 200: 130, 429: 130 });
    expect(emulator.ledger.maxPerSlidingWindow('a', 60_000)).toBe(60);
    const served = emulator.ledger.entries({ status: 200 }).map((e) => e.startedAt - clock.now());
    const gaps = served.slice(1).map((t, i) => t - (served[i] ?? 0));
    expect(new Set(gaps)).toEqual(new Set([1000]));
    expect(emulator.ledger.duplicates()).toEqual([]);
  });

  it('lets keys that share a pool share its limit', async () => {
    const clock = testClock();
    const options: EmulatorOptions = {
      keys: [
        { key: KEY_A, name: 'a', pool: 'org' },
        { key: KEY_B, name: 'b', pool: 'org' },
      ],
      pools: { org: { rpm: 10 } },
      now: clock.now,
    };
    const emulator = await emulatorFor(options, closers);
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      const response = await chat(emulator, i % 2 === 0 ? KEY_A : KEY_B);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(emulator.ledger.countByKey({ status: 200 })).toEqual({ a: 5, b: 5 });
    expect(emulator.ledger.maxPerSlidingWindow('org', 60_000)).toBe(10);
  });

  it('caps concurrency per pool and records the peak', async () => {
    const emulator = await emulatorFor(
      {
        keys: [{ key: KEY_A, name: 'a' }],
        pools: { a: { rpm: 1000, concurrency: 2 } },
        latency: { kind: 'fixed', ms: 100 },
      },
      closers,
    );
    const responses = await Promise.all(Array.from({ length: 5 }, () => chat(emulator, KEY_A)));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429]);
    expect(emulator.ledger.peakConcurrency('a')).toBe(2);
    expect(emulator.ledger.peakConcurrency()).toBe(2);
  });

  it('counts tokens per sliding minute as charged', async () => {
    const clock = testClock();
    const emulator = await emulatorFor(
      { keys: [{ key: KEY_A, name: 'a' }], pools: { a: { rpm: 1000, tpm: 100 } }, now: clock.now },
      closers,
    );
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${emulator.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 20 }),
      });
      await response.arrayBuffer();
      clock.advance(6_000);
    }
    // 100 tokens of burst, then 2 tokens a second: 20-token requests every 10 s.
    expect(emulator.ledger.maxPerSlidingWindow('a', 60_000, 'tokens')).toBeLessThanOrEqual(100 + 100);
    expect(emulator.ledger.entries({ status: 200 }).every((e) => e.chargedTokens === 20)).toBe(true);
  });
});
