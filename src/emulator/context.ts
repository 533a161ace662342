import type { FaultInjector } from './faults.js';
import type { KeyScripts } from './key-scripts.js';
import type { Ledger } from './ledger.js';
import type { QuotaPool } from './quota-pool.js';
import type { Random } from './random.js';
import type { ResolvedKey, ResolvedOptions } from './resolve-options.js';

/** Everything a request handler shares with the running emulator. */
export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly keysByValue: ReadonlyMap<string, ResolvedKey>;
  readonly pools: ReadonlyMap<string, QuotaPool>;
  readonly ledger: Ledger;
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
