/**
 * The provider emulator: a loopback HTTP server that speaks the OpenAI, Groq, Anthropic and Gemini wire
 * formats closely enough for the official SDKs, with per-pool rate limits, seeded latency and output,
 * injected faults, and a ledger of every request.
 *
 * ```ts
 * const emulator = await startEmulator({ keys: [{ key: 'sk-a', name: 'a' }], pools: { a: { rpm: 60 } } });
 * const openai = new OpenAI({ apiKey: 'sk-a', baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
 * emulator.addFault({ kind: 'overloaded', key: 'a', count: 2 }); // the next two requests of key a
 * emulator.ledger.maxPerSlidingWindow('a', 60_000);              // ≤ 60
 * await emulator.close();
 * ```
 */

export type { BatchRecord } from './batches/batch-store.js';
export { type EmulateFlags, emulatorConfigFromFlags } from './config/config-from-flags.js';
export { EmulatorConfigError, emulatorConfigSchema, parseEmulatorConfig } from './config/config-schema.js';
export type {
  BatchSpec,
  EmulatorConfig,
  EmulatorKey,
  EmulatorOptions,
  FaultKind,
  FaultSpec,
  LatencySpec,
  OverloadSpec,
  PoolLimits,
  ProviderName,
  ScriptStep,
} from './config/options.js';
export { DEFAULT_LIMITS } from './config/resolve-options.js';
export { formatGoDuration } from './dialects/go-duration.js';
export type { InstalledFault } from './faults/faults.js';
export { faultForStatus } from './faults/key-scripts.js';
export type { OutageRecord, OutageSpec } from './faults/outage.js';
export { baseUrlFor, type SdkName } from './http/base-url.js';
export {
  type Endpoint,
  Ledger,
  type LedgerEntry,
  type LedgerFault,
  type LedgerFilter,
  type LedgerOutcome,
  type LedgerView,
} from './ledger.js';
export type { BucketState, LimitDimension, PoolState } from './limits/quota-pool.js';
export { STRICT_DEFAULT_BURST } from './limits/quota-pool.js';
export { type Emulator, startEmulator } from './start-emulator.js';
