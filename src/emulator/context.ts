import type { BatchStore } from './batches/batch-store.js';
import type { OverloadSpec } from './config/options.js';
import type { ResolvedOptions } from './config/resolve-options.js';
import type { FaultInjector } from './faults/faults.js';
import type { KeyScripts } from './faults/key-scripts.js';
import type { OutageSwitch } from './faults/outage.js';
import type { Ledger } from './ledger.js';
import type { KeyRegistry } from './limits/key-registry.js';
import type { Random } from './random.js';

/** Everything a request handler shares with the running emulator. */
export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly keys: KeyRegistry;
  /** Admitted requests in flight per key name (the overload fault counts these). */
  readonly keyInFlight: Map<string, number>;
  /** Settable while running (`setOverload`). */
  overload: OverloadSpec | undefined;
  readonly outage: OutageSwitch;
  readonly ledger: Ledger;
  /** Files and batches of the Batch APIs. */
  readonly batches: BatchStore;
  readonly faults: FaultInjector;
  readonly scripts: KeyScripts;
  readonly random: Random;
  readonly startedAt: number;
  /** Aborted by `close()`. */
  readonly closing: AbortSignal;
  /** One controller per admitted request in progress; `close()` aborts them all, ending sleeps and hangs. */
  readonly active: Set<AbortController>;
  /** Numbers responses and objects (`req_…`, `chatcmpl-…`) without touching the seeded random. */
  nextId(): number;
}
