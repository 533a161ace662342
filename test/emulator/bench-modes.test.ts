import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { benchNotes } from '../../src/cli/bench/bench-notes.js';
import { BENCH_DEFAULTS, type BenchOptions } from '../../src/cli/bench/bench-options.js';
import type { BenchSettings } from '../../src/cli/bench/bench-result.js';
import { emulatorTarget } from '../../src/cli/bench/bench-target.js';
import type { ProviderKit } from '../../src/cli/bench/kits/provider-kit.js';
import { baseUrlFor } from '../../src/emulator/index.js';

const kit = { emulatorBaseURL: (url: string) => baseUrlFor('openai', url) } as unknown as ProviderKit;
const base = { keys: 1, rpm: 60, tpm: 100_000, latencyMinMs: 0, latencyMaxMs: 0, burstSeconds: 10, seed: 1 };
const messages = [{ role: 'user' as const, content: 'Hi.' }];

describe('bench emulator modes', () => {
  it('--strict gives each key a GCRA bucket of --strict-burst requests instead of seconds of burst', async () => {
    for (const [strict, expected] of [
      [false, { 200: 3 }],
      [true, { 200: 1, 429: 2 }],
    ] as const) {
      const target = await emulatorTarget(kit, { ...base, strict, strictBurst: 1 });
      try {
        const [key] = target.keys;
        const client = new OpenAI({ apiKey: key?.apiKey, baseURL: target.baseURL, maxRetries: 0 });
        for (let i = 0; i < 3; i++)
          await client.chat.completions.create({ model: 'm', messages }).catch(() => {});
        expect(target.ledger?.countByStatus()).toEqual(expected);
      } finally {
        await target.close();
      }
    }
  });

  it('--overload makes requests above n in flight per key overloaded', async () => {
    const target = await emulatorTarget(kit, { ...base, overloadAbove: 0, overloadErrorRate: 1 });
    try {
      const client = new OpenAI({ apiKey: target.keys[0]?.apiKey, baseURL: target.baseURL, maxRetries: 0 });
      await expect(client.chat.completions.create({ model: 'm', messages })).rejects.toMatchObject({
        status: 503,
      });
      expect(target.ledger?.entries()[0]).toMatchObject({ overloaded: true, fault: 'overloaded' });
    } finally {
      await target.close();
    }
  });

  it('--outage-ms refuses connections from --outage-at-ms', async () => {
    const target = await emulatorTarget(kit, { ...base, outageMs: 600_000, outageAtMs: 0 });
    try {
      const client = new OpenAI({ apiKey: target.keys[0]?.apiKey, baseURL: target.baseURL, maxRetries: 0 });
      await expect
        .poll(() =>
          client.chat.completions.create({ model: 'm', messages }).then(
            () => 'served',
            () => 'refused',
          ),
        )
        .toBe('refused');
    } finally {
      await target.close();
    }
  });

  it('says in the notes how the emulator enforces limits and which fault modes it runs', () => {
    const settings = {
      target: 'emulator',
      keys: 5,
      rpm: 600,
      tpm: 60_000,
      latencyMs: { min: 1, max: 2 },
    } as BenchSettings;
    const options = {
      ...BENCH_DEFAULTS,
      maxConcurrent: ['auto'],
      strategies: [],
      burstSeconds: 1,
    } as unknown as BenchOptions;
    const note = (o: Partial<BenchOptions>) => benchNotes(settings, { ...options, ...o }, false).join('\n');
    expect(note({})).toContain('1 s of burst per limit');
    expect(note({ strict: true, strictBurst: 2 })).toContain('GCRA) bucket holding 2 requests');
    expect(note({ outageMs: 200, outageAtMs: 1000, overloadAbove: 8, overloadErrorRate: 0.3 })).toContain(
      'an outage of 200 ms at 1000 ms; overload above 8 in flight per key (latency ×2, 30% 5xx)',
    );
  });
});
