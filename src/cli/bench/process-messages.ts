import type { BuiltinProvider, RateLimits, Strategy } from '../../config/options.js';
import type { StopReason } from './bench-result.js';
import type { TargetKey } from './bench-target.js';
import type { JobRecord, StoreEventRecord } from './run-recorder.js';
import type { BenchJob } from './workload.js';

/** `keymux bench --processes`: what the bench (parent) and each of its processes say over IPC. */

/** Parent → process: its share of the workload and how to run it; it answers `ready`. */
export interface ProcessOrder {
  readonly type: 'order';
  readonly index: number;
  readonly provider: BuiltinProvider;
  readonly baseURL: string | undefined;
  readonly keys: readonly TargetKey[];
  readonly jobs: readonly BenchJob[];
  readonly concurrency: number;
  readonly budgetMs: number;
  readonly strategy: Strategy;
  /** Given to every key; undefined: learned from the provider's headers. */
  readonly limits: RateLimits | undefined;
  readonly maxConcurrentPerKey: number | 'auto';
  /** Shared state on this Redis, under one prefix for all processes; undefined: each process alone. */
  readonly redis: { readonly url: string; readonly prefix: string; readonly processes: number } | undefined;
}

/** Parent → processes, once all are ready: start now, together. */
export interface ProcessGo {
  readonly type: 'go';
}

export interface ProcessReady {
  readonly type: 'ready';
}

/** Process → parent, when its share is done: the client-side record of its run. */
export interface ProcessReport {
  readonly type: 'report';
  readonly index: number;
  readonly stoppedBy: StopReason;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly jobs: readonly JobRecord[];
  readonly storeEvents: readonly StoreEventRecord[];
  /** Each key's concurrency limit in this process at the end, and the highest it reached. */
  readonly slots: ReadonlyArray<readonly [string, { readonly now: number; readonly peak: number }]>;
  /** Commands this process's store sent to Redis (each one round trip); 0 without Redis. */
  readonly redisRoundTrips: number;
}

export type ParentMessage = ProcessOrder | ProcessGo;
export type ChildMessage = ProcessReady | ProcessReport;

/** The hidden command the bench forks its processes with. */
export const PROCESS_COMMAND = 'bench-process';
