import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { RedisServer } from '../shared/redis-server.js';
import { UsageError } from '../shared/usage-error.js';
import type { BenchOptions } from './bench-options.js';
import type { BenchResult } from './bench-result.js';
import { type BenchTarget, emulatorTarget } from './bench-target.js';
import { loadKit } from './kits/load-kit.js';
import { type OutagePlan, scheduleOutage } from './outage-schedule.js';
import {
  type ChildMessage,
  PROCESS_COMMAND,
  type ProcessOrder,
  type ProcessReport,
} from './process-messages.js';
import { type Group, type GroupRun, summarizeGroups } from './process-summary.js';
import { outstandingJobs } from './run-bench.js';
import { type BenchJob, buildWorkload, meanEstimatedTokens } from './workload.js';

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
  return summarizeGroups(
    options,
    command,
    executed,
    n,
    concurrency,
    slots,
    meanEstimatedTokens(jobs),
    kit.model,
  );
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
  outage: OutagePlan | undefined,
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
