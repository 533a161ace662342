import type { BatchRecord } from './batches/batch-store.js';
import type { EmulatorKey, FaultSpec, OverloadSpec, PoolLimits, ScriptStep } from './config/options.js';
import type { InstalledFault } from './faults/faults.js';
import type { OutageRecord } from './faults/outage.js';
import type { Ledger } from './ledger.js';
import type { PoolState } from './limits/quota-pool.js';

/** A running emulator. */
export interface Emulator {
  /** The base URL, `http://127.0.0.1:PORT`, without a path (see `baseUrlFor`). */
  readonly url: string;
  readonly port: number;
  /** Its `open`/`enter`/`leave` are the emulator's own bookkeeping; use the queries (see `LedgerView`). */
  readonly ledger: Ledger;
  /** Every batch created (OpenAI Batches, Anthropic Message Batches): its key and its lines' custom ids. */
  batches(): readonly BatchRecord[];
  /** Replaces every fault (global and per key). */
  setFaults(faults: readonly FaultSpec[]): void;
  /** Adds one fault, e.g. `{ kind: 'overloaded', key: 'k1', count: 3 }`; returns an id for `removeFault`. */
  addFault(fault: FaultSpec): number;
  removeFault(id: number): void;
  /** The faults installed, with how often each matched and fired. */
  faults(): readonly InstalledFault[];
  /**
   * Replaces the script of the key named `key`: its next requests get these answers in order, e.g.
   * `[503, 503, { status: 429, retryAfterMs: 2000 }, 200]`; after the last, normal behaviour. `[]` clears it.
   */
  setScript(key: string, steps: readonly ScriptStep[]): void;
  /** Steps of the key's script not yet consumed. */
  scriptRemaining(key: string): number;
  /** Sets (or, with `undefined`, ends) the overload fault: latency × factor and 5xx above N in flight per key. */
  setOverload(spec: OverloadSpec | undefined): void;
  /**
   * Accepts a new key while running, e.g. one the emulator answered 401 so far. A new pool gets `limits`
   * over the configured or default limits. Throws `EmulatorConfigError` on a duplicate name or value.
   */
  addKey(key: EmulatorKey, limits?: PoolLimits): void;
  /** Stops accepting the key named `name`: its next requests get the provider's 401. Its pool stays. */
  removeKey(name: string): void;
  /** Names of the keys accepted now. */
  keyNames(): readonly string[];
  /**
   * Starts an outage now: the listening socket closes (new connections: ECONNREFUSED) and every open
   * connection is destroyed (requests in flight: reset, recorded with fault `outage`). Resolves once closed.
   */
  beginOutage(): Promise<void>;
  /** Ends the outage: listens again on the same port. Resolves once listening. */
  endOutage(): Promise<void>;
  /** An outage of `durationMs` wall-clock time from now; resolves when the endpoint serves again. */
  outage(durationMs: number): Promise<void>;
  /** Whether an outage is on now. */
  readonly inOutage: boolean;
  /** Outages so far, on the emulator's clock, with how many requests each cut. */
  outages(): readonly OutageRecord[];
  /**
   * A pool's buckets now, as the rate-limit headers would report them: those of `model` (each model has its
   * own unless the pool says `perModel: false`), by default those of the model of the pool's last request.
   */
  poolState(pool: string, model?: string): PoolState;
  /** Stops listening, ends every connection, hang and latency wait; resolves when the server is closed. */
  close(): Promise<void>;
}
