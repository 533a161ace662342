import type { RetryPolicy, Strategy } from '../config/options.js';
import { wallTimeOf } from '../core/clock.js';
import {
  type AttemptRecord,
  DeadlineExceededError,
  isKeymuxError,
  NoAvailableKeyError,
  ProviderError,
  RateLimitedError,
  RetriesExhaustedError,
} from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { type Failure, RETRYABLE } from '../core/failure.js';
import type { FallbackGate } from '../core/fallback.js';
import type { CostLine } from '../core/key-counters.js';
import { backoffDelay } from '../policy/backoff.js';
import { type AttemptOutcome, type Job, type JobBudget, type JobContext, QueuedJob } from './job-context.js';
import type { KeyLane } from './key-lane.js';
import type { KeyPool } from './key-registry.js';
import { Backlog, type BacklogJob, type Choice, chooseNow, waitForKey } from './strategies.js';

const NO_ATTEMPTS: readonly AttemptRecord[] = Object.freeze([]);

/** What every job of one multiplexer shares: one object, not a copy per job. */
export interface DispatchContext {
  readonly options: RetryPolicy;
  readonly events: EventBus;
  /** Called once per job, as it settles (before its promise's handlers run). */
  readonly onSettled: (job: Job<unknown>) => void;
  /** The budgets (src/spend), when some are set: a job with `spend` reserves and settles through them. */
  readonly budgets?: JobBudget | undefined;
}

/** What a job is made of: what it runs, where, and what every job of the dispatcher shares. */
export interface DispatchedJobOptions<T> {
  readonly id: number;
  /** Tokens reserved before it runs. */
  readonly tokens: number;
  readonly priority: number;
  readonly fn: (client: unknown, ctx: JobContext) => Promise<T>;
  readonly pool: KeyPool;
  readonly strategy: Strategy;
  /** The key a `specific` job must run on. */
  readonly keyName: string | undefined;
  readonly context: DispatchContext;
}

/**
 * A job and its attempt loop: pick an eligible key, run the job on it, and on a retryable failure move
 * to another key at once. Bounded by `maxRetries` attempts; a bad request or an abort ends the job at
 * once. Driven by the workers' reports rather than an async loop, so a queued job holds no suspended
 * frame or promise per attempt (thousands wait at once). Written by hand rather than with p-retry:
 * failover needs no delay between attempts (waiting is per key), and p-retry cost about 40 µs per call.
 */
export class DispatchedJob<T> extends QueuedJob<T> implements Choice, BacklogJob {
  // Most jobs succeed at once: their failed attempts list is this shared empty one.
  attempts: readonly AttemptRecord[] = NO_ATTEMPTS;
  /** Its place in the pool's backlog, set when it first enters (see Backlog). */
  rank = 0;
  order = -1;
  /** Set when the call has other models to fall back to: asked whether to give up on this one. */
  fallbackGate: FallbackGate | undefined = undefined;
  /**
   * When the job must have started by, in ms on the multiplexer's clock (from the call's `deadline`);
   * undefined for none. No attempt begins after it.
   */
  deadline: number | undefined = undefined;
  /** The call's `tag`: within a priority, waiting jobs are served by tag in proportion to `shares`. */
  tag: string | undefined = undefined;
  /** The limit scope of the call's model, where its provider limits models apart (see `Job.limitScope`). */
  limitScope: string | undefined = undefined;
  /** Where its attempts' usage is counted for the stats' cost figures (a call with a model). */
  costLine: CostLine | undefined = undefined;
  /** Set when some budget may cover the call: what they read of it (`JobGuard.spendOf`). */
  spend: unknown = undefined;
  /** The deadline's timer fired (while an attempt ran, which goes on; no other follows). */
  #expired = false;
  /** An attempt's call is running on a key. */
  #running = false;
  /** Waiting in the pool's backlog (listening to its caller's abort there). */
  #inBacklog = false;
  /** Attempts that count toward maxRetries: faults met while the whole provider is down do not, for a while. */
  #spent = 0;
  #faultingSince: number | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  readonly pool: KeyPool;
  /** The job is its own `Choice` (strategy and key name): no object more per job. */
  readonly strategy: Strategy;
  readonly keyName: string | undefined;
  readonly context: DispatchContext;

  constructor(job: DispatchedJobOptions<T>) {
    super(job.id, job.tokens, job.priority, job.fn);
    this.pool = job.pool;
    this.strategy = job.strategy;
    this.keyName = job.keyName;
    this.context = job.context;
  }

  /** Starts the job; the promise settles exactly once, with its value or its final error. */
  start(): Promise<T> {
    const promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve as (value: unknown) => void;
      this.#reject = reject;
    });
    if (this.fallbackGate?.(undefined, nextReadyIn(this.pool, this.#now(), this.limitScope)))
      this.#leaveForFallback();
    else if (this.strategy === 'specific') this.#next();
    else {
      try {
        this.#backlog.admit(this);
      } catch (error) {
        this.#settle(false, undefined, error);
      }
    }
    return promise;
  }

  #now(): number {
    return this.context.options.clock.now();
  }

  /** The budgets, when some may cover this call: shared by every job, so a queued job holds none. */
  get budget(): JobBudget | undefined {
    return this.spend === undefined ? undefined : this.context.budgets;
  }

  /** Settled: its resolvers are gone. */
  get done(): boolean {
    return this.#reject === undefined;
  }

  get #backlog(): Backlog {
    const { options } = this.context;
    return Backlog.of(this.pool, options.clock, options.priorityAgingMs, options.shares);
  }

  /** Called by the backlog as it takes the job in (before it may hand it to a key, in the same call). */
  entered(): void {
    this.#inBacklog = true;
    if (this.abortable) this.onAbort(this);
  }

  /** A key can start the job now: the backlog hands it over. */
  bind(worker: KeyLane): void {
    this.#leaveBacklog();
    worker.run(this, this.attempts.length + 1);
  }

  /** The backlog gives up on the job: no key will serve it, or it was aborted. */
  fail(error: unknown): void {
    this.#leaveBacklog();
    this.#settle(false, undefined, explain(error, this.attempts, this.pool, this.#now(), this.limitScope));
  }

  /** The caller aborted while the job waited in the backlog. */
  handleAbort(reason: unknown): void {
    if (!this.#inBacklog) return;
    this.#leaveBacklog();
    this.#backlog.left(this);
    this.#settle(false, undefined, reason);
  }

  #leaveBacklog(): void {
    if (!this.#inBacklog) return;
    this.#inBacklog = false;
    if (this.abortable) this.offAbort(this);
  }

  /** An attempt's call began on a key: the deadline no longer ends the job, only its next attempt. */
  began(): void {
    this.#running = true;
  }

  /**
   * The deadline passed: a job waiting anywhere (the backlog, a key's queue, a pause) ends now with
   * DeadlineExceededError; an attempt already running goes on, and no other follows it.
   */
  expire(): void {
    this.#expired = true;
    if (!this.#running && !this.done) this.abort(this.#deadlineError());
  }

  #late(now: number): boolean {
    return this.#expired || (this.deadline !== undefined && now > this.deadline);
  }

  #deadlineError(): DeadlineExceededError {
    const deadline = this.deadline ?? this.#now();
    const wall = wallTimeOf(deadline, this.context.options.clock);
    const last = this.attempts[this.attempts.length - 1];
    return new DeadlineExceededError(deadline, wall, this.attempts, {
      provider: this.pool.provider,
      ...(last === undefined ? {} : { cause: last.error }),
    });
  }

  report(outcome: AttemptOutcome<T>): void {
    this.#running = false;
    if (this.done) return;
    try {
      this.#onOutcome(outcome);
    } catch (error) {
      this.#settle(false, undefined, error);
    }
  }

  #onOutcome(outcome: AttemptOutcome<T>): void {
    if (outcome.ok) {
      this.#settle(true, outcome.value, undefined);
      return;
    }
    // The key went out of service before the call started: no attempt was spent.
    if (outcome.skipped) {
      this.#next();
      return;
    }
    const { options, events } = this.context;
    const attempt = this.attempts.length + 1;
    const record = toRecord(outcome.failure, attempt, outcome.key.name, outcome.key.label);
    this.attempts = [...this.attempts, record];
    if (!RETRYABLE.has(outcome.failure.class)) {
      this.#settle(false, undefined, finalError(outcome.failure, record, this.pool));
      return;
    }
    const now = options.clock.now();
    this.#faultingSince = outcome.failure.class === 'transient' ? (this.#faultingSince ?? now) : undefined;
    if (!waitingOutOutage(this.pool, this.#faultingSince, now, options)) this.#spent++;
    if (this.#spent >= options.maxRetries) {
      this.#settle(false, undefined, exhausted(this.attempts, this.pool, this.#now(), this.limitScope));
      return;
    }
    if (this.#late(now)) {
      this.#settle(false, undefined, this.#deadlineError());
      return;
    }
    if (this.fallbackGate?.(outcome.failure.class, nextReadyIn(this.pool, this.#now(), this.limitScope))) {
      this.#leaveForFallback();
      return;
    }
    events.emit({ type: 'retry', at: now, key: outcome.key, jobId: this.id, attempt });
    const pause = pauseAfterFaults(this.attempts, options, this.pool);
    if (pause > 0) void this.#pauseThenNext(pause);
    else this.#next();
  }

  /**
   * The next attempt: into the pool's backlog, which hands the job to a key as soon as one can start it
   * (at once when one can now). A `specific` job goes to its key's own queue.
   */
  #next(): void {
    if (this.#late(this.#now())) {
      this.#settle(false, undefined, this.#deadlineError());
      return;
    }
    if (this.strategy !== 'specific') {
      this.#backlog.add(this);
      return;
    }
    let worker: KeyLane | undefined;
    try {
      worker = chooseNow(this.pool, this, this.tokens, this.context.options.clock.now());
    } catch (error) {
      this.#settle(false, undefined, explain(error, this.attempts, this.pool, this.#now(), this.limitScope));
      return;
    }
    if (worker) worker.run(this, this.attempts.length + 1);
    else void this.#waitThenRun();
  }

  /** No key is eligible now: waits for one to be (or fails when none ever will be), then picks again. */
  async #waitThenRun(): Promise<void> {
    try {
      await waitForKey(this.pool, this, this.context.options.clock, this);
    } catch (error) {
      this.#settle(false, undefined, explain(error, this.attempts, this.pool, this.#now(), this.limitScope));
      return;
    }
    this.#next();
  }

  async #pauseThenNext(ms: number): Promise<void> {
    this.pool.waiting++;
    try {
      await this.context.options.clock.sleep(ms, this.signal);
    } catch (error) {
      this.#settle(false, undefined, this.aborted ? this.reason : error);
      return;
    } finally {
      this.pool.waiting--;
    }
    this.#next();
  }

  /** The gate chose another model: the job ends with what this model met, for the fallback chain to read. */
  #leaveForFallback(): void {
    const { provider } = this.pool;
    let error: Error;
    if (this.attempts.length > 0) error = exhausted(this.attempts, this.pool, this.#now(), this.limitScope);
    else {
      const readyIn = nextReadyIn(this.pool, this.#now(), this.limitScope);
      error =
        readyIn === undefined
          ? new NoAvailableKeyError(`${provider}: no key can serve`, { provider })
          : new RateLimitedError(`${provider}: every key rests ${Math.ceil(readyIn)} ms more`, readyIn, [], {
              provider,
            });
    }
    this.#settle(false, undefined, error);
  }

  #settle(ok: boolean, value: T | undefined, error: unknown): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (reject === undefined) return;
    this.#resolve = undefined;
    this.#reject = undefined;
    const { options, events, onSettled } = this.context;
    try {
      this.trace?.end(ok, error, this.held);
      events.emit({
        type: 'job-settled',
        at: options.clock.now(),
        provider: this.pool.provider,
        jobId: this.id,
        ok,
        attempts: this.attempts.length,
      });
    } finally {
      onSettled(this);
      if (ok) resolve?.(value);
      else reject(error);
    }
  }
}

/**
 * Failover is immediate, but when the job's last two attempts both met a fault of the service (5xx,
 * timeouts, refused connections) on different keys, the fault is likely the provider's: the job waits
 * a backoff (`equal` jitter: half fixed, half random) before its next attempt, so a short outage does not
 * use up every attempt within milliseconds. Returns the pause in ms, 0 for none.
 */
function pauseAfterFaults(attempts: readonly AttemptRecord[], options: RetryPolicy, pool: KeyPool): number {
  let streak = 0;
  for (let i = attempts.length - 1; i >= 0 && attempts[i]!.failureClass === 'transient'; i--) streak++;
  if (streak < 2) return 0;
  // Through an outage of the whole provider, probe at least once per breakerBaseMs.
  const maxRetryDelay = pool.guard?.degraded
    ? Math.min(options.maxRetryDelay, options.breakerBaseMs)
    : options.maxRetryDelay;
  const { initialRetryDelay, backoffFactor, random } = options;
  const policy = { initialRetryDelay, backoffFactor, maxRetryDelay };
  return backoffDelay(policy, streak - 1, random, undefined, 'equal');
}

/**
 * While the pool is degraded (more keys failing than the ejection ceiling allows: the provider is down),
 * a job's faults do not use up its attempts, so it waits the outage out, probing. Not forever: once it
 * has met faults for `cooldownMs` (the longest a key stays out), they count again.
 */
function waitingOutOutage(
  pool: KeyPool,
  faultingSince: number | undefined,
  now: number,
  options: RetryPolicy,
): boolean {
  return (
    pool.guard?.degraded === true && faultingSince !== undefined && now - faultingSince < options.cooldownMs
  );
}

/** Keys ran out after some attempts: the attempts say more than "no key". */
function explain(
  error: unknown,
  attempts: readonly AttemptRecord[],
  pool: KeyPool,
  now: number,
  scope: string | undefined,
): unknown {
  return error instanceof NoAvailableKeyError && attempts.length > 0
    ? exhausted(attempts, pool, now, scope)
    : error;
}

function toRecord(failure: Failure, attempt: number, keyName: string, keyLabel: string): AttemptRecord {
  return {
    attempt,
    keyName,
    keyLabel,
    failureClass: failure.class,
    status: failure.status,
    message: failure.message,
    error: failure.error,
  };
}

function finalError(failure: Failure, record: AttemptRecord, pool: KeyPool): unknown {
  // An abort rejects with the signal's reason, as given.
  if (failure.class === 'aborted') return failure.error;
  if (isKeymuxError(failure.error)) return failure.error;
  // No provider status: the caller's own function threw, and its error passes through as it is.
  if (failure.status === undefined && failure.class === 'bad-request') return failure.error;
  return new ProviderError(
    `${pool.provider} rejected the request: ${failure.message}`,
    failure.class,
    failure.status,
    {
      cause: failure.error,
      provider: pool.provider,
      keyName: record.keyName,
      keyLabel: record.keyLabel,
    },
  );
}

function exhausted(attempts: readonly AttemptRecord[], pool: KeyPool, now: number, scope?: string): Error {
  const last = attempts[attempts.length - 1]!;
  const keys = { provider: pool.provider, keyName: last.keyName, keyLabel: last.keyLabel };
  // Every attempt met a 429: the caller learns when the pool can take the job again.
  if (attempts.every((a) => a.failureClass === 'rate-limited')) {
    return new RateLimitedError(
      `${pool.provider}: every attempt was rate limited (${attempts.length}); last on ${last.keyName} (${last.keyLabel})`,
      nextReadyIn(pool, now, scope),
      attempts,
      { ...keys, cause: last.error },
    );
  }
  return new RetriesExhaustedError(
    `${pool.provider}: all ${attempts.length} attempts failed; last on ${last.keyName} (${last.keyLabel}): ${last.message}`,
    attempts,
    { cause: last.error, provider: pool.provider, keyName: last.keyName, keyLabel: last.keyLabel },
  );
}

/**
 * Ms until the earliest key of the pool may be tried again (for calls of the limit `scope`, when given);
 * undefined when none will be.
 */
function nextReadyIn(pool: KeyPool, now: number, scope?: string): number | undefined {
  let soonest: number | undefined;
  for (const worker of pool.lanes) {
    const at = worker.readyAt(now, scope);
    if (at !== undefined) soonest = Math.min(soonest ?? Number.POSITIVE_INFINITY, at - now);
  }
  return soonest;
}
