import { afterEach } from 'vitest';
import type { MultiplexerOptions } from '../../src/config/options.js';
import type { Emulator, EmulatorOptions, ProviderName } from '../../src/emulator/index.js';
import { baseUrlFor, type SdkName, startEmulator } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import { builtinAdapters } from '../../src/providers/index.js';

/** Key values long enough to be masked; only the names appear in the emulator's ledger. */
export const KEYS = [
  'sk-emu-alpha-0000000001',
  'sk-emu-bravo-0000000002',
  'sk-emu-charlie-000000003',
] as const;
export const NAMES = ['a', 'b', 'c'] as const;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

export interface Setup {
  readonly emulator: Emulator;
  readonly mux: Multiplexer;
}

/**
 * An emulator with keys a, b, c (each its own pool) and a multiplexer holding the same keys for
 * `provider`, with its base URL pointed at the emulator. Both are closed after each test.
 */
export async function setup(
  provider: ProviderName,
  sdk: SdkName,
  emulatorOptions: Partial<EmulatorOptions> = {},
  muxOptions: MultiplexerOptions = {},
  keyCount = 3,
): Promise<Setup> {
  const emulator = await startEmulator({
    keys: KEYS.slice(0, keyCount).map((key, i) => ({ key, name: NAMES[i]! })),
    defaultLimits: { rpm: 10_000, tpm: 10_000_000 },
    ...emulatorOptions,
  });
  const mux = new Multiplexer({ initialRetryDelay: 10, ...muxOptions });
  const adapter = builtinAdapters().find((a) => a.name === provider) as ProviderAdapter;
  mux.registerProvider(adapter);
  for (let i = 0; i < keyCount; i++) {
    mux.addKey(provider, { name: NAMES[i]!, apiKey: KEYS[i]!, baseURL: baseUrlFor(sdk, emulator.url) });
  }
  closers.push(async () => {
    await mux.close();
    await emulator.close();
  });
  return { emulator, mux };
}

/** Requests the emulator served, per key name. */
export function servedByKey(emulator: Emulator): Record<string, number> {
  return emulator.ledger.countByKey();
}
