import { type Shares, weightOf } from '../config/shares.js';
import type { Clock } from '../core/clock.js';
import { NoAvailableKeyError, QueueFullError } from '../core/errors.js';
import type { KeyLane } from './key-lane.js';
import type { KeyPool, PoolBacklog } from './key-registry.js';
import { type FairEntry, FairQueue } from './queues.js';
import { type Choice, chooseNow } from './strategies.js';

/** A job as the backlog holds it. */
export interface BacklogJob extends Choice, FairEntry {
  readonly tokens: number;
  readonly priority: number;
  /** Settled, or taken out by its caller's abort: the queue drops it. */
  readonly done: boolean;
  readonly aborted: boolean;
  /** The abort's reason, once aborted. */
  readonly reason: unknown;
  /** Set by the backlog when the job first enters: priority, less its age in aging steps. */
  rank: number;
  /** Set by the backlog when the job first enters: its place among jobs of equal rank. */
  order: number;
  /** Told as it enters the backlog (it may leave again within the same call). */
  entered(): void;
  /** Leaves the backlog for `worker`, which starts its call at once. */
  bind(worker: KeyLane): void;
  /** Leaves the backlog with an error (no key will ever serve it, or it was aborted). */
  fail(error: unknown): void;
}

/** A backstop for waits that a notice from a key ends (a slot freed, a probe's verdict). */
const MAX_WAIT_MS = 60_000;

/** Jobs failed in one turn of the event loop when no key is left (see `#failSome`). */
const FAIL_BATCH = 4;

/**
 * The jobs of one pool that no key can start yet, in priority order, then arrival (late binding). A job
 * is given to a key only when that key can start it at once, so whenever a key can serve, it serves the
 * oldest job of the highest priority: one 429 or cooldown never leaves a key idle while work waits, and
 * a key that comes back gets work on its first free moment. Keys call `wake` when a slot frees or their
 * state changes; a timer wakes the backlog when the soonest key's rate limits or cooldown allow a send.
 */
export class Backlog implements PoolBacklog {
  readonly #queue: FairQueue<BacklogJob>;
  readonly #epoch: number;
  #size = 0;
  #seq = 0;
  #draining = false;
  #again = false;
  /** Failing its jobs batch by batch: the next batch is due. */
  #failing = false;
  #timer: AbortController | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** Jobs the backlog may hold: the queue sizes of the keys that may serve; undefined until counted. */
  #capacity: number | undefined;

  constructor(
    readonly pool: KeyPool,
    readonly clock: Clock,
    /** A waiting job gains one priority level per this many ms, so a low priority is delayed, never starved. */
    readonly priorityAgingMs: number,
    /** Within a priority, tags are served in proportion to these weights. */
    readonly shares: Shares,
  ) {
    this.#epoch = clock.now();
    this.#queue = new FairQueue((tag) => weightOf(shares, tag));
  }

  get size(): number {
    return this.#size;
  }

  /** The pool's backlog, made on its first job. */
  static of(pool: KeyPool, clock: Clock, priorityAgingMs: number, shares: Shares): Backlog {
    const backlog = pool.backlog;
    if (backlog instanceof Backlog) return backlog;
    const made = new Backlog(pool, clock, priorityAgingMs, shares);
    pool.backlog = made;
    return made;
  }

  /**
   * Takes a new job: a key that can start it now gets it at once; otherwise it waits, unless the pool
   * already holds as many waiting jobs as its keys' queue sizes allow in all (QueueFullError). Jobs handed
   * back after an attempt go through `add` and are never refused.
   */
  admit(job: BacklogJob): void {
    this.#stamp(job);
    if (this.#size === 0) {
      const worker = chooseNow(this.pool, job, job.tokens, this.clock.now());
      if (worker) {
        job.bind(worker);
        return;
      }
    }
    // The keys' rooms are counted only once the backlog reaches their queue sizes (counted again as keys
    // come and go): below that, room is certain.
    if (this.#size >= (this.#capacity ?? 0)) {
      this.#capacity = this.#count();
      if (this.#size >= this.#room()) {
        if (this.#soonest(job.tokens, this.clock.now()) === undefined) throw this.#noKey();
        throw new QueueFullError(`${this.pool.provider}: the queue of every usable key is full`, {
          provider: this.pool.provider,
        });
      }
    }
    this.add(job);
  }

  /** Puts a job in its place (a job back from a failed attempt keeps the place it first had) and drains. */
  add(job: BacklogJob): void {
    this.#stamp(job);
    this.#queue.push(job);
    this.#size++;
    job.entered();
    // Behind the head, nothing changed for the head: the keys, and the wake set for it, stand.
    if (this.#queue.peek() === job) this.drain();
  }

  /** A job's place, given once: its priority less its age in aging steps, then its arrival. */
  #stamp(job: BacklogJob): void {
    if (job.order >= 0) return;
    job.order = this.#seq++;
    job.rank = job.priority - (this.clock.now() - this.#epoch) / this.priorityAgingMs;
  }

  /** A job left before a key took it (its caller aborted): it is dropped when it reaches the head. */
  left(job: BacklogJob): void {
    this.#size--;
    this.#queue.dropped(job);
    if (this.#size === 0) this.#disarm();
  }

  wake(worker?: KeyLane): void {
    if (this.#size === 0) return;
    if (worker === undefined || this.#draining) this.drain();
    else this.#pull(worker);
  }

  /**
   * Only `worker` changed (its slot freed, its limits moved): it takes what it can start now, and the
   * backlog wakes when it next can, if sooner. The other keys were already looked at (no scan of them:
   * the cost per job stays the same with 1 000 keys as with 10).
   */
  #pull(worker: KeyLane): void {
    this.#draining = true;
    try {
      for (let job = this.#head(); job !== undefined; job = this.#head()) {
        const now = this.clock.now();
        if (worker.canStartNow(job.tokens, now)) {
          this.#take()!.bind(worker);
          continue;
        }
        const wait = worker.readyIn(job.tokens, now);
        // The key went out of service (quota, auth): it may have been the pool's last, and a job whose
        // attempt found it so may have left for a fallback without coming back here. Look at every key.
        if (wait === undefined) this.#again = true;
        else if (Number.isFinite(wait)) this.#arm(now, Math.min(wait, MAX_WAIT_MS));
        break;
      }
    } finally {
      this.#draining = false;
    }
    if (this.#again) this.drain();
    else if (this.#size === 0) this.#disarm();
  }

  keysChanged(): void {
    this.#capacity = undefined;
  }

  /** Gives waiting jobs to every key that can start one now; then waits for the soonest key. */
  drain(): void {
    // A job given to a key can make it notify the pool at once: that pass runs after this one.
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = true;
    try {
      do {
        this.#again = false;
        this.#drainOnce();
      } while (this.#again);
    } finally {
      this.#draining = false;
    }
  }

  #drainOnce(): void {
    for (let job = this.#head(); job !== undefined; job = this.#head()) {
      const now = this.clock.now();
      const worker = chooseNow(this.pool, job, job.tokens, now);
      if (worker) {
        this.#take()!.bind(worker);
        continue;
      }
      const wait = this.#soonest(job.tokens, now);
      if (wait === undefined) {
        this.#failSome(this.#noKey());
        return;
      }
      this.#arm(now, Math.min(wait, MAX_WAIT_MS));
      return;
    }
    this.#disarm();
  }

  #noKey(): NoAvailableKeyError {
    const { provider, workers } = this.pool;
    return new NoAvailableKeyError(
      `${provider}: no key can serve (${workers.length} keys, all disabled or unavailable)`,
      { provider },
    );
  }

  /** The first job still waiting; aborted ones at the head leave with their reason on the way. */
  #head(): BacklogJob | undefined {
    for (let job = this.#queue.peek(); job !== undefined; job = this.#queue.peek()) {
      // close() aborts jobs no signal links to: they leave here.
      if (!job.aborted) return job;
      this.#take()!.fail(job.reason);
    }
    return undefined;
  }

  #take(): BacklogJob | undefined {
    const job = this.#queue.shift();
    if (job) this.#size--;
    return job;
  }

  /** Ms until some key may start a job of `tokens`; undefined when no key ever will. */
  #soonest(tokens: number, now: number): number | undefined {
    let soonest: number | undefined;
    for (const worker of this.pool.lanes) {
      const wait = worker.readyIn(tokens, now);
      if (wait !== undefined && (soonest === undefined || wait < soonest)) soonest = wait;
    }
    return soonest;
  }

  /** Wakes the backlog in `ms`; an earlier wake already set stays (it looks again then). */
  #arm(now: number, ms: number): void {
    const at = now + ms;
    if (this.#timer && this.#timerAt <= at && this.#timerAt >= now) return;
    this.#disarm();
    const timer = new AbortController();
    this.#timer = timer;
    this.#timerAt = at;
    this.clock.sleep(ms, timer.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.drain();
      },
      () => undefined,
    );
  }

  #disarm(): void {
    this.#timer?.abort();
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /**
   * No key will serve: the jobs at the head fail now, the rest after a turn of the event loop, and so on.
   * Each failed job may go on to a fallback model at once; failing thousands in one go would hold back
   * the first one's request (its sends wait behind every other job's failing), and a key brought back
   * meanwhile serves the jobs still here.
   */
  #failSome(error: unknown): void {
    this.#disarm();
    for (let i = 0; i < FAIL_BATCH; i++) {
      const job = this.#head();
      if (job === undefined) return;
      this.#take()!.fail(error);
    }
    if (this.#size === 0 || this.#failing) return;
    this.#failing = true;
    setImmediate(() => {
      this.#failing = false;
      this.drain();
    });
  }

  /** What the pool may hold now: each usable key's queue size and free slots, less what it holds. */
  #room(): number {
    return this.#sumOverUsable((worker) => worker.room);
  }

  /** A floor of what the backlog may hold: the queue sizes of the keys that may still serve. */
  #count(): number {
    return this.#sumOverUsable((worker) => worker.queueSize);
  }

  #sumOverUsable(of: (worker: KeyLane) => number): number {
    const now = this.clock.now();
    let sum = 0;
    for (const worker of this.pool.lanes) if (worker.readyAt(now) !== undefined) sum += of(worker);
    return sum;
  }
}
