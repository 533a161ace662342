import type { Ledger, LedgerEntry } from '../../emulator/index.js';
import { benchNotes } from './bench-notes.js';
import type { BenchOptions } from './bench-options.js';
import type { BenchResult, BenchSettings, ProcessGroup, RunResult } from './bench-result.js';
import { theoreticalCapacity } from './capacity.js';
import { meanCharged, upstreamCounts, withLedgerAttempts } from './execute-run.js';
import { OUTAGE_TAIL_MS } from './outage-schedule.js';
import type { ProcessReport } from './process-messages.js';
import { RunRecorder } from './run-recorder.js';
import { summarizeRun } from './summarize-run.js';

/** A group of processes: where they share their keys' state, and whether their limits are configured. */
export interface Group {
  readonly store: 'redis' | 'memory';
  readonly limits: 'configured' | 'learned';
}

/** One group's processes as they ran: their reports, the emulator's ledger, the outage if any. */
export interface GroupRun {
  readonly group: Group;
  readonly reports: readonly ProcessReport[];
  readonly ledger: Ledger;
  readonly jobOwner: ReadonlyMap<string, number>;
  /** When the processes were told to go (Date.now()). */
  readonly startedAt: number;
  readonly outage: { atMs: number; durationMs: number; startedAt: number } | undefined;
}

/** The processes' runs as one bench result: per group, the merged run and its figures, and the notes. */
export function summarizeGroups(
  options: BenchOptions,
  command: string,
  executed: readonly GroupRun[],
  n: number,
  concurrency: number,
  slots: number | 'auto',
  estimatedTokens: number,
  model: string,
): BenchResult {
  const charged = executed.flatMap((r) => {
    const mean = meanCharged(r.ledger);
    return mean === undefined ? [] : [mean];
  });
  const tokensPerRequest = charged.length
    ? charged.reduce((a, b) => a + b, 0) / charged.length
    : estimatedTokens;
  const capacity = theoreticalCapacity(
    Array.from({ length: options.keys }, () => ({
      rpm: options.rpm,
      tpm: options.tpm,
      ...(slots === 'auto' ? {} : { concurrency: slots * n }),
    })),
    tokensPerRequest,
    (options.latencyMinMs + options.latencyMaxMs) / 2,
  );
  const keyNames = Array.from({ length: options.keys }, (_, i) => `key-${i}`);
  const runs: RunResult[] = [];
  const processGroups: ProcessGroup[] = [];
  for (const r of executed) {
    const label = `${r.group.store} ×${n}${r.group.limits === 'learned' ? ' (learned limits)' : ''}`;
    const names: string[] = [];
    const rows = [...r.reports.map((report) => [report]), r.reports];
    for (const [i, reports] of rows.entries()) {
      const all = i === r.reports.length;
      const owned = new Set(reports.map((p) => p.index));
      const scope = (e: LedgerEntry): boolean => all || owned.has(r.jobOwner.get(e.requestId ?? '') ?? -1);
      const recorder = merged(reports);
      withLedgerAttempts(recorder, r.ledger, scope);
      const name = all ? `${label}: all` : `${label}: process ${i + 1}`;
      names.push(name);
      runs.push(
        summarizeRun(recorder, {
          name,
          kind: 'keymux',
          strategy: options.strategies[0] ?? 'least-loaded',
          limits: r.group.limits,
          keyNames,
          jobsPlanned: reports.reduce((sum, p) => sum + planned(r.jobOwner, p.index), 0),
          stoppedBy: reports.find((p) => p.stoppedBy !== 'done')?.stoppedBy ?? 'done',
          capacityRps: capacity.rps === null ? null : (capacity.rps * reports.length) / n,
          upstream: upstreamCounts(r.ledger, scope),
          model,
        }),
      );
    }
    processGroups.push(groupFigures(r, names, n));
  }
  const settings: BenchSettings = {
    provider: options.provider,
    target: 'emulator',
    keys: options.keys,
    rpm: options.rpm,
    tpm: options.tpm,
    latencyMs: { min: options.latencyMinMs, max: options.latencyMaxMs },
    jobs: options.jobs,
    concurrency,
    maxConcurrentPerKey: [slots],
    singleKeyBudgetMs: 0,
    seed: options.seed,
    strategies: options.strategies.slice(0, 1),
  };
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    command,
    settings,
    capacity,
    runs,
    notes: processNotes(options, n, concurrency, slots).concat(
      benchNotes(settings, options, charged.length > 0).slice(3),
    ),
    processGroups,
  };
}

function planned(jobOwner: ReadonlyMap<string, number>, index: number): number {
  let count = 0;
  for (const owner of jobOwner.values()) if (owner === index) count++;
  return count;
}

/** The processes' records as one run: from the first start to the last end. */
function merged(reports: readonly ProcessReport[]): RunRecorder {
  const recorder = new RunRecorder();
  recorder.startedAt = Math.min(...reports.map((p) => p.startedAt));
  recorder.endedAt = Math.max(...reports.map((p) => p.endedAt));
  for (const p of reports) {
    recorder.jobs.push(...p.jobs);
    recorder.storeEvents.push(...p.storeEvents);
    // Slots are per key per process: each process keeps its own.
    for (const [key, limits] of p.slots) recorder.slots.set(`${p.index}:${key}`, limits);
  }
  return recorder;
}

function groupFigures(r: GroupRun, names: readonly string[], n: number): ProcessGroup {
  const settled = r.reports.reduce((sum, p) => sum + p.jobs.length, 0);
  const finished = r.reports.every((p) => p.stoppedBy === 'done');
  const answers = new Map<string, number>();
  for (const e of r.ledger.entries({ outcome: 'ok' }))
    if (e.requestId !== undefined) answers.set(e.requestId, (answers.get(e.requestId) ?? 0) + 1);
  let duplicated = 0;
  for (const count of answers.values()) duplicated += count - 1;
  const limitedPerKey = Object.values(upstreamCounts(r.ledger).perKey).map((k) => k.limited);
  const events = r.reports.flatMap((p) => p.storeEvents);
  const outage = r.outage;
  return {
    store: r.group.store,
    limits: r.group.limits,
    processes: n,
    runs: names,
    jobsUnsettled: finished ? r.jobOwner.size - settled : 0,
    jobsDuplicated: duplicated,
    maxLimitedPerKey: Math.max(0, ...limitedPerKey),
    limited: r.ledger
      .entries({ status: 429 })
      .map((e) => ({ key: e.key ?? '?', atMs: Math.round(e.startedAt - r.startedAt) })),
    ...(r.group.store === 'redis'
      ? {
          redisRoundTripsPerJob:
            r.reports.reduce((sum, p) => sum + p.redisRoundTrips, 0) / Math.max(1, settled),
        }
      : {}),
    storeEvents: {
      degraded: events.filter((e) => e.type === 'store-degraded').length,
      recovered: events.filter((e) => e.type === 'store-recovered').length,
      reasons: [...new Set(events.flatMap((e) => (e.reason === undefined ? [] : [e.reason])))],
    },
    ...(outage
      ? {
          redisOutage: {
            atMs: outage.atMs,
            durationMs: outage.durationMs,
            limitedAround: r.ledger
              .entries({ status: 429 })
              .filter(
                (e) =>
                  e.startedAt >= outage.startedAt + outage.atMs &&
                  e.startedAt <= outage.startedAt + outage.atMs + outage.durationMs + OUTAGE_TAIL_MS,
              ).length,
          },
        }
      : {}),
  };
}

function processNotes(
  options: BenchOptions,
  n: number,
  concurrency: number,
  slots: number | 'auto',
): string[] {
  const outage =
    options.redisOutageMs === undefined
      ? ''
      : ` The bench runs its own redis-server and stops it ${options.redisOutageAtSeconds ?? 10} s into each Redis run for ${options.redisOutageMs} ms; while it is away each process paces to 1/${n} of every limit.`;
  return [
    `${n} OS processes run keymux (${options.strategies[0] ?? 'least-loaded'}) on the same ${options.keys} emulator keys, each on its own ${Math.round(options.jobs / n)} of ${options.jobs} seeded jobs, ${options.arrival === 'batch' ? 'all submitted at once (batch arrival)' : `${concurrency} outstanding at once per process`}, ${slots === 'auto' ? 'adaptive (auto)' : slots} slots per key per process. "redis": they share the keys' state through one Redis; "memory": each paces alone.${outage}`,
    `Capacity of one process's row: its 1/${n} share of the keys' capacity; "all": the processes together, from the first start to the last end.`,
  ];
}
