import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { MultiplexerOptions } from '../../src/index.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/serve/index.js';

export const KEYS = {
  openaiA: 'sk-emu-openai-aaaaaaaaaaaaaaaa',
  openaiB: 'sk-emu-openai-bbbbbbbbbbbbbbbb',
  groq: 'gsk-emu-groq-cccccccccccccccc',
  anthropic: 'sk-ant-emu-dddddddddddddddd',
  gemini: 'AIza-emu-eeeeeeeeeeeeeeeeeeee',
} as const;

export const GATEWAY_TOKEN = 'gw-client-token-0123456789';
export const ADMIN_TOKEN = 'admin-token-9876543210';

export interface Stack {
  readonly emulator: Emulator;
  readonly mux: Multiplexer;
  readonly gateway: Gateway;
  readonly url: string;
}

export interface StackOptions {
  readonly emulator?: Partial<EmulatorOptions>;
  readonly mux?: MultiplexerOptions;
  readonly gateway?: GatewayOptions;
  /** Where the keys' SDK clients send: the emulator, or a tap in front of it. */
  readonly upstreamUrl?: (emulatorUrl: string) => string;
}

/** An emulator, a multiplexer with one or two keys of each provider on it, and a gateway on a free port. */
export async function startStack(
  options: StackOptions = {},
  closers: Array<() => Promise<void>>,
): Promise<Stack> {
  const emulator = await startEmulator({
    keys: Object.entries(KEYS).map(([name, key]) => ({ key, name })),
    defaultLimits: { rpm: 100_000, tpm: 100_000_000 },
    ...options.emulator,
  });
  closers.push(() => emulator.close());
  const base = options.upstreamUrl?.(emulator.url) ?? emulator.url;
  const mux = new Multiplexer({ maxConcurrentRequests: 8, ...options.mux });
  const limits = { rpm: 100_000, tpm: 100_000_000 };
  mux.addKey('openai', { name: 'openai-a', apiKey: KEYS.openaiA, baseURL: `${base}/v1`, limits });
  mux.addKey('openai', { name: 'openai-b', apiKey: KEYS.openaiB, baseURL: `${base}/v1`, limits });
  mux.addKey('groq', { name: 'groq-a', apiKey: KEYS.groq, baseURL: base, limits });
  mux.addKey('anthropic', { name: 'claude-a', apiKey: KEYS.anthropic, baseURL: base, limits });
  mux.addKey('gemini', { name: 'gemini-a', apiKey: KEYS.gemini, baseURL: base, limits });
  const gateway = await startGateway(mux, {
    port: 0,
    gatewayTokens: [GATEWAY_TOKEN],
    adminToken: ADMIN_TOKEN,
    ...options.gateway,
  });
  closers.unshift(async () => {
    await gateway.close();
    await mux.close();
  });
  return { emulator, mux, gateway, url: gateway.url };
}

export async function closeAll(closers: Array<() => Promise<void>>): Promise<void> {
  for (const close of closers.splice(0)) await close();
}
