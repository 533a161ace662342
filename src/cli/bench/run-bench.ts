import { baseUrlEnvVar, readEnvKeys } from '../shared/key-env.js';
import { createProgress } from '../shared/progress.js';
import { UsageError } from '../shared/usage-error.js';
import { benchNotes } from './bench-notes.js';
import type { BenchOptions } from './bench-options.js';
import type { BenchResult, BenchSettings } from './bench-result.js';
import { type BenchTarget, emulatorTarget, providerTarget } from './bench-target.js';
import { type KeyLimits, theoreticalCapacity } from './capacity.js';
import { type ExecutedRun, executeRun } from './execute-run.js';
import { loadKit } from './kits/load-kit.js';
import { planRuns } from './plan-runs.js';
import { RequestCap } from './request-cap.js';
import { summarizeRun } from './summarize-run.js';
import { buildWorkload, estimateJobTokens, meanEstimatedTokens } from './workload.js';

const BAR_FORMAT =
  '{name} |{bar}| {value}/{total} | in flight {inFlight}{slots} | 429s {limited} | {rate} req/s {wait}';

/** Runs the baselines and keymux side by side on the same workload; stops early on `signal`. */
export async function runBench(
  options: BenchOptions,
  env: NodeJS.ProcessEnv,
  command: string,
  signal: AbortSignal,
): Promise<BenchResult> {
  const kit = await loadKit(options.provider);
  const realKeys = options.emulator ? [] : readEnvKeys(options.provider, env);
  const onEmulator = realKeys.length === 0;
  const keyCount = onEmulator ? options.keys : realKeys.length;
  const concurrency = options.concurrency ?? outstandingJobs(options, keyCount);
  const limitsMode = options.limits ?? (onEmulator ? 'configured' : 'learned');
  const plans = planRuns(keyCount, options.strategies, limitsMode, options.maxConcurrent).filter(
    (plan) => options.baselines !== false || plan.kind === 'keymux',
  );
  const jobs = buildWorkload(options.jobs, options.seed);
  const maxJobs = onEmulator
    ? jobs.length
    : jobsWithinCaps(options, plans.length, Math.max(...jobs.map(estimateJobTokens)));
  const progress = createProgress(BAR_FORMAT, options.progress);
  const bars = plans.map((p) =>
    progress.bar(maxJobs, {
      name: p.name.padEnd(34),
      inFlight: 0,
      slots: '',
      limited: 0,
      rate: '0.0',
      wait: '',
    }),
  );
  const executed: ExecutedRun[] = [];
  try {
    for (const [i, plan] of plans.entries()) {
      if (signal.aborted) break;
      const target: BenchTarget = onEmulator
        ? await emulatorTarget(kit, { ...options, keys: keyCount })
        : providerTarget(
            realKeys.map((apiKey, n) => ({ name: `key-${n}`, apiKey })),
            env[baseUrlEnvVar(options.provider)] || undefined,
          );
      try {
        executed.push(
          await executeRun({
            plan,
            kit,
            target,
            jobs,
            concurrency,
            budgetMs:
              (plan.kind === 'single-key' ? options.singleKeySeconds : options.runTimeoutSeconds) * 1000,
            maxJobs,
            cap: new RequestCap(
              onEmulator ? Number.POSITIVE_INFINITY : Math.floor(options.maxRequests / plans.length),
            ),
            signal,
            limits: { rpm: options.rpm, tpm: options.tpm },
            redis: options.redis,
            bar: bars[i]!,
          }),
        );
      } finally {
        await target.close();
      }
    }
  } finally {
    progress.stop();
  }

  const charged = executed.flatMap((r) =>
    r.chargedTokensPerRequest === undefined ? [] : [r.chargedTokensPerRequest],
  );
  const tokensPerRequest = charged.length
    ? charged.reduce((a, b) => a + b, 0) / charged.length
    : meanEstimatedTokens(jobs);
  const latency = (options.latencyMinMs + options.latencyMaxMs) / 2;
  const limitsKnown = onEmulator || limitsMode === 'configured';
  const capacityOf = (keys: number, perKeyConcurrency: number) =>
    theoreticalCapacity(
      Array.from(
        { length: keys },
        (): KeyLimits =>
          limitsKnown ? { rpm: options.rpm, tpm: options.tpm, concurrency: perKeyConcurrency } : {},
      ),
      tokensPerRequest,
      onEmulator ? latency : 0,
    );
  // keymux's runs are measured against what the keys allow: its slots are its own choice, not a limit.
  const runs = executed.map((r) => {
    const capacity =
      r.plan.kind === 'single-key'
        ? capacityOf(1, concurrency)
        : capacityOf(keyCount, r.plan.kind === 'keymux' ? Number.POSITIVE_INFINITY : concurrency / keyCount);
    return summarizeRun(r.recorder, {
      name: r.plan.name,
      kind: r.plan.kind,
      strategy: r.plan.strategy,
      limits: r.plan.limits,
      keyNames: Array.from({ length: r.plan.kind === 'single-key' ? 1 : keyCount }, (_, n) => `key-${n}`),
      jobsPlanned: maxJobs,
      stoppedBy: r.stoppedBy,
      capacityRps: capacity.rps,
      model: kit.model,
      ...(r.upstream ? { upstream: r.upstream } : {}),
    });
  });
  const settings: BenchSettings = {
    provider: options.provider,
    target: onEmulator ? 'emulator' : 'provider',
    keys: keyCount,
    rpm: limitsKnown ? options.rpm : null,
    tpm: limitsKnown ? options.tpm : null,
    latencyMs: onEmulator ? { min: options.latencyMinMs, max: options.latencyMaxMs } : null,
    jobs: maxJobs,
    concurrency,
    maxConcurrentPerKey: options.maxConcurrent,
    singleKeyBudgetMs: options.singleKeySeconds * 1000,
    seed: options.seed,
    strategies: options.strategies,
  };
  return {
    version: 1,
    generatedAt: new Date().toISOString(),
    command,
    settings,
    capacity: capacityOf(keyCount, Number.POSITIVE_INFINITY),
    runs,
    notes: benchNotes(settings, options, charged.length > 0),
  };
}

/** Against a real provider, each run gets an equal share of the request and token caps. */
function jobsWithinCaps(options: BenchOptions, runs: number, maxJobTokens: number): number {
  const byRequests = Math.floor(options.maxRequests / runs);
  const byTokens = Math.floor(options.maxTokens / runs / maxJobTokens);
  const jobs = Math.min(options.jobs, byRequests, byTokens);
  if (jobs < 1) {
    throw new UsageError(
      `--max-requests ${options.maxRequests} and --max-tokens ${options.maxTokens} leave no job for each of ${runs} runs; raise them`,
    );
  }
  return jobs;
}

/**
 * Jobs kept outstanding when `--concurrency` is not given: every job with `--arrival batch`; else every
 * key's fixed slots, or, under `'auto'`, what the keys' rate × the emulator's slowest latency needs, half
 * again, so slots are never starved.
 */
export function outstandingJobs(options: BenchOptions, keys: number): number {
  if (options.arrival === 'batch') return options.jobs;
  const fixedSlots = Math.max(0, ...options.maxConcurrent.map((m) => (m === 'auto' ? 0 : m)));
  const needed = Math.ceil((options.rpm / 60) * (options.latencyMaxMs / 1000) * 1.5);
  const perKey = options.maxConcurrent.includes('auto') ? Math.max(5, needed, fixedSlots) : fixedSlots;
  return keys * perKey;
}
