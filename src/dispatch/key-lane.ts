import { AttemptTimeoutError } from '../core/errors.js';
import type { EventBus, KeyRef, TokenUsage } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { RateLimitInfo } from '../core/rate-limit-info.js';
import { scrubError } from '../core/redact.js';
import { ATTEMPT_TRACE } from '../core/telemetry.js';
import type { AdaptiveConcurrency } from '../policy/adaptive-concurrency.js';
import type { EjectionGuard, HealthChange, HealthState } from '../policy/health.js';
import type { ModelLimit, Reservation } from '../policy/rate-limiter.js';
import type { SharedGate } from '../policy/shared-gate.js';
import {
  AttemptContext,
  type AttemptOutcome,
  aborted,
  call,
  type EntryOwner,
  type Job,
  QueuedEntry,
} from './job-context.js';
import {
  type KeyCheck,
  KeyWorker,
  type KeyWorkerStats,
  type ModelStats,
  type WorkerDeps,
} from './key-worker.js';
import { type Deadline, DeadlineQueue, PriorityFifo } from './queues.js';

/** States a passing check ends: the provider accepts the key again (DESIGN.md, issue 15). */
const REVIVED_BY_CHECK: ReadonlySet<HealthState> = new Set(['unavailable', 'exhausted', 'circuit-open']);

/** Assignment order across all workers: `lru` compares it, so jobs assigned in one tick still spread. */
let assignments = 0;

/** What an attempt took from the buckets before its call: the key's, and its model's when it has one. */
interface Taken {
  readonly reservation: Reservation;
  readonly model: ModelLimit | undefined;
  readonly modelReservation: Reservation | undefined;
}

/**
 * One key's lane, behind its KeyWorker: a bounded priority queue, its concurrency limit, its rate buckets
 * and its health. What the dispatcher needs of it (may it start a job now, when might it, run this job,
 * hand back what is queued) is public; its collaborators are private. A key that stops serving hands its
 * queued jobs back at once. A slot is held from the moment a job leaves the queue (it may still wait there
 * for the rate limits) until its call, stream included, ends.
 */
export class KeyLane implements EntryOwner, KeyCheck {
  /** The key's face for the layers above the dispatcher. */
  readonly worker: KeyWorker = new KeyWorker(this);
  /** Its collaborators: private, so what the other layers may do with a key is the methods below. */
  readonly #deps: WorkerDeps;
  /** Told each attempt's outcome once, after the key's health took it in. */
  readonly #listeners: readonly AttemptListener[];
  readonly #queue = new PriorityFifo<QueuedEntry>();
  /** Entries whose call has not begun: in the queue, or in a slot waiting for the rate limits. */
  readonly #waiting = new Set<QueuedEntry>();
  readonly #deadlines: DeadlineQueue;
  /** Slots taken: jobs out of the queue whose call has not ended. */
  #active = 0;
  #inFlight = 0;
  /** Jobs waiting in this key's slots for its rate limits: woken when the key stops serving. */
  readonly #sleepers = new Set<AbortController>();
  readonly #epoch: number;
  #loadedOnce = false;
  #loading = false;
  /** The provider's SDK has loaded (the adapter's `ready` said so once): later calls need not ask. */
  #sdkReady = false;
  /** Jobs assigned to this key (`least-used`). */
  requests = 0;
  /** When this key was last assigned a job, in assignment order (`lru`). */
  lastAssigned = 0;
  /** When a call last started on this key (clock time). */
  lastUsedAt = Number.NEGATIVE_INFINITY;

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
    this.#listeners = attemptListeners(deps);
    this.#deadlines = new DeadlineQueue(deps.clock);
    this.#epoch = deps.clock.now();
    deps.concurrency.onChange(() => this.#refreshSlots());
  }

  get ref(): KeyRef {
    return this.#deps.ref;
  }

  /** Back into rotation (`enableKey`). */
  enable(): void {
    this.#deps.health.enabled = true;
  }

  /** Out of rotation: its queued jobs go back to the pool at once; calls in flight finish. */
  disable(): void {
    this.#deps.health.enabled = false;
    this.evictQueued();
  }

  /**
   * Clears cooldown (its models' too), breaker, quota and auth state and the adapted concurrency; true
   * when it was held out.
   */
  reset(now: number): boolean {
    this.#deps.concurrency.reset();
    this.#deps.models?.reset();
    return this.#deps.health.reset(now);
  }

  /**
   * When the key may next be tried, for calls of the limit `scope` when given (its model's cooldown too);
   * undefined when only an operator (or a health check) can bring it back.
   */
  readyAt(now: number, scope?: string): number | undefined {
    const at = this.#deps.health.readyAt(now);
    const until = this.#modelOf(scope)?.cooldownUntil(now);
    return at === undefined || until === undefined ? at : Math.max(at, until);
  }

  /** The limit scope of `model` on this key's provider; undefined when the provider limits the key as one. */
  scopeOf(model: string): string | undefined {
    return this.#deps.limitScope?.(model);
  }

  /** A scope's state if it has one (made by the first call of its model). */
  #modelOf(scope: string | undefined): ModelLimit | undefined {
    return scope === undefined ? undefined : this.#deps.models?.peek(scope);
  }

  /** What the stats show of the key. */
  stats(now: number): KeyWorkerStats {
    const { health, limiter, concurrency, weight } = this.#deps;
    return {
      state: health.state(now),
      healthScore: health.score(now),
      cooldownUntil: health.cooldownUntil(now),
      limits: limiter.usage(now),
      queued: this.queued,
      inFlight: this.#inFlight,
      slots: this.slots,
      concurrency: concurrency.limit,
      weight,
      lastUsedAt: this.lastUsedAt,
      models: this.#modelStats(now),
    };
  }

  #modelStats(now: number): Readonly<Record<string, ModelStats>> {
    const out: Record<string, ModelStats> = {};
    for (const [scope, model] of this.#deps.models?.entries() ?? []) {
      const cooldownUntil = model.cooldownUntil(now);
      out[scope] = {
        state: cooldownUntil === undefined ? 'ready' : 'rate-limited',
        cooldownUntil,
        limits: model.limiter.usage(now),
      };
    }
    return out;
  }

  /** Held out of the pool by its breaker (open or half-open): counts toward the pool's ejection ceiling. */
  ejected(now: number): boolean {
    return this.#deps.health.ejected(now);
  }

  /** Jobs its own queue may hold. */
  get queueSize(): number {
    return this.#deps.queueSize;
  }

  /**
   * A provider's reading of the key's limits (from a response's headers): the limits it learns, the state
   * shared with other processes, and the end of its slow start. With a limit `scope` (the answer was to a
   * call of a model the provider limits separately), the reading is that model's: its buckets learn it,
   * and the key's own buckets only hear that the key answered.
   */
  observe(info: RateLimitInfo | undefined, scope?: string): void {
    const { limiter, clock, shared, events, ref, notify, models } = this.#deps;
    const now = clock.now();
    const model = scope === undefined ? undefined : models?.of(scope, now);
    const wasLearning = limiter.learning;
    const modelWasLearning = model?.limiter.learning === true;
    const learned = model ? model.limiter.observe(info, now) : limiter.observe(info, now);
    if (model) limiter.observe(undefined, now);
    // Shared with other processes as the key's: the store keeps one schedule per key, so a model's empty
    // bucket holds the key back in every process (the other models too) rather than in this one alone.
    if (info) shared?.observe(info);
    if (learned) {
      const of = model === undefined || scope === undefined ? {} : { model: scope };
      events.emit({ type: 'limits-learned', at: now, key: ref, limits: learned, ...of });
    }
    // The first response ends a key's slow start: its queue opens up at once.
    if (wasLearning && !limiter.learning) {
      this.#refreshSlots();
      notify();
    } else if (modelWasLearning && !model?.limiter.learning) notify();
  }

  async checkClient(): Promise<unknown> {
    const ready = this.#deps.ready();
    if (ready) await ready;
    return this.#deps.client();
  }

  classify(error: unknown): Failure {
    return this.#deps.classify(scrubError(error, this.#deps.key.reveal()));
  }

  /**
   * A health check's verdict, as a real call's would be: 401/403 make the key unavailable, a spent quota
   * exhausted, a transient fault counts toward its breaker; a pass revives a key held out. Returns the
   * key's state afterwards.
   */
  recordCheck(failure: Failure | undefined, at: number): HealthState {
    const { health, events, ref } = this.#deps;
    if (failure !== undefined) {
      if (failure.class !== 'aborted') {
        const change = health.onFailure(failure, at);
        // `ejection-held` is the pool's bookkeeping of real traffic, not an event; a check leaves it alone.
        if (change && change.type !== 'ejection-held') events.emit({ ...change, at, key: ref });
      }
      return health.state(at);
    }
    if (REVIVED_BY_CHECK.has(health.state(at))) {
      if (health.reset(at)) events.emit({ type: 'key-recovered', at, key: ref });
      this.#deps.notify('pool');
    } else if (health.onSuccess()) {
      events.emit({ type: 'circuit-closed', at, key: ref });
    }
    return health.state(at);
  }
  get name(): string {
    return this.#deps.ref.name;
  }
  get weight(): number {
    return this.#deps.weight;
  }
  get score(): number {
    return this.#deps.health.score(this.#deps.clock.now());
  }
  get headroom(): number {
    const { limiter, clock } = this.#deps;
    return limiter.hasLimits ? limiter.headroom(clock.now()) : 1;
  }
  get queued(): number {
    return this.#waiting.size;
  }
  get inFlight(): number {
    return this.#inFlight;
  }
  /** The key's concurrency limit. */
  get concurrency(): number {
    return this.#deps.concurrency.limit;
  }
  /** Calls it may have in flight now: while its limits are being learned, one at a time. */
  get slots(): number {
    return this.#deps.limiter.learning ? 1 : this.#deps.concurrency.limit;
  }
  /** A slot is free: a job given now would not wait for one. */
  get hasFreeSlot(): boolean {
    return this.#active < this.slots;
  }
  /** (queued + in flight) / slots. */
  get load(): number {
    return (this.#waiting.size + this.#inFlight) / this.slots;
  }
  get hasQueueRoom(): boolean {
    return this.room > 0;
  }
  /** Jobs the key could still hold: its queue size and slots, less what it holds. */
  get room(): number {
    return Math.max(
      0,
      this.#deps.queueSize + this.#deps.concurrency.limit - this.#waiting.size - this.#inFlight,
    );
  }
  /** Jobs wait for a slot, here or in the pool: more slots would have been used. */
  get #backlogged(): boolean {
    // Entries not begun, less those already holding a slot (active slots whose call has not started).
    if (this.#waiting.size > this.#active - this.#inFlight) return true;
    return this.#active >= this.slots && (this.#deps.poolBacklog?.() ?? 0) > 0;
  }
  /**
   * Calls per ms the key's limits allow for jobs of the size seen here; undefined with no limits. Models
   * limited separately each add their own rate, within the key's.
   */
  allowedRate(): number | undefined {
    // What the token limits allow is a rate of calls of the size the key's calls have lately been.
    const mean = this.#deps.limiter.meanTokens;
    const own = this.#deps.limiter.allowedRate(mean);
    let models: number | undefined;
    for (const [, model] of this.#deps.models?.entries() ?? []) {
      const rate = model.limiter.allowedRate(mean);
      if (rate !== undefined) models = (models ?? 0) + rate;
    }
    if (models === undefined) return own;
    return own === undefined ? models : Math.min(own, models);
  }

  /** Whether a `specific` job may be queued on this key now. */
  isEligible(now: number): boolean {
    return this.hasQueueRoom && this.#deps.health.canStart(now);
  }

  /**
   * Whether a job of `tokens` (and of the limit `scope`, when its provider limits models separately)
   * given to this key now would start its call at once: a free slot, its rate limits (and its model's)
   * allow a send, its health lets it serve, and no other process holds it back. The pool gives a job to a
   * key only then (late binding), so no job waits on one key while another could serve it.
   */
  canStartNow(tokens: number, now: number, scope?: string): boolean {
    const model = this.#modelOf(scope);
    return (
      this.#active < this.slots &&
      this.#loaded() &&
      this.#deps.health.canStart(now) &&
      this.#deps.limiter.waitFor(tokens, now) === 0 &&
      (model === undefined || (model.canStart(now) && model.limiter.waitFor(tokens, now) === 0)) &&
      // Another process cooled the key down or booked it ahead (a cached figure, no round trip).
      (this.#deps.shared?.waitMs(now) ?? 0) === 0
    );
  }

  /**
   * Ms until `canStartNow` may turn true with no notice from the key; Infinity when only a notice can
   * (its slots are full, or its half-open probe awaits a verdict: both notify the pool); undefined when
   * the key will never serve unless someone brings it back (disabled, failing auth, out of quota).
   */
  readyIn(tokens: number, now: number, scope?: string): number | undefined {
    const { health, shared } = this.#deps;
    const readyAt = health.readyAt(now);
    if (readyAt === undefined) return undefined;
    if (this.#active >= this.slots || !this.#loaded()) return Number.POSITIVE_INFINITY;
    const model = this.#modelOf(scope);
    const wait = Math.max(readyAt - now, shared?.waitMs(now) ?? 0, this.#waitFor(tokens, model, now));
    // A half-open probe, or a model's first call still learning its limits: their answers notify.
    if (wait === 0 && (!health.canStart(now) || model?.canStart(now) === false))
      return Number.POSITIVE_INFINITY;
    return wait;
  }

  /**
   * Whether the key's SDK is loaded. Until it is, no job is given to the key: a rate take made before a
   * load of tens of ms would reach the provider together with the next one (a burst it may refuse).
   * The pool is told when the load ends (it never fails: a missing SDK fails the call instead).
   */
  #loaded(): boolean {
    if (this.#loadedOnce) return true;
    const ready = this.#deps.ready();
    if (ready === undefined) {
      this.#loadedOnce = true;
      return true;
    }
    if (!this.#loading) {
      this.#loading = true;
      const done = (): void => {
        this.#loading = false;
        this.#deps.notify('pool');
      };
      ready.then(done, done);
    }
    return false;
  }

  /** Queues one attempt of `job`; its outcome goes to `job.report`, exactly once. */
  run(job: Job<unknown>, attempt: number): void {
    this.requests++;
    this.lastAssigned = ++assignments;
    const rank = job.priority - (this.#deps.clock.now() - this.#epoch) / this.#deps.priorityAgingMs;
    const entry = new QueuedEntry(job, attempt, this, rank);
    this.#waiting.add(entry);
    this.#queue.push(entry);
    // Only a caller's signal or deadline can abort a queued job; close() hands every queued job back.
    if (job.abortable || job.cancel.aborted) job.cancel.onAbort(entry);
    this.#pump();
  }

  /** An entry left before its call began (aborted, handed back, or its call begins). */
  left(entry: QueuedEntry): void {
    this.#waiting.delete(entry);
    if (!entry.queued) return;
    entry.queued = false;
    this.#queue.dropped();
  }

  /** Hands every job not yet started back to the dispatcher, which places it on a key that can serve. */
  evictQueued(): void {
    if (this.#waiting.size === 0) return;
    const entries = [...this.#waiting];
    // Cleared first: a job handed back may be queued here again at once (the dispatcher decides).
    this.#queue.clear();
    for (const entry of entries) {
      entry.queued = false;
      entry.skip();
    }
    for (const sleeper of this.#sleepers) sleeper.abort();
  }

  /** Its slots changed (slow start ended, the concurrency limit moved): start what now fits. */
  #refreshSlots(): void {
    this.#pump();
    this.#deps.notify();
  }

  #pump(): void {
    while (this.#active < this.slots) {
      const entry = this.#queue.shift();
      if (!entry) return;
      entry.queued = false;
      this.#active++;
      void this.#slot(entry);
    }
  }

  /** One slot's life: the job's wait for the limits, its call, then the slot goes to the next job. */
  async #slot(entry: QueuedEntry): Promise<void> {
    let outcome: AttemptOutcome<unknown> | undefined;
    try {
      outcome = await this.#start(entry);
    } catch (error) {
      // A fault before the call (its store, a bug): the job still settles, once, with it.
      if (!entry.done) {
        entry.begin();
        outcome = { ok: false, skipped: false, failure: this.#fault(error), key: this.#deps.ref };
      }
    } finally {
      this.#active--;
    }
    this.#pump();
    // Answered after the slot is free, so a retry's choice of key sees this one as it now is.
    if (outcome) entry.answer(outcome);
    // The pool looks again: this key may take a waiting job, or the pool must learn when it next can.
    this.#deps.notify();
  }

  /** Returns the attempt's outcome when it is still to be answered. */
  async #start(entry: QueuedEntry): Promise<AttemptOutcome<unknown> | undefined> {
    if (entry.done) return undefined;
    const { clock, limiter, health, models } = this.#deps;
    const { tokens, limitScope } = entry.job;
    const model = limitScope === undefined ? undefined : models?.of(limitScope, clock.now());
    for (let wait = this.#waitFor(tokens, model, clock.now()); wait > 0 && !entry.done; ) {
      if (!(await this.#sleep(entry, wait))) return undefined;
      wait = this.#waitFor(tokens, model, clock.now());
    }
    if (entry.done) return undefined;
    // Taken in the same tick as the wait ended: two slots woken together must not both see room.
    const now = clock.now();
    const taken: Taken = {
      reservation: limiter.take(tokens, now),
      model,
      modelReservation: model?.limiter.take(tokens, now),
    };
    if (this.#deps.shared && !(await this.#sharedTake(entry))) return undefined;
    if (entry.done) {
      this.#deps.shared?.release();
      return undefined;
    }
    const startedAt = clock.now();
    // Past the job's deadline no attempt begins: handed back, the job ends with DeadlineExceededError.
    const { deadline } = entry.job;
    if (!health.canStart(startedAt) || (deadline !== undefined && startedAt > deadline)) {
      this.#deps.shared?.release();
      entry.skip();
      return undefined;
    }
    entry.begin();
    try {
      return await this.#attempt(entry, startedAt, taken);
    } catch (error) {
      // Only a fault outside the call (e.g. its SDK cannot be loaded) lands here: the job still settles.
      return { ok: false, skipped: false, failure: this.#fault(error), key: this.#deps.ref };
    }
  }

  /** Ms until the key's buckets, and its model's buckets and cooldown, let a call of `tokens` go. */
  #waitFor(tokens: number, model: ModelLimit | undefined, now: number): number {
    const wait = this.#deps.limiter.waitFor(tokens, now);
    if (model === undefined) return wait;
    return Math.max(wait, model.limiter.waitFor(tokens, now), (model.cooldownUntil(now) ?? now) - now);
  }

  /** A fault outside the provider's answer ends the job, as a bad request would: retrying cannot help. */
  #fault(error: unknown): Failure {
    return { ...this.#deps.classify(error), class: 'bad-request' };
  }

  /** Waits until the shared buckets admit the call (one round trip per try); false when the job left. */
  async #sharedTake(entry: QueuedEntry): Promise<boolean> {
    const { shared } = this.#deps;
    if (!shared) return true;
    for (
      let wait = await shared.take(entry.job.tokens);
      wait > 0;
      wait = await shared.take(entry.job.tokens)
    ) {
      if (entry.done || !(await this.#sleep(entry, wait))) return false;
    }
    // Admitted: a job that left meanwhile gives the take back (see #start).
    return true;
  }

  /**
   * Sleeps in the job's slot for its key's limits; false when the job left meanwhile (its caller aborted,
   * or the key handed it back). One controller per sleeping job: at most a slot's worth at once.
   */
  async #sleep(entry: QueuedEntry, ms: number): Promise<boolean> {
    const sleeper = new AbortController();
    const wake = (): void => sleeper.abort();
    entry.job.cancel.onAbort(wake);
    this.#sleepers.add(sleeper);
    try {
      await this.#deps.clock.sleep(ms, sleeper.signal);
    } catch {
      // Woken by the caller's abort or an eviction, which already answered the job.
    } finally {
      this.#sleepers.delete(sleeper);
      entry.job.cancel.offAbort(wake);
    }
    return !entry.done;
  }

  /** The call itself. Returns its outcome unless it was answered already (an abort, a deadline, a stream). */
  async #attempt(
    entry: QueuedEntry,
    startedAt: number,
    taken: Taken,
  ): Promise<AttemptOutcome<unknown> | undefined> {
    const { clock, limiter, health, events, ref, concurrency } = this.#deps;
    const { job, attempt } = entry;
    const { reservation, model, modelReservation } = taken;
    health.onStart(startedAt);
    concurrency.onStart(startedAt);
    this.#inFlight++;
    if (model) model.inFlight++;
    this.lastUsedAt = startedAt;
    events.emit({ type: 'request', at: startedAt, key: ref, jobId: job.id, attempt });
    const trace = job.trace?.attempt(ref, attempt);
    const ctx = new AttemptContext(ref, job, attempt, startedAt, trace);
    // The caller's abort answers at once; the slot stays taken until the call itself stops.
    const onJobAbort = (reason: unknown): void => {
      ctx.abort(reason);
      if (!ctx.answered) {
        ctx.answered = true;
        entry.answer({ ok: false, skipped: false, failure: aborted(job.cancel), key: ref });
      }
    };
    job.cancel.onAbort(onJobAbort);
    const deadline = this.#deadline(entry, ctx);
    const { budget } = job;
    let outcome: AttemptOutcome<unknown> | undefined;
    // The budgets' reservation of this attempt, and whether its call ran to an answer (then it settles).
    let ticket: unknown;
    let answered = false;
    try {
      if (!this.#sdkReady) {
        const ready = this.#deps.ready();
        if (ready) await ready;
        this.#sdkReady = true;
      }
      if (budget) {
        // Kept only once reserved: a refusal (thrown, or a rejected store step) leaves nothing to release.
        const reserved = budget.reserve(job, this.#deps.ref);
        ticket = reserved instanceof Promise ? await reserved : reserved;
      }
      // The key's SDK client of the job's model: its fetch files the answer's headers under that model.
      const client = (): unknown => this.#deps.client(job.limitScope);
      const value = await (trace ? trace.run(client, () => call(job, client, ctx)) : call(job, client, ctx));
      answered = true;
      if (deadline) this.#deadlines.finish(deadline);
      ctx.throwIfAborted();
      ctx.answered = true;
      if (ctx.held) {
        // A stream: the caller gets it now; the key's verdict and its slot come when it ends.
        const firstByteMs = clock.now() - startedAt;
        entry.answer({ ok: true, value });
        await ctx.held;
        this.#succeed(entry, ctx, firstByteMs);
      } else {
        this.#succeed(entry, ctx, undefined);
        outcome = { ok: true, value };
      }
    } catch (error) {
      if (deadline) this.#deadlines.finish(deadline);
      const failure =
        job.cancel.aborted && !ctx.timedOut
          ? aborted(job.cancel)
          : this.#deps.classify(scrubError(error, this.#deps.key.reveal()));
      // A timed-out attempt was already counted against the key when its deadline passed.
      if (!ctx.timedOut) this.#fail(entry, ctx, failure);
      if (!ctx.answered) {
        ctx.answered = true;
        outcome = { ok: false, skipped: false, failure, key: ref };
      }
    } finally {
      job.cancel.offAbort(onJobAbort);
      this.#inFlight--;
      if (model) model.inFlight--;
      if (ctx.usage) job.costLine?.add(ref, ctx.usage);
      if (ctx.usage && !this.#deps.chargesEstimate) {
        const actual = ctx.usage.inputTokens + ctx.usage.outputTokens;
        limiter.reconcile(reservation, actual, clock.now());
        if (model && modelReservation) model.limiter.reconcile(modelReservation, actual, clock.now());
        this.#deps.shared?.settle(reservation.tokens, actual);
      }
      this.#deps.shared?.release();
    }
    // A call that answered (a stream too, however it ended) costs what it used; one that failed, nothing.
    // The caller sees its outcome once the budgets count it (a shared step is awaited).
    if (budget && ticket !== undefined) {
      const step = answered ? budget.settle(job, ticket, ctx.usage) : budget.release(ticket);
      if (step) await step;
    }
    return outcome;
  }

  /** The attempt's own deadline: when it passes, the key has failed and the job moves on at once. */
  #deadline(entry: QueuedEntry, ctx: AttemptContext): Deadline | undefined {
    const ms = this.#deps.attemptTimeoutMs;
    if (!Number.isFinite(ms)) return undefined;
    return this.#deadlines.add(ctx.startedAt + ms, () => {
      const reason = new AttemptTimeoutError(ms, {
        provider: this.ref.provider,
        keyName: this.name,
        keyLabel: this.ref.label,
      });
      ctx.timedOut = true;
      const failure: Failure = {
        class: 'transient',
        status: undefined,
        retryAfterMs: undefined,
        message: reason.message,
        error: reason,
      };
      this.#fail(entry, ctx, failure);
      ctx.abort(reason);
      if (!ctx.answered) {
        ctx.answered = true;
        entry.answer({ ok: false, skipped: false, failure, key: this.ref });
      }
    });
  }

  #succeed(entry: QueuedEntry, ctx: AttemptContext, firstByteMs: number | undefined): void {
    const { clock, health, events, ref } = this.#deps;
    const at = clock.now();
    const closedBreaker = health.onSuccess();
    this.#modelOf(entry.job.limitScope)?.onSuccess();
    if (closedBreaker) events.emit({ type: 'circuit-closed', at, key: ref });
    const report: SuccessReport = {
      at,
      latencyMs: at - ctx.startedAt,
      jobId: entry.job.id,
      attempt: entry.attempt,
      firstByteMs,
      saturated: this.#backlogged,
      closedBreaker,
      usage: ctx.usage,
    };
    ctx[ATTEMPT_TRACE]?.succeed(ctx.usage, at);
    for (const listener of this.#listeners) listener.onSuccess(report);
  }

  /**
   * A 429 of a call whose model the provider limits separately rests that model on this key, not the key:
   * its other models go on. Undefined for any other failure (the key's health takes it).
   */
  #modelRateLimited(scope: string | undefined, failure: Failure, at: number): HealthChange | undefined {
    const model = failure.class === 'rate-limited' ? this.#modelOf(scope) : undefined;
    if (model === undefined || scope === undefined) return undefined;
    const { health } = this.#deps;
    health.onModelRateLimited(at);
    return {
      type: 'rate-limited',
      until: model.onRateLimited(failure, at, health.policy, health.random),
      model: scope,
    };
  }

  #fail(entry: QueuedEntry, ctx: AttemptContext, failure: Failure): void {
    const { clock, health } = this.#deps;
    const at = clock.now();
    const change = this.#modelRateLimited(entry.job.limitScope, failure, at) ?? health.onFailure(failure, at);
    // Written out, not spread from a shared part: a spread made this report cost as much as the job.
    const latencyMs = at - ctx.startedAt;
    const report: FailureReport = {
      at,
      latencyMs,
      jobId: entry.job.id,
      attempt: entry.attempt,
      failure,
      change,
    };
    ctx[ATTEMPT_TRACE]?.fail(failure, at, change?.type === 'rate-limited' ? change.until : undefined);
    for (const listener of this.#listeners) listener.onFailure(report);
    if (!health.canStart(at)) this.evictQueued();
  }
}

/** How one attempt on a key ended, after the key's health took it in. */
interface AttemptReport {
  readonly at: number;
  readonly latencyMs: number;
  readonly jobId: number;
  readonly attempt: number;
}

export interface SuccessReport extends AttemptReport {
  /** Set for a stream: when its first chunk came, ms after the call started. */
  readonly firstByteMs: number | undefined;
  /** Jobs waited for a slot: more slots would have been used. */
  readonly saturated: boolean;
  /** The success closed the key's breaker. */
  readonly closedBreaker: boolean;
  readonly usage: TokenUsage | undefined;
}

export interface FailureReport extends AttemptReport {
  readonly failure: Failure;
  /** What the failure did to the key (a cooldown, its quota, its breaker), if anything. */
  readonly change: HealthChange | undefined;
}

/**
 * Told how each attempt on a key ended, exactly once (the shape of Netflix concurrency-limits'
 * `Limiter.Listener`): the key's worker reports the outcome, and each collaborator takes what it needs.
 */
export interface AttemptListener {
  onSuccess(report: SuccessReport): void;
  onFailure(report: FailureReport): void;
}

/** The state shared with other processes: the breaker's verdict and the key's cooldowns. */
function sharedListener(shared: SharedGate): AttemptListener {
  return {
    onSuccess: (r) => shared.onSuccess(r.closedBreaker),
    onFailure: (r) => shared.onFailure(r.change),
  };
}

/** The concurrency limit, adapting to latency. */
function concurrencyListener(concurrency: AdaptiveConcurrency): AttemptListener {
  return {
    onSuccess: ({ latencyMs, at: now, saturated, firstByteMs }) =>
      concurrency.onSuccess(
        firstByteMs === undefined
          ? { latencyMs, now, saturated }
          : { latencyMs, now, saturated, firstByteMs },
      ),
    onFailure: ({ failure, latencyMs, at: now }) =>
      concurrency.onFailure({ class: failure.class, latencyMs, now }),
  };
}

/** The events (and through them the stats and the logs). */
function eventsListener(events: EventBus, key: KeyRef): AttemptListener {
  return {
    onSuccess: ({ at, jobId, attempt, latencyMs, usage }) =>
      events.emit({ type: 'success', at, key, jobId, attempt, latencyMs, usage }),
    onFailure: ({ at, jobId, attempt, latencyMs, failure, change }) => {
      events.emit({
        type: 'failure',
        at,
        key,
        jobId,
        attempt,
        latencyMs,
        failureClass: failure.class,
        status: failure.status,
        message: failure.message,
      });
      if (change && change.type !== 'ejection-held') events.emit({ ...change, at, key });
    },
  };
}

/** The pool's ejection ceiling: a held breaker degrades the pool, a success ends that. */
function guardListener(guard: EjectionGuard): AttemptListener {
  return {
    onSuccess: (r) => guard.onSuccess(r.at),
    onFailure: (r) => {
      if (r.change?.type === 'ejection-held') guard.onHeld(r.at);
    },
  };
}

/** A key's listeners, in the order they hear an outcome. */
export function attemptListeners(key: {
  readonly ref: KeyRef;
  readonly events: EventBus;
  readonly concurrency: AdaptiveConcurrency;
  readonly shared?: SharedGate | undefined;
  readonly guard: EjectionGuard | undefined;
}): readonly AttemptListener[] {
  return [
    ...(key.shared ? [sharedListener(key.shared)] : []),
    ...(key.guard ? [guardListener(key.guard)] : []),
    concurrencyListener(key.concurrency),
    eventsListener(key.events, key.ref),
  ];
}
