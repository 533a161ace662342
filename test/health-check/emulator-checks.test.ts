import { afterEach, describe, expect, it } from 'vitest';
import type { KeymuxEvent } from '../../src/core/events.js';
import type { Emulator, EmulatorOptions, SdkName } from '../../src/emulator/index.js';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { ManualClock } from '../support/manual-clock.js';

const GOOD = 'sk-emu-good-health-000001';
const BAD = 'sk-emu-later-health-00002';
const SDK: Record<string, SdkName> = {
  openai: 'openai',
  groq: 'groq',
  anthropic: 'anthropic',
  gemini: 'google-genai',
};

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function emulatorWith(keys: readonly string[]): Promise<Emulator> {
  const options: EmulatorOptions = {
    keys: keys.map((key, i) => ({ key, name: `k${i}` })),
    defaultLimits: { rpm: 600, tpm: 100_000 },
  };
  return startEmulator(options);
}

async function setup(provider: string, muxOptions: { healthCheckInterval?: number } = {}) {
  const emulator = await emulatorWith([GOOD]);
  const clock = new ManualClock(0);
  const mux = new Multiplexer({ clock, ...muxOptions });
  const baseURL = baseUrlFor(SDK[provider]!, emulator.url);
  mux.addKey(provider, { name: 'good', apiKey: GOOD, baseURL });
  mux.addKey(provider, { name: 'later', apiKey: BAD, baseURL });
  const events: KeymuxEvent[] = [];
  mux.on('*', (event) => events.push(event));
  closers.push(() => emulator.close());
  closers.push(() => mux.close());
  return { mux, clock, events, emulator };
}

describe.each(['openai', 'anthropic', 'groq', 'gemini'])('checkKeys against the emulator: %s', (provider) => {
  it('reports the rejected key and marks it unavailable before any job', async () => {
    const { mux, events, emulator } = await setup(provider);
    const results = await mux.checkKeys(provider);
    expect(results.map((r) => [r.name, r.ok, r.failureClass, r.state])).toEqual([
      ['good', true, undefined, 'healthy'],
      ['later', false, 'auth', 'unavailable'],
    ]);
    expect(results[0]?.status).toBe(200);
    // Gemini answers a wrong key with 400 API_KEY_INVALID, the others with 401.
    expect(results[1]?.status).toBe(provider === 'gemini' ? 400 : 401);
    expect(events.map((e) => e.type)).toContain('key-unavailable');
    // One models list per key reached the emulator, and nothing else: checks are not jobs.
    expect(emulator.ledger.entries().map((e) => [e.endpoint, e.key ?? 'unknown'])).toEqual(
      expect.arrayContaining([
        ['models', 'k0'],
        ['models', 'unknown'],
      ]),
    );
    expect(emulator.ledger.size).toBe(2);
    expect(mux.getUsageStats().providers[provider]?.keys.map((k) => k.requests)).toEqual([0, 0]);
    const text = JSON.stringify({ results, events });
    expect(text).not.toContain(GOOD);
    expect(text).not.toContain(BAD);
  });
});

describe('a spent quota, as the emulator words it', () => {
  it('marks the key exhausted; a later passing check revives it', async () => {
    const { mux, emulator, events } = await setup('openai');
    emulator.setScript('k0', [{ kind: 'quota' }]);
    const [first] = await mux.checkKeys('openai');
    expect(first).toMatchObject({
      ok: false,
      status: 429,
      failureClass: 'quota-exhausted',
      state: 'exhausted',
    });
    const [second] = await mux.checkKeys('openai');
    expect(second).toMatchObject({ ok: true, state: 'healthy' });
    expect(events.filter((e) => e.type === 'key-recovered').map((e) => 'key' in e && e.key.name)).toEqual([
      'good',
    ]);
  });
});

describe('healthCheckInterval against the emulator', () => {
  it('revives a key within one interval once the provider accepts it', async () => {
    const { mux, clock, emulator } = await setup('openai', { healthCheckInterval: 30_000 });
    await mux.checkKeys();
    expect(mux.getUsageStats().providers.openai?.keys.map((k) => k.state)).toEqual([
      'healthy',
      'unavailable',
    ]);
    // The provider starts accepting the key (re-enabled, billing restored).
    emulator.addKey({ key: BAD, name: 'later' });
    const recovered = new Promise<KeymuxEvent>((resolve) => mux.on('key-recovered', resolve));
    await clock.advance(30_000);
    const event = await recovered;
    expect(event).toMatchObject({ at: 30_000, key: { name: 'later' } });
    expect(mux.getUsageStats().providers.openai?.keys.map((k) => k.state)).toEqual(['healthy', 'healthy']);
    // The revived key serves jobs.
    const openai = mux.getOpenAIClient({ strategy: 'specific', keyName: 'later' });
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]?.message.content).toBeTruthy();
  });
});
