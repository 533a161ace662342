import type { Strategy } from '../config/options.js';
import type { FailureClass } from '../core/failure.js';
import type { CheckedLimits } from '../core/key-check.js';
import { type CounterState, emptyCounters, type KeyCounters, percentile } from '../core/key-counters.js';
import type { OffloadModelStats, OffloadStats } from '../core/offload-journal.js';
import type { KeyPool } from '../dispatch/key-registry.js';
import type { KeyWorkerStats } from '../dispatch/key-worker.js';
import type { HealthState } from '../policy/health.js';
import type { LimitName, LimitUsage } from '../policy/rate-limiter.js';
import type { BudgetSnapshot } from '../spend/budget-ledger.js';
import type { CostRow } from '../spend/spend.js';
import type { ModelStats } from './model-stats.js';

/** One key's stats: plain JSON, with the key's masked label only. */
export interface KeyStats {
  readonly name: string;
  readonly label: string;
  readonly state: HealthState;
  readonly healthScore: number;
  readonly weight: number;
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  readonly failuresByClass: Readonly<Record<FailureClass, number>>;
  readonly retries: number;
  readonly rateLimited: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly queued: number;
  readonly inFlight: number;
  readonly concurrency: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number };
  /** Configured or learned limits, with the units used in the current window and the percent of each. */
  readonly limits: Partial<Record<LimitName, LimitUsage>>;
  readonly lastUsedAt: string | null;
  readonly cooldownUntil: string | null;
  /** The key's last health check (`checkKeys`, `healthCheckInterval`); null before the first. */
  readonly lastCheck: LastCheck | null;
  /**
   * Per model (its limit scope: Anthropic's model class) where the provider limits models apart (OpenAI,
   * Groq, Gemini, Anthropic): its own cooldown after a 429 and its limits learned from its answers' headers.
   * `state` and `cooldownUntil` above are the key's, for every model.
   */
  readonly models: Readonly<Record<string, ModelLimitStats>>;
}

/** One model's rate-limit state on a key. */
export interface ModelLimitStats {
  readonly state: 'ready' | 'rate-limited';
  readonly cooldownUntil: string | null;
  readonly limits: Partial<Record<LimitName, LimitUsage>>;
}

/** A key's last health check, as stats show it: what `KeyCheckResult` says, with when it ended. */
export interface LastCheck {
  readonly at: string;
  readonly ok: boolean;
  /** Why the key was not checked: it is disabled, or its provider has no `check` call. */
  readonly skipped: 'disabled' | 'no-check' | null;
  readonly status: number | null;
  readonly failureClass: FailureClass | null;
  /** Why it failed, with any key value scrubbed. */
  readonly message: string | null;
  readonly latencyMs: number;
  /** The key's health right after the check. */
  readonly state: HealthState;
  readonly limits: CheckedLimits | null;
}

export interface ProviderStats {
  /**
   * The pool's default strategy (its own, or the multiplexer's). A client or a call may use another:
   * `getOpenAIClient('least-loaded')` picks by least-loaded whatever this says.
   */
  readonly strategy: Strategy;
  /** Jobs waiting for any key to become able to serve (every key cooling down, ejected or full). */
  readonly waiting: number;
  /** When the earliest key that is out of rotation may be tried again (the next probe); null when none is out. */
  readonly nextProbeAt: string | null;
  /** More keys failed at once than the ejection ceiling allows: the provider itself is in trouble. */
  readonly degraded: boolean;
  readonly totalKeys: number;
  readonly healthyKeys: number;
  readonly requests: number;
  readonly successes: number;
  readonly failures: number;
  readonly rateLimited: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly queued: number;
  readonly inFlight: number;
  readonly keys: readonly KeyStats[];
}

export interface SpendStats {
  readonly costs: readonly CostRow[];
  readonly budgets: readonly BudgetSnapshot[];
}

export interface UsageStats {
  readonly generatedAt: string;
  /** Where the keys' shared state lives: `memory`, `redis`, or `degraded` (Redis away). */
  readonly store?: { readonly mode: 'memory' | 'redis' | 'degraded' };
  /** Cost per key and model (USD; `unknownCalls` had no price) and every budget: spent, reserved, left. */
  readonly spend?: SpendStats;
  readonly providers: Readonly<Record<string, ProviderStats>>;
  /** Per `provider/model`, for calls with fallbacks: requests, successes, fallbacks by reason. */
  readonly models?: Readonly<Record<string, ModelStats>>;
  /**
   * With `batchOffload`: calls offered to batches, batches submitted, calls answered from a batch and calls
   * re-sent synchronously, open batches, and per `provider/model` the offloaded calls and how they settled.
   */
  readonly offload?: OffloadUsage;
}

export interface OffloadUsage extends OffloadStats {
  readonly openBatches: number;
  readonly models: Readonly<Record<string, OffloadModelStats>>;
}

export function usageStats(
  pools: Iterable<KeyPool>,
  counters: CounterState,
  defaultStrategy: Strategy,
  now: number,
): UsageStats {
  const providers: Record<string, ProviderStats> = {};
  for (const pool of pools) {
    const keys = pool.workers.map((worker): KeyStats => {
      const { name, label } = worker.ref;
      const c = counters.get(pool.provider)?.get(name) ?? emptyCounters();
      const key = worker.stats(now);
      const failures = Object.values(c.failures).reduce((a, b) => a + b, 0);
      return {
        name,
        label,
        state: key.state,
        healthScore: key.healthScore,
        weight: key.weight,
        requests: c.requests,
        successes: c.successes,
        failures,
        failuresByClass: { ...c.failures },
        retries: c.retries,
        rateLimited: c.rateLimited,
        inputTokens: c.inputTokens,
        outputTokens: c.outputTokens,
        queued: key.queued,
        inFlight: key.inFlight,
        concurrency: key.concurrency,
        latencyMs: { p50: percentile(c.latencies, 50), p95: percentile(c.latencies, 95) },
        limits: key.limits,
        lastUsedAt: Number.isFinite(key.lastUsedAt) ? new Date(key.lastUsedAt).toISOString() : null,
        cooldownUntil: isoOrNull(key.cooldownUntil),
        lastCheck: lastCheckOf(c),
        models: modelStatsOf(key.models),
      };
    });
    const sum = (pickField: (k: KeyStats) => number): number => keys.reduce((a, k) => a + pickField(k), 0);
    providers[pool.provider] = {
      strategy: pool.strategy ?? defaultStrategy,
      waiting: pool.waiting + pool.backlogSize,
      nextProbeAt: isoOrNull(nextProbe(pool, now)),
      degraded: pool.guard?.degraded ?? false,
      totalKeys: keys.length,
      healthyKeys: keys.filter((k) => k.state === 'healthy' || k.state === 'degraded').length,
      requests: sum((k) => k.requests),
      successes: sum((k) => k.successes),
      failures: sum((k) => k.failures),
      rateLimited: sum((k) => k.rateLimited),
      inputTokens: sum((k) => k.inputTokens),
      outputTokens: sum((k) => k.outputTokens),
      queued: sum((k) => k.queued) + pool.backlogSize,
      inFlight: sum((k) => k.inFlight),
      keys,
    };
  }
  return { generatedAt: new Date(now).toISOString(), providers };
}

function modelStatsOf(models: KeyWorkerStats['models']): Record<string, ModelLimitStats> {
  const out: Record<string, ModelLimitStats> = {};
  for (const [scope, model] of Object.entries(models)) {
    out[scope] = { state: model.state, cooldownUntil: isoOrNull(model.cooldownUntil), limits: model.limits };
  }
  return out;
}

/** The earliest time a key now out of rotation (cooling down, ejected, exhausted) may be tried again. */
function nextProbe(pool: KeyPool, now: number): number | undefined {
  let soonest: number | undefined;
  for (const worker of pool.workers) {
    const at = worker.stats(now).cooldownUntil;
    if (at !== undefined && Number.isFinite(at)) soonest = Math.min(soonest ?? at, at);
  }
  return soonest;
}

function lastCheckOf(c: KeyCounters): LastCheck | null {
  if (c.lastCheck === undefined) return null;
  const { at, result } = c.lastCheck;
  return {
    at: new Date(at).toISOString(),
    ok: result.ok,
    skipped: result.skipped ?? null,
    status: result.status ?? null,
    failureClass: result.failureClass ?? null,
    message: result.message ?? null,
    latencyMs: result.latencyMs,
    state: result.state,
    limits: result.limits ?? null,
  };
}

function isoOrNull(at: number | undefined): string | null {
  return at === undefined || !Number.isFinite(at) ? null : new Date(at).toISOString();
}
