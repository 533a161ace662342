import PQueue from 'p-queue';
import type { ApiKey } from '../core/api-key.js';
import type { Clock } from '../core/clock.js';
import type { EventBus, KeyRef, TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import { scrubError } from '../core/redact.js';
import { AttemptContext } from './attempt-context.js';
import { aborted, call } from './attempt-helpers.js';
import type { ConcurrencyGovernor } from './concurrency.js';
import type { KeyHealth } from './health.js';
import type { Job } from './job-context.js';
import type { RateLimiter } from './rate-limiter.js';

/** How one attempt on one key ended. `skipped`: the key became unusable before the call started. */
export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly skipped: true }
  | { readonly ok: false; readonly skipped: false; readonly failure: Failure; readonly key: KeyRef };

export interface WorkerDeps {
  readonly key: ApiKey;
  readonly ref: KeyRef;
  readonly weight: number;
  readonly queueSize: number;
  readonly health: KeyHealth;
  readonly limiter: RateLimiter;
  readonly governor: ConcurrencyGovernor;
  readonly clock: Clock;
  readonly events: EventBus;
  readonly client: () => unknown;
  readonly classify: (error: unknown) => Failure;
  /** Undefined when the key's client can be built now, else a promise of when. */
  readonly ready: () => Promise<void> | undefined;
  /** The provider never corrects its up-front charge, so neither do the buckets (OpenAI, Groq). */
  readonly chargesEstimate: boolean;
  /** Called whenever a slot frees, so jobs waiting for a key look again. */
  readonly notify: () => void;
}

/**
 * One key's worker: a bounded queue (p-queue, bounded here since p-queue is not), its concurrency
 * limit, its rate buckets and its health. Errors of this key never hold up another key's queue.
 */
export class KeyWorker {
  readonly #queue: PQueue;
  #queued = 0;
  #inFlight = 0;
  requests = 0;
  lastUsedAt = Number.NEGATIVE_INFINITY;

  constructor(readonly deps: WorkerDeps) {
    this.#queue = new PQueue({ concurrency: deps.governor.limit });
    deps.governor.onChange((limit) => {
      this.#queue.concurrency = limit;
    });
  }

  get ref(): KeyRef {
    return this.deps.ref;
  }
  get name(): string {
    return this.deps.ref.name;
  }
  get weight(): number {
    return this.deps.weight;
  }
  get score(): number {
    return this.deps.health.score(this.deps.clock.now());
  }
  get headroom(): number {
    const { limiter, clock } = this.deps;
    return limiter.hasLimits ? limiter.headroom(clock.now()) : 1;
  }
  get queued(): number {
    return this.#queued;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  get concurrency(): number {
    return this.deps.governor.limit;
  }
  /** (queued + in flight) / concurrency. */
  get load(): number {
    return (this.#queued + this.#inFlight) / this.deps.governor.limit;
  }
  get hasQueueRoom(): boolean {
    return this.#queued + this.#inFlight < this.deps.queueSize + this.deps.governor.limit;
  }

  /** Whether the dispatcher may give this key a job now. */
  isEligible(now: number): boolean {
    return this.hasQueueRoom && this.deps.health.canStart(now);
  }

  run<T>(job: Job<T>, attempt: number): Promise<AttemptOutcome<T>> {
    this.#queued++;
    return new Promise((settle) => {
      let started = false;
      const onAbort = (): void => {
        if (started) return;
        this.#queued--;
        settle({ ok: false, skipped: false, failure: aborted(job.cancel), key: this.deps.ref });
      };
      job.cancel.onAbort(onAbort);
      void this.#queue.add(
        async () => {
          job.cancel.offAbort(onAbort);
          if (job.cancel.aborted) return;
          started = true;
          try {
            await this.#attempt(job, attempt, settle);
          } catch (error) {
            // Only a fault outside the call (e.g. its SDK cannot be loaded) lands here: the job still settles.
            const failure: Failure = { ...this.deps.classify(error), class: 'bad-request' };
            settle({ ok: false, skipped: false, failure, key: this.deps.ref });
          }
        },
        { priority: job.priority },
      );
    });
  }

  async #attempt<T>(job: Job<T>, attempt: number, settle: (o: AttemptOutcome<T>) => void): Promise<void> {
    const { clock, limiter, health, events, ref } = this.deps;
    try {
      for (let wait = limiter.waitFor(job.tokens, clock.now()); wait > 0; ) {
        await clock.sleep(wait, job.cancel.signal);
        wait = limiter.waitFor(job.tokens, clock.now());
      }
    } catch {
      settle({ ok: false, skipped: false, failure: aborted(job.cancel), key: this.deps.ref });
      return;
    } finally {
      this.#queued--;
    }
    const startedAt = clock.now();
    if (!health.canStart(startedAt)) {
      settle({ ok: false, skipped: true });
      return;
    }
    const reservation = limiter.take(job.tokens, startedAt);
    health.onStart(startedAt);
    this.#inFlight++;
    this.requests++;
    this.lastUsedAt = startedAt;
    events.emit({ type: 'request', at: startedAt, key: ref, jobId: job.id, attempt });
    const ctx = new AttemptContext(ref, job, attempt);
    // An abort answers the caller at once; the slot stays taken until the call itself stops.
    const answerAbort = (): void =>
      settle({ ok: false, skipped: false, failure: aborted(job.cancel), key: ref });
    job.cancel.onAbort(answerAbort);
    try {
      const ready = this.deps.ready();
      if (ready) await ready;
      const value = await call(job, this.deps.client, ctx);
      job.cancel.throwIfAborted();
      settle({ ok: true, value });
      // A stream's verdict on the key comes when it ends; the caller already has it.
      if (ctx.held) await ctx.held;
      this.#succeed(job, attempt, startedAt, ctx.usage);
    } catch (error) {
      const failure = job.cancel.aborted
        ? aborted(job.cancel)
        : this.deps.classify(scrubError(error, this.deps.key.reveal()));
      this.#fail(job, attempt, startedAt, failure);
      settle({ ok: false, skipped: false, failure, key: ref });
    } finally {
      job.cancel.offAbort(answerAbort);
      this.#inFlight--;
      this.deps.notify();
      if (ctx.usage && !this.deps.chargesEstimate) {
        limiter.reconcile(reservation, ctx.usage.inputTokens + ctx.usage.outputTokens, clock.now());
      }
    }
  }

  #succeed(job: Job<unknown>, attempt: number, startedAt: number, usage: TokenUsage | undefined): void {
    const { clock, health, events, ref, governor } = this.deps;
    const at = clock.now();
    if (health.onSuccess()) events.emit({ type: 'circuit-closed', at, key: ref });
    governor.onSuccess(this.#queued > 0);
    events.emit({
      type: 'success',
      at,
      key: ref,
      jobId: job.id,
      attempt,
      latencyMs: at - startedAt,
      usage,
    });
  }

  #fail(job: Job<unknown>, attempt: number, startedAt: number, failure: Failure): void {
    const { clock, health, events, ref, governor } = this.deps;
    const at = clock.now();
    const change = health.onFailure(failure, at);
    if (failure.class === 'rate-limited') governor.onRateLimited();
    events.emit({
      type: 'failure',
      at,
      key: ref,
      jobId: job.id,
      attempt,
      latencyMs: at - startedAt,
      failureClass: failure.class,
      status: failure.status,
      message: failure.message,
    });
    if (change) events.emit({ ...change, at, key: ref });
  }

  /** Resolves when nothing is queued or in flight on this key. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }
}
