import { validateCallOptions } from '../config/call-options.js';
import { deadlineAt } from '../config/deadline.js';
import { describeWord } from '../config/describe-value.js';
import type { CallOptions, DispatchOptions, Strategy } from '../config/options.js';
import { CHECKED_CALL, type CheckedCarrier } from '../core/checked-call.js';
import { MAX_TIMER_MS, wallTimeOf } from '../core/clock.js';
import { DEADLINE_AT, type DeadlineCarrier } from '../core/deadline.js';
import { ConfigError, DeadlineExceededError, ShutdownError, TimeoutError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { FALLBACK_GATE, type FallbackGate } from '../core/fallback.js';
import type { UsageTally } from '../core/key-counters.js';
import { type JobTracer, TRACE_SOURCE, type Traced, type TraceSource } from '../core/telemetry.js';
import { type DispatchContext, DispatchedJob } from './dispatched-job.js';
import type { Cancellation, Job, JobBudget, JobContext } from './job-context.js';
import type { KeyPool } from './key-registry.js';
import { linkSignal } from './link-signal.js';

/**
 * The budgets (src/spend) as the dispatcher sees them. `request` is what a wrapped client knows of the
 * call's cost (a `SpendRequest`); `wanted` says, per call, whether some budget may cover it (asked only
 * when `budgeted`); `spendOf` is what the job then carries for the budgets to read at each attempt (the
 * request itself, or a constant: no object is made per job). A call with a request adds its usage to its
 * cost line (`tally`), budgets or not.
 */
export interface JobGuard extends JobBudget {
  readonly budgeted: boolean;
  readonly tally: UsageTally;
  wanted(request: never, tag: string | undefined): boolean;
  spendOf(request: never, tokens: number | undefined): unknown;
}

/** The pools jobs are dispatched to: one per provider. */
export interface PoolSource {
  pool(provider: string): KeyPool;
  pools(): Iterable<KeyPool>;
}

/**
 * Owns every job from `execute` to its settlement: checks the call, links the caller's signal and
 * deadline, counts what is in flight for `drain()`, and on `close()` refuses new jobs and ends the rest.
 */
export class Dispatcher {
  /** The default strategy: `options.strategy` until the multiplexer's setStrategy() changes it. */
  strategy: Strategy;
  /** Every accepted, unsettled job: close() aborts them one by one, so no signal collects a listener per job. */
  readonly #jobs = new Set<DispatchedJob<unknown>>();
  readonly #idle: Array<() => void> = [];
  /** What every job shares. */
  readonly #context: DispatchContext;
  #nextJobId = 1;
  #active = 0;
  #closed = false;

  constructor(
    readonly options: DispatchOptions,
    events: EventBus,
    readonly keys: PoolSource,
    /** Spans and metrics of each job (OpenTelemetry), unless telemetry is off. */
    readonly tracer?: JobTracer | undefined,
    /** Budgets and costs (the multiplexer's Spend). */
    readonly guard?: JobGuard | undefined,
  ) {
    this.strategy = options.strategy;
    this.#context = {
      options,
      events,
      onSettled: this.#settled,
      budgets: guard?.budgeted ? guard : undefined,
    };
  }

  /**
   * A job served outside the keys' queues (an offloaded call's batch line): it takes a job id now, and a
   * job span (strategy `batch`) when telemetry is on; the returned function ends the span and, unless the
   * call was re-sent synchronously (that job settles itself), emits `job-settled` with `via: 'batch'`.
   */
  outside(
    provider: string,
    source: TraceSource | undefined,
  ): (ok: boolean, error: unknown, resent: boolean) => void {
    const id = this.#nextJobId++;
    const trace = this.tracer?.mayTrace() ? this.tracer.startJob(provider, 'batch', source) : undefined;
    return (ok, error, resent) => {
      trace?.end(ok, error, undefined);
      if (resent) return;
      this.#context.events.emit({
        type: 'job-settled',
        at: this.options.clock.now(),
        provider,
        jobId: id,
        ok,
        attempts: ok ? 1 : 0,
        via: 'batch',
      });
    };
  }

  /** close() was called: no new jobs. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` with a client of a key chosen by strategy, failing over on retryable errors. Never throws:
   * bad call options (a mistyped strategy, `priority: NaN`, `signal: 'x'`) reject with a ConfigError.
   */
  execute<T>(
    provider: string,
    fn: (client: unknown, ctx: JobContext) => Promise<T>,
    options: CallOptions & Traced & DeadlineCarrier & CheckedCarrier = {},
    /** What a wrapped client knows of the call's cost before it is sent (a `SpendRequest`), for the guard. */
    request?: unknown,
    /** False for the offload engine's own jobs (batch uploads, re-sends): its spend is its own business. */
    guarded = true,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new ShutdownError());
    let call: CallOptions;
    let pool: KeyPool;
    let strategy: Strategy;
    let deadline: number | undefined;
    try {
      if (typeof fn !== 'function') throw new ConfigError('fn', 'Expected `fn` to be a function');
      call = options[CHECKED_CALL] === true ? options : validateCallOptions(options);
      pool = this.keys.pool(provider);
      strategy = this.#strategyFor(pool, call);
      deadline = this.#deadlineOf(options, call, provider);
    } catch (error) {
      return Promise.reject(error);
    }
    const guard = guarded ? this.guard : undefined;
    const job = new DispatchedJob({
      id: this.#nextJobId++,
      tokens: call.tokens ?? 0,
      priority: call.priority ?? 0,
      fn,
      pool,
      strategy,
      keyName: call.keyName,
      context: this.#context,
    });
    job.fallbackGate = (options as { [FALLBACK_GATE]?: FallbackGate })[FALLBACK_GATE];
    job.deadline = deadline;
    job.tag = call.tag;
    // Where the provider limits each model apart, the key's state of this model paces the job.
    if (call.model !== undefined) job.limitScope = pool.adapter.limitScope?.(call.model);
    if (guard?.budgeted && guard.wanted(request as never, call.tag))
      job.spend = guard.spendOf(request as never, call.tokens);
    if (guard && request !== undefined) {
      const spend = request as { readonly model?: string; readonly batch?: boolean };
      job.costLine = guard.tally.line(provider, spend.model, spend.batch === true);
    }
    // The caller's active context is the job span's parent: taken now, in the caller's own call.
    if (this.tracer?.mayTrace())
      job.trace = this.tracer.startJob(pool.provider, strategy, options[TRACE_SOURCE]);
    this.#jobs.add(job);
    if (call.signal !== undefined || isDeadline(call.timeoutMs) || deadline !== undefined) {
      job.release = this.#link(job, call, deadline);
    }
    this.#active++;
    return job.start();
  }

  /**
   * Resolves when every accepted job has settled and its settlement has been delivered to the caller's
   * handlers. New jobs are still accepted.
   */
  drain(): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Refuses new jobs with `ShutdownError`; jobs not yet started are rejected with it, calls in flight
   * are aborted, and so are the streams handed out. Resolves when every accepted job has settled and
   * every stream has given its slot back.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const reason = new ShutdownError();
    const held: Array<Promise<unknown>> = [];
    for (const job of this.#jobs) {
      if (job.held) held.push(job.held);
      job.abort(reason);
    }
    for (const pool of this.keys.pools()) {
      for (const worker of pool.lanes) {
        worker.evictQueued();
      }
      pool.notify();
    }
    await this.drain();
    // Streams handed out end on the abort; their slots are free once their holds settle.
    await Promise.allSettled(held);
  }

  /** One function for every job (not a closure each): forget the job, and wake drain() when idle. */
  readonly #settled = (job: Job<unknown>): void => {
    const queued = job as DispatchedJob<unknown>;
    // A stream handed to the caller still holds its key's slot: close() must still reach it.
    if (queued.held) {
      const forget = (): boolean => this.#jobs.delete(queued);
      queued.held.then(forget, forget);
    } else this.#jobs.delete(queued);
    queued.release?.();
    this.#active--;
    // The job's promise settles after this: wake drain() only once the callers' handlers have run.
    if (this.#active === 0 && this.#idle.length > 0) setImmediate(this.#wakeIdle);
  };

  readonly #wakeIdle = (): void => {
    if (this.#active === 0) for (const wake of this.#idle.splice(0)) wake();
  };

  #strategyFor(pool: KeyPool, call: CallOptions): Strategy {
    const strategy =
      call.strategy ?? (call.keyName === undefined ? (pool.strategy ?? this.strategy) : 'specific');
    if (strategy === 'specific' && (call.keyName === undefined || !pool.get(call.keyName))) {
      throw new ConfigError(
        'keyName',
        `the \`specific\` strategy needs the name of a ${pool.provider} key, got ${describeWord(call.keyName)}`,
      );
    }
    return strategy;
  }

  /**
   * Links a job to the caller's signal and deadline; returns what undoes the links. One signal shared by
   * many calls gets one listener (see `linkSignal`), so 10 000 calls on it raise no MaxListeners warning.
   */
  #link(job: DispatchedJob<unknown>, call: CallOptions, deadline: number | undefined): () => void {
    const unlink = call.signal === undefined ? undefined : linkSignal(call.signal, job);
    const timer = isDeadline(call.timeoutMs) ? this.#startTimeout(job, call.timeoutMs) : undefined;
    const expiry = deadline === undefined ? undefined : this.#startExpiry(job, deadline);
    return () => {
      unlink?.();
      timer?.abort();
      expiry?.abort();
    };
  }

  /**
   * The call's deadline on the clock: worked out already by a wrapped client (shared by its fallbacks),
   * else from `call.deadline` now. One already past rejects the call with DeadlineExceededError.
   */
  #deadlineOf(options: DeadlineCarrier, call: CallOptions, provider: string): number | undefined {
    const { clock } = this.options;
    const at =
      options[DEADLINE_AT] ?? (call.deadline === undefined ? undefined : deadlineAt(call.deadline, clock));
    if (at !== undefined && clock.now() > at) {
      // The caller's own instant when it gave one (two clocks read a moment apart would be off by a ms).
      const wall = call.deadline instanceof Date ? call.deadline : wallTimeOf(at, clock);
      throw new DeadlineExceededError(at, wall, [], { provider });
    }
    return at;
  }

  /** Tells the job when its deadline passes; long deadlines (beyond a timer's reach) sleep in steps. */
  #startExpiry(job: DispatchedJob<unknown>, at: number): AbortController {
    const timer = new AbortController();
    const { clock } = this.options;
    const wait = async (): Promise<void> => {
      for (let left = at - clock.now(); left >= 0; left = at - clock.now()) {
        await clock.sleep(Math.min(left, MAX_TIMER_MS), timer.signal);
        if (left <= MAX_TIMER_MS) break;
      }
      job.expire();
    };
    wait().catch(() => undefined);
    return timer;
  }

  /** The job's deadline, on the injected clock; the returned controller cancels it. */
  #startTimeout(job: Cancellation, ms: number): AbortController {
    const timer = new AbortController();
    this.options.clock.sleep(ms, timer.signal).then(
      () => job.abort(new TimeoutError(ms)),
      () => undefined,
    );
    return timer;
  }
}

/** A timeout worth a timer: `Infinity` (and no value) means none. */
function isDeadline(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isFinite(ms);
}
