import type { Capacity } from './capacity.js';

/** (a) one key with the SDK's retries, (b) one SDK client per key taken in turn, (c) keymux. */
export type RunKind = 'single-key' | 'naive-rotation' | 'keymux';

export type StopReason = 'done' | 'time-budget' | 'request-cap' | 'interrupted';

export interface KeyShare {
  readonly key: string;
  /** Jobs this key answered successfully. */
  readonly succeeded: number;
  /** HTTP requests sent with this key, retries included. */
  readonly requests: number;
  /** Of those, answered 429. */
  readonly limited: number;
}

export interface Timeline {
  readonly bucketMs: number;
  /** Successful answers per key per bucket, from the run's start. */
  readonly perKey: Readonly<Record<string, readonly number[]>>;
  /** 429 answers per bucket, all keys together. */
  readonly limited: readonly number[];
}

export interface RunResult {
  readonly name: string;
  readonly kind: RunKind;
  readonly strategy: string | null;
  /** For keymux runs: whether it was given the limits or learned them from headers. */
  readonly limits: 'configured' | 'learned' | null;
  readonly keys: number;
  readonly jobsPlanned: number;
  readonly jobsStarted: number;
  readonly jobsSucceeded: number;
  readonly jobsFailed: number;
  readonly stoppedBy: StopReason;
  readonly wallMs: number;
  /** Successful jobs per second of wall time. */
  readonly requestsPerSecond: number;
  /** Capacity of the keys this run used. */
  readonly capacityRps: number | null;
  readonly goodputPercent: number | null;
  /** 429 answers the provider sent (from the emulator's ledger when there is one). */
  readonly upstream429: number;
  /** HTTP requests sent, retries included. */
  readonly requests: number;
  /** Requests beyond the first of each job. */
  readonly retries: number;
  /** Successful jobs, from the call to the answer, queueing and retries included. */
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number };
  readonly perKey: readonly KeyShare[];
  /** keymux runs: the keys' concurrency limits at the end (mean per key) and the highest any reached. */
  readonly slots: { readonly finalMeanPerKey: number; readonly peak: number } | null;
  /** Why jobs failed, by error name and status. */
  readonly failures: Readonly<Record<string, number>>;
  readonly timeline: Timeline;
  /**
   * What the run's answers cost at the price table (src/spend/price-table.json) from each answer's usage:
   * `usd` null when the model has no price there; `calls` the answers counted.
   */
  readonly cost: RunCost;
}

export interface RunCost {
  readonly model: string;
  readonly usd: number | null;
  readonly calls: number;
}

export interface BenchSettings {
  readonly provider: string;
  readonly target: 'emulator' | 'provider';
  readonly keys: number;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly latencyMs: { readonly min: number; readonly max: number } | null;
  readonly jobs: number;
  readonly concurrency: number;
  readonly maxConcurrentPerKey: ReadonlyArray<number | 'auto'>;
  readonly singleKeyBudgetMs: number;
  readonly seed: number;
  readonly strategies: readonly string[];
}

/** Everything `keymux bench --json` writes. */
export interface BenchResult {
  readonly version: 1;
  readonly generatedAt: string;
  readonly command: string;
  readonly settings: BenchSettings;
  /** Capacity of all the keys together. */
  readonly capacity: Capacity;
  readonly runs: readonly RunResult[];
  /** What makes the comparison fair, or where it is not. */
  readonly notes: readonly string[];
  /** `--processes N`: each group of N processes on one set of keys, its runs named in `runs`. */
  readonly processGroups?: readonly ProcessGroup[];
}

/** N OS processes on the same keys, sharing their state through Redis, or each alone (memory store). */
export interface ProcessGroup {
  readonly store: 'redis' | 'memory';
  readonly limits: 'configured' | 'learned';
  readonly processes: number;
  /** The runs of this group: one per process, then all processes together (the last). */
  readonly runs: readonly string[];
  /** Jobs that never settled (neither answered nor failed) though the run finished: lost. */
  readonly jobsUnsettled: number;
  /** Jobs the provider answered more than once: duplicated. */
  readonly jobsDuplicated: number;
  /** The most 429s one key drew. */
  readonly maxLimitedPerKey: number;
  /** Every 429 of the run: the key, and when it was sent (ms after the processes started). */
  readonly limited: ReadonlyArray<{ readonly key: string; readonly atMs: number }>;
  /** Redis round trips per settled job, all processes together (redis groups only). */
  readonly redisRoundTripsPerJob?: number;
  /** `store-degraded` / `store-recovered` events, all processes together. */
  readonly storeEvents: {
    readonly degraded: number;
    readonly recovered: number;
    /** The distinct reasons the processes' stores gave for going local. */
    readonly reasons?: readonly string[];
  };
  /** The Redis outage of this run, when there was one; 429s drawn from its start to 5 s after its end. */
  readonly redisOutage?: {
    readonly atMs: number;
    readonly durationMs: number;
    readonly limitedAround: number;
  };
}
