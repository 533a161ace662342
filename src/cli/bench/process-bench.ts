import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import type { Ledger, LedgerEntry } from '../../emulator/index.js';
import { RedisServer } from '../shared/redis-server.js';
import { UsageError } from '../shared/usage-error.js';
import { benchNotes } from './bench-notes.js';
import type { BenchOptions } from './bench-options.js';
import type { BenchResult, BenchSettings, ProcessGroup, RunResult } from './bench-result.js';
import { type BenchTarget, emulatorTarget } from './bench-target.js';
import { theoreticalCapacity } from './capacity.js';
import { meanCharged, upstreamCounts, withLedgerAttempts } from './execute-run.js';
import { loadKit } from './kits/load-kit.js';
import {
  type ChildMessage,
  PROCESS_COMMAND,
  type ProcessOrder,
  type ProcessReport,
} from './process-messages.js';
import { outstandingJobs } from './run-bench.js';
import { RunRecorder } from './run-recorder.js';
import { summarizeRun } from './summarize-run.js';
import { type BenchJob, buildWorkload, meanEstimatedTokens } from './workload.js';

/** How long after a Redis outage ends its 429s are still counted as its own. */
const OUTAGE_TAIL_MS = 5000;

export interface Group {
  readonly store: 'redis' | 'memory';
  readonly limits: 'configured' | 'learned';
}

interface GroupRun {
  readonly group: Group;
  readonly reports: readonly ProcessReport[];
  readonly ledger: Ledger;
  readonly jobOwner: ReadonlyMap<string, number>;
  /** When the processes were told to go (Date.now()). */
  readonly startedAt: number;
  readonly outage: { atMs: number; durationMs: number; startedAt: number } | undefined;
}

/**
 * `keymux bench --processes N`: N OS processes (this CLI, forked) run keymux on the same emulator keys,
 * each on its share of the workload, first sharing their keys' state through Redis, then each alone on its
 * memory store, to show what sharing prevents. The emulator runs here, in the parent, so its ledger sees
 * every process's requests. With `--redis-outage-ms` the bench runs its own redis-server, to stop it
 * mid-run and start it again.
 */
export async function runProcessBench(
  options: BenchOptions,
  command: string,
  signal: AbortSignal,
): Promise<BenchResult> {
  const n = options.processes ?? 1;
  const outage = options.redisOutageMs;
  if (outage !== undefined && options.redis !== undefined)
    throw new UsageError('--redis-outage-ms runs a redis-server of its own to stop and start: drop --redis');
  if (outage === undefined && options.redis === undefined)
    throw new UsageError(
      '--processes needs --redis <url> (or --redis-outage-ms, which runs a redis-server of its own)',
    );
  const entry = process.argv[1];
  if (entry === undefined) throw new Error('cannot find the keymux command to fork');
  const kit = await loadKit(options.provider);
  const modes: Array<'configured' | 'learned'> =
    options.limits === 'both' ? ['configured', 'learned'] : [options.limits ?? 'configured'];
  // Without baselines, the processes' runs each alone on its memory store (what sharing prevents) are left out.
  const groups: Group[] = modes.flatMap((limits) => [
    { store: 'redis' as const, limits },
    ...(options.baselines === false ? [] : [{ store: 'memory' as const, limits }]),
  ]);
  const jobs = buildWorkload(options.jobs, options.seed);
  const concurrency = options.concurrency ?? outstandingJobs(options, options.keys);
  // One setting for every process: the first of --max-concurrent.
  const slots = options.maxConcurrent[0] ?? 'auto';
  const server = outage === undefined ? undefined : await RedisServer.start();
  const executed: GroupRun[] = [];
  try {
    for (const [g, group] of groups.entries()) {
      if (signal.aborted) break;
      const target = await emulatorTarget(kit, options);
      try {
        const slices = Array.from({ length: n }, (_, i) =>
          jobs.slice(Math.floor((i * jobs.length) / n), Math.floor(((i + 1) * jobs.length) / n)),
        );
        const jobOwner = new Map(slices.flatMap((slice, i) => slice.map((job) => [job.id, i] as const)));
        const orders = groupOrders({
          options,
          group,
          groupIndex: g,
          slices,
          target,
          concurrency,
          slots,
          redisUrl: server?.url ?? options.redis,
        });
        const withOutage = group.store === 'redis' && server !== undefined && outage !== undefined;
        const outageAtMs = (options.redisOutageAtSeconds ?? 10) * 1000;
        const { reports, startedAt } = await runProcesses(
          entry,
          orders,
          signal,
          withOutage ? { server, atMs: outageAtMs, durationMs: outage } : undefined,
        );
        executed.push({
          group,
          reports,
          ledger: target.ledger ?? emptyLedgerError(),
          jobOwner,
          startedAt,
          outage: withOutage ? { atMs: outageAtMs, durationMs: outage, startedAt } : undefined,
        });
      } finally {
        await target.close();
      }
    }
  } finally {
    await server?.stop();
  }
  return summarize(options, command, executed, n, concurrency, slots, meanEstimatedTokens(jobs));
}

export interface GroupOrdersInput {
  readonly options: BenchOptions;
  readonly group: Group;
  readonly groupIndex: number;
  readonly slices: ReadonlyArray<readonly BenchJob[]>;
  readonly target: Pick<BenchTarget, 'baseURL' | 'keys'>;
  readonly concurrency: number;
  readonly slots: number | 'auto';
  readonly redisUrl: string | undefined;
}

/**
 * One order per process of a group. The Redis prefix is made once for the whole group: made per process,
 * a clock tick between two of them left a process on a store of its own, pacing alone at the full limit
 * beside the others (about one run in ten drew a hundred 429s that way).
 */
export function groupOrders(input: GroupOrdersInput): ProcessOrder[] {
  const { options, group, slices, target, redisUrl } = input;
  const prefix = `bench-${process.pid}-${Date.now()}-${input.groupIndex}`;
  return slices.map(
    (slice, index): ProcessOrder => ({
      type: 'order',
      index,
      provider: options.provider,
      baseURL: target.baseURL,
      keys: target.keys,
      jobs: slice,
      // Batch arrival: every job of the share submitted at once.
      concurrency: options.arrival === 'batch' ? Math.max(1, slice.length) : input.concurrency,
      budgetMs: options.runTimeoutSeconds * 1000,
      strategy: options.strategies[0] ?? 'least-loaded',
      limits: group.limits === 'configured' ? { rpm: options.rpm, tpm: options.tpm } : undefined,
      maxConcurrentPerKey: input.slots,
      redis:
        group.store === 'redis' && redisUrl !== undefined
          ? { url: redisUrl, prefix, processes: slices.length }
          : undefined,
    }),
  );
}

function emptyLedgerError(): never {
  throw new Error('the emulator kept no ledger');
}

/**
 * Forks one process per order, starts them together once all are ready, and collects their reports.
 * A Redis outage, when asked for, starts `atMs` after the start and lasts `durationMs`.
 */
async function runProcesses(
  entry: string,
  orders: readonly ProcessOrder[],
  signal: AbortSignal,
  outage: { server: RedisServer; atMs: number; durationMs: number } | undefined,
): Promise<{ reports: ProcessReport[]; startedAt: number }> {
  const children = orders.map(() =>
    fork(entry, [PROCESS_COMMAND], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const stop = (): void => {
    for (const child of children) child.kill('SIGTERM');
  };
  signal.addEventListener('abort', stop, { once: true });
  const timers: NodeJS.Timeout[] = [];
  try {
    const ready = children.map((child) => nextMessage(child, 'ready'));
    const reports = children.map((child) => nextMessage(child, 'report'));
    for (const [i, child] of children.entries()) child.send(orders[i]!);
    await Promise.all(ready);
    const startedAt = Date.now();
    for (const child of children) child.send({ type: 'go' });
    const outageDone = outage ? scheduleOutage(outage, timers) : Promise.resolve();
    const done = await Promise.all(reports);
    await outageDone;
    return { reports: done, startedAt };
  } finally {
    signal.removeEventListener('abort', stop);
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(children.map((child) => exited(child)));
  }
}

/** Stops the Redis server at `atMs` and starts it again `durationMs` later; resolves once it is back. */
function scheduleOutage(
  outage: { server: RedisServer; atMs: number; durationMs: number },
  timers: NodeJS.Timeout[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    timers.push(
      setTimeout(() => {
        outage.server.stop().then(() => {
          timers.push(
            setTimeout(() => {
              outage.server.start().then(resolve, reject);
            }, outage.durationMs),
          );
        }, reject);
      }, outage.atMs),
    );
  });
}

function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    const onExit = (code: number | null): void => {
      child.off('message', onMessage);
      reject(new Error(`a bench process exited (code ${code}) before its ${type}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Waits for a process to end on its own after its report; one that lingers is stopped. */
async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await once(child, 'exit');
  clearTimeout(timer);
}

function summarize(
  options: BenchOptions,
  command: string,
  executed: readonly GroupRun[],
  n: number,
  concurrency: number,
  slots: number | 'auto',
  estimatedTokens: number,
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
