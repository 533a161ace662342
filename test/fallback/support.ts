import { afterEach } from 'vitest';
import type { MultiplexerOptions } from '../../src/config/options.js';
import type { KeymuxEvent } from '../../src/core/events.js';
import type { Emulator, FaultSpec } from '../../src/emulator/index.js';
import { baseUrlFor, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { builtinAdapters } from '../../src/providers/index.js';

/** Canary values: none may appear in any error, event or stat. */
export const KEYS = {
  openai: 'sk-fb-openai-canary-0000001',
  groq: 'gsk-fb-groq-canary-00000002',
  anthropic: 'sk-ant-fb-canary-000000003',
  gemini: 'AIza-fb-gemini-canary-00004',
} as const;
type Provider = keyof typeof KEYS;
const SDK = { openai: 'openai', groq: 'groq', anthropic: 'anthropic', gemini: 'gemini' } as const;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

export interface FallbackSetup {
  readonly emulator: Emulator;
  readonly mux: Multiplexer;
  readonly events: KeymuxEvent[];
}

/** An emulator with one key per provider given, and a multiplexer holding them; closed after the test. */
export async function setupFallbacks(
  providers: readonly Provider[],
  muxOptions: MultiplexerOptions,
  faults: readonly FaultSpec[] = [],
): Promise<FallbackSetup> {
  const emulator = await startEmulator({
    keys: providers.map((p) => ({ key: KEYS[p], name: p, provider: p })),
    defaultLimits: { rpm: 10_000, tpm: 10_000_000 },
    faults: [...faults],
  });
  const mux = new Multiplexer({ initialRetryDelay: 10, maxRetries: 2, ...muxOptions });
  for (const p of providers) {
    mux.registerProvider(builtinAdapters().find((a) => a.name === p)!);
    mux.addKey(p, { name: p, apiKey: KEYS[p], baseURL: baseUrlFor(SDK[p], emulator.url) });
  }
  const events: KeymuxEvent[] = [];
  mux.on('*', (e) => events.push(e));
  closers.push(async () => {
    await mux.close();
    await emulator.close();
  });
  return { emulator, mux, events };
}

/** Fails when any canary key's value appears in what `value` prints or serialises to. */
export function leaksKey(value: unknown): boolean {
  const seen = new WeakSet();
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Error) return { ...v, name: v.name, message: v.message, stack: v.stack, cause: v.cause };
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return undefined;
      seen.add(v);
    }
    return v;
  });
  return Object.values(KEYS).some((key) => text.includes(key));
}
