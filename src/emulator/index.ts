export { baseUrlFor, type SdkName } from './base-url.js';
export { EmulatorConfigError, emulatorConfigSchema, parseEmulatorConfig } from './config-schema.js';
export type { InstalledFault } from './faults.js';
export { formatGoDuration } from './go-duration.js';
export { type Endpoint, Ledger, type LedgerEntry, type LedgerFilter, type LedgerOutcome } from './ledger.js';
export type {
  EmulatorConfig,
  EmulatorKey,
  EmulatorOptions,
  FaultKind,
  FaultSpec,
  LatencySpec,
  PoolLimits,
  ProviderName,
} from './options.js';
export type { BucketState, LimitDimension, PoolState } from './quota-pool.js';
export { DEFAULT_LIMITS } from './resolve-options.js';
export { type Emulator, startEmulator } from './start-emulator.js';
