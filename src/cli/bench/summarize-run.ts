import { percentile } from '../../core/key-counters.js';
import { bucketsOf, costOf, PriceBook } from '../../spend/prices.js';
import type { KeyShare, RunCost, RunKind, RunResult, StopReason, Timeline } from './bench-result.js';
import { goodputPercent } from './capacity.js';
import type { JobRecord, RunRecorder } from './run-recorder.js';

export interface RunMeta {
  readonly name: string;
  readonly kind: RunKind;
  readonly strategy: string | null;
  readonly limits: 'configured' | 'learned' | null;
  readonly keyNames: readonly string[];
  readonly jobsPlanned: number;
  readonly stoppedBy: StopReason;
  readonly capacityRps: number | null;
  /** The provider's own count of 429s and requests (the emulator's ledger), which outranks the client's. */
  readonly upstream?: {
    readonly limited: number;
    readonly requests: number;
    readonly perKey?: KeyShareCounts;
  };
  readonly timelineBucketMs?: number;
  /** The model every job asks for: the run's cost is priced at its entry of the price table. */
  readonly model: string;
}

export type KeyShareCounts = Readonly<
  Record<string, { readonly requests: number; readonly limited: number }>
>;

/** Folds a finished run's records into the figures of its table row and its charts. */
export function summarizeRun(recorder: RunRecorder, meta: RunMeta): RunResult {
  const wallMs = Math.max(0, recorder.endedAt - recorder.startedAt);
  const ok = recorder.jobs.filter((j) => j.ok);
  const latencies = ok.map((j) => j.endedAt - j.startedAt);
  const requestsPerSecond = wallMs > 0 ? (ok.length * 1000) / wallMs : 0;
  const requests = meta.upstream?.requests ?? recorder.attempts.length;
  const failures: Record<string, number> = {};
  for (const job of recorder.jobs) {
    if (!job.ok) failures[job.failure ?? 'unknown'] = (failures[job.failure ?? 'unknown'] ?? 0) + 1;
  }
  return {
    name: meta.name,
    kind: meta.kind,
    strategy: meta.strategy,
    limits: meta.limits,
    keys: meta.keyNames.length,
    jobsPlanned: meta.jobsPlanned,
    jobsStarted: recorder.jobs.length,
    jobsSucceeded: ok.length,
    jobsFailed: recorder.jobs.length - ok.length,
    slots: slotsOf(recorder),
    stoppedBy: meta.stoppedBy,
    wallMs,
    requestsPerSecond: round(requestsPerSecond, 2),
    capacityRps: meta.capacityRps === null ? null : round(meta.capacityRps, 2),
    goodputPercent: goodputPercent(requestsPerSecond, meta.capacityRps),
    upstream429: meta.upstream?.limited ?? recorder.limited,
    requests,
    retries: Math.max(0, requests - recorder.jobs.length),
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
    },
    perKey: keyShares(recorder, meta),
    failures,
    timeline: timeline(recorder, meta.keyNames, meta.timelineBucketMs ?? 1000),
    cost: runCost(ok, meta.model),
  };
}

/** The answers' cost at the built-in price table; null when the model is not in it. */
function runCost(answered: readonly JobRecord[], model: string): RunCost {
  const price = new PriceBook().lookup(model);
  let usd: number | null = price ? 0 : null;
  let calls = 0;
  for (const { usage } of answered) {
    if (!usage) continue;
    calls++;
    const cost = costOf(bucketsOf(usage), price);
    usd = usd === null || cost === null ? null : usd + cost;
  }
  return { model, usd, calls };
}

function keyShares(recorder: RunRecorder, meta: RunMeta): KeyShare[] {
  return meta.keyNames.map((key) => {
    const sent = recorder.attempts.filter((a) => a.key === key);
    const upstream = meta.upstream?.perKey?.[key];
    return {
      key,
      succeeded: recorder.jobs.filter((j) => j.ok && j.key === key).length,
      requests: upstream?.requests ?? sent.length,
      limited: upstream?.limited ?? sent.filter((a) => a.status === 429).length,
    };
  });
}

function timeline(recorder: RunRecorder, keyNames: readonly string[], bucketMs: number): Timeline {
  const buckets = Math.max(1, Math.ceil((recorder.endedAt - recorder.startedAt) / bucketMs));
  const index = (at: number): number =>
    Math.min(buckets - 1, Math.max(0, Math.floor((at - recorder.startedAt) / bucketMs)));
  const perKey: Record<string, number[]> = {};
  for (const key of keyNames) perKey[key] = new Array<number>(buckets).fill(0);
  for (const job of recorder.jobs) {
    const series = job.ok && job.key !== undefined ? perKey[job.key] : undefined;
    if (series) series[index(job.endedAt)] = (series[index(job.endedAt)] ?? 0) + 1;
  }
  const limited = new Array<number>(buckets).fill(0);
  for (const a of recorder.attempts)
    if (a.status === 429) limited[index(a.at)] = (limited[index(a.at)] ?? 0) + 1;
  return { bucketMs, perKey, limited };
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function slotsOf(recorder: RunRecorder): RunResult['slots'] {
  if (recorder.slots.size === 0) return null;
  const limits = [...recorder.slots.values()];
  const mean = limits.reduce((sum, l) => sum + l.now, 0) / limits.length;
  return { finalMeanPerKey: round(mean, 1), peak: Math.max(...limits.map((l) => l.peak)) };
}
