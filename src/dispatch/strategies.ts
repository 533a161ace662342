// Which key a job goes to: the strategies (pure, over a read-only view of the keys), choosing a key that
// can start the job now, and the pool's Backlog, where jobs wait when none can (one fair queue per model).
import type { Strategy } from '../config/options.js';
import { type Shares, weightOf as shareOf } from '../config/shares.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, NoAvailableKeyError, QueueFullError } from '../core/errors.js';
import type { PickState } from '../core/pick-state.js';
import type { Cancellation } from './job-context.js';
import type { KeyLane } from './key-lane.js';
import type { KeyPool, PoolBacklog } from './key-registry.js';
import { type FairEntry, FairQueue } from './queues.js';

/** What a strategy may know of a key: a read-only view, so strategies stay pure and testable. */
export interface Pickable {
  readonly name: string;
  readonly weight: number;
  /** 0–100. */
  readonly score: number;
  /** (queued + in flight) / concurrency. */
  readonly load: number;
  /** Fraction of the tightest rate limit still free: 0–1. */
  readonly headroom: number;
  /** Jobs assigned so far (queued, in flight or done). */
  readonly requests: number;
  /** Order of the last assignment: higher is more recent. */
  readonly lastAssigned: number;
}

type Compare<K> = (a: K, b: K) => number;
const byLastUse: Compare<Pickable> = (a, b) => a.lastAssigned - b.lastAssigned;
const byRequests: Compare<Pickable> = (a, b) => a.requests - b.requests || byLastUse(a, b);
const byHeadroom: Compare<Pickable> = (a, b) => b.headroom - a.headroom || byLastUse(a, b);

/**
 * Picks one of the `keys` that pass `eligible`, or undefined when none does. One pass over the keys
 * and no allocation: this runs once per job, over up to thousands of keys.
 */
export function pick<K extends Pickable>(
  strategy: Exclude<Strategy, 'specific'>,
  keys: readonly K[],
  eligible: (key: K) => boolean,
  state: PickState,
  random: () => number,
): K | undefined {
  switch (strategy) {
    case 'round-robin':
      return roundRobin(keys, eligible, state);
    case 'random':
      return nth(keys, eligible, Math.floor(random() * count(keys, eligible)));
    case 'lru':
      return minBy(keys, eligible, byLastUse);
    case 'least-used':
      return minBy(keys, eligible, byRequests);
    case 'least-loaded':
      return keys.length > EXACT_UP_TO
        ? (leastLoaded(sample(keys, eligible, random), () => true) ?? leastLoaded(keys, eligible))
        : leastLoaded(keys, eligible);
    case 'weighted':
      return weighted(keys, eligible, random);
  }
}

function roundRobin<K>(keys: readonly K[], eligible: (key: K) => boolean, state: PickState): K | undefined {
  const n = keys.length;
  for (let step = 0; step < n; step++) {
    const i = (state.cursor + step) % n;
    if (eligible(keys[i]!)) {
      state.cursor = (i + 1) % n;
      return keys[i];
    }
  }
  return undefined;
}

function count<K>(keys: readonly K[], eligible: (key: K) => boolean): number {
  let n = 0;
  for (const k of keys) if (eligible(k)) n++;
  return n;
}

function nth<K>(keys: readonly K[], eligible: (key: K) => boolean, index: number): K | undefined {
  let seen = 0;
  let last: K | undefined;
  for (const k of keys) {
    if (!eligible(k)) continue;
    if (seen++ === index) return k;
    last = k;
  }
  return last;
}

function weightOf(k: Pickable): number {
  return k.weight * Math.max(k.score, 1);
}

function weighted<K extends Pickable>(
  keys: readonly K[],
  eligible: (key: K) => boolean,
  random: () => number,
) {
  let total = 0;
  for (const k of keys) if (eligible(k)) total += weightOf(k);
  let point = random() * total;
  let last: K | undefined;
  for (const k of keys) {
    if (!eligible(k)) continue;
    last = k;
    point -= weightOf(k);
    if (point < 0) return k;
  }
  return last;
}

/**
 * Above this many keys, least-loaded compares a random sample of eligible keys instead of all of them
 * (the "power of d choices": balance stays close to the exact pick, and a pick costs O(d), not O(n)).
 */
export const EXACT_UP_TO = 64;
const SAMPLE = 8;
const sampleScratch: Pickable[] = [];

/** Up to SAMPLE distinct-index eligible keys drawn at random (4 × SAMPLE draws at most). */
function sample<K extends Pickable>(
  keys: readonly K[],
  eligible: (key: K) => boolean,
  random: () => number,
): K[] {
  const out = sampleScratch as K[];
  out.length = 0;
  for (let draw = 0; draw < 4 * SAMPLE && out.length < SAMPLE; draw++) {
    const k = keys[Math.floor(random() * keys.length)]!;
    if (eligible(k) && !out.includes(k)) out.push(k);
  }
  return out;
}

/** minBy by load, reading each key's load once: this scan is the whole cost of a pick over many keys. */
function leastLoaded<K extends Pickable>(keys: readonly K[], eligible: (key: K) => boolean): K | undefined {
  let best: K | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const k of keys) {
    if (!eligible(k)) continue;
    const load = k.load;
    if (load < bestLoad || (load === bestLoad && best !== undefined && byHeadroom(k, best) < 0)) {
      best = k;
      bestLoad = load;
    }
  }
  return best;
}

/** The first eligible key that no other sorts before; ties keep the pool's order. */
function minBy<K>(keys: readonly K[], eligible: (key: K) => boolean, compare: Compare<K>): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (eligible(k) && (best === undefined || compare(k, best) < 0)) best = k;
  }
  return best;
}

/** How the caller asked for a key: a strategy, and the key's name with `specific`. */
export interface Choice {
  readonly strategy: Strategy;
  readonly keyName: string | undefined;
  /** The limit scope of the job's model: a key must be ready for it (see `Job.limitScope`). */
  readonly limitScope?: string | undefined;
}

/**
 * Picks, by strategy, a key that can start the job at once (a free slot, its rate limits allow a send, its
 * health lets it serve), or undefined when none can. `specific` takes its key when it may queue there.
 * Synchronous on purpose: the caller hands the job to the key in the same tick, so the next pick already
 * sees its load and its rate limits' new schedule.
 */
export function chooseNow(pool: KeyPool, choice: Choice, tokens: number, now: number): KeyLane | undefined {
  const candidates = candidatesOf(pool, choice);
  if (choice.strategy === 'specific') return candidates.find((worker) => worker.isEligible(now));
  return pick(
    choice.strategy,
    candidates,
    (worker) => worker.canStartNow(tokens, now, choice.limitScope),
    pool.pickState,
    pool.random,
  );
}

/**
 * When no key is eligible but some will be (cooling down, circuit open, a half-open probe in flight),
 * waits for the earliest, or for a change in the pool, within the job's signal. Fails at once when no
 * key can ever serve, or when every usable key's queue is full.
 */
export async function waitForKey(
  pool: KeyPool,
  choice: Choice,
  clock: Clock,
  cancel: Cancellation,
): Promise<void> {
  cancel.throwIfAborted();
  const now = clock.now();
  const wait = untilReady(pool, candidatesOf(pool, choice), now, choice.limitScope);
  await waitForChange(pool, clock, wait, cancel);
}

/**
 * No key is eligible now: how long until one may be. Throws when none ever will be, or when every
 * usable key's queue is full.
 */
function untilReady(
  pool: KeyPool,
  candidates: readonly KeyLane[],
  now: number,
  scope: string | undefined,
): number {
  let wakeAt = Number.POSITIVE_INFINITY;
  let usable = 0;
  let full = 0;
  for (const worker of candidates) {
    const readyAt = worker.readyAt(now, scope);
    if (readyAt === undefined) continue;
    usable++;
    if (!worker.hasQueueRoom) full++;
    else if (readyAt > now) wakeAt = Math.min(wakeAt, readyAt);
  }
  if (usable === 0) {
    throw new NoAvailableKeyError(
      `${pool.provider}: no key can serve (${candidates.length} keys, all disabled or unavailable)`,
      { provider: pool.provider },
    );
  }
  if (full === usable) {
    throw new QueueFullError(`${pool.provider}: the queue of every usable key is full`, {
      provider: pool.provider,
    });
  }
  // A key with room whose half-open probe is in flight is ready "now": wait for the probe's verdict,
  // which notifies the pool (the timer below is only a backstop).
  return Number.isFinite(wakeAt) ? wakeAt - now : MAX_WAIT_MS;
}

/** A backstop for waits that a pool change or a notice from a key ends (a slot freed, a probe's verdict). */
const MAX_WAIT_MS = 60_000;

function candidatesOf(pool: KeyPool, choice: Choice): readonly KeyLane[] {
  if (choice.strategy !== 'specific') return pool.lanes;
  const worker = choice.keyName === undefined ? undefined : pool.get(choice.keyName);
  if (!worker) {
    throw new ConfigError('keyName', `the \`specific\` strategy needs the name of a ${pool.provider} key`, {
      provider: pool.provider,
    });
  }
  return [worker];
}

async function waitForChange(pool: KeyPool, clock: Clock, ms: number, cancel: Cancellation): Promise<void> {
  const timer = new AbortController();
  const stop = (): void => timer.abort();
  cancel.onAbort(stop);
  // A change in the pool, the earliest key's time, or an abort ends the wait; nothing is left behind.
  const forget = pool.onChange(stop);
  pool.waiting++;
  try {
    await clock.sleep(ms, timer.signal).catch(() => undefined);
  } finally {
    pool.waiting--;
    forget();
    cancel.offAbort(stop);
    timer.abort();
  }
  cancel.throwIfAborted();
}

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

/** Empty per-model queues the backlog keeps for their model's next jobs. */
const KEPT_SCOPES = 16;

/** The waiting jobs of one limit scope (a model its provider limits apart; undefined: jobs with none). */
class ScopeQueue extends FairQueue<BacklogJob> {
  constructor(
    readonly scope: string | undefined,
    weightOf: (tag: string | undefined) => number,
  ) {
    super(weightOf);
  }
}

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
  /**
   * One queue per limit scope (a model its provider limits apart; `undefined` for jobs without one): a
   * model held back by its own limits holds back no job of another model (no head-of-line blocking).
   * The backlog serves the scopes' first jobs by rank, then arrival, as one queue would.
   */
  readonly #queues = new Map<string | undefined, ScopeQueue>();
  /** The same queues, in the order made: walked by index on every pick (no iterator per job). */
  readonly #scopes: ScopeQueue[] = [];
  /** The queue of the job `#best` returned last. */
  #bestQueue: ScopeQueue | undefined;
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
  }

  #queueOf(scope: string | undefined): ScopeQueue {
    let queue = this.#queues.get(scope);
    if (queue === undefined) {
      queue = new ScopeQueue(scope, (tag) => shareOf(this.shares, tag));
      this.#queues.set(scope, queue);
      this.#scopes.push(queue);
    }
    return queue;
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
    // Nothing of its scope waits ahead of it: a key that can start it now takes it.
    if (this.#size === 0 || this.#queues.get(job.limitScope)?.peek() === undefined) {
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
        if (this.#soonest(job, this.clock.now()) === undefined) throw this.#noKey();
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
    const queue = this.#queueOf(job.limitScope);
    queue.push(job);
    this.#size++;
    job.entered();
    // Behind its scope's head, nothing changed for the heads: the keys, and the wake set for them, stand.
    if (queue.peek() === job) this.drain();
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
    this.#queues.get(job.limitScope)?.dropped(job);
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
      let blocked: Set<ScopeQueue> | undefined;
      for (let job = this.#best(blocked); job !== undefined; job = this.#best(blocked)) {
        const queue = this.#bestQueue!;
        const now = this.clock.now();
        if (worker.canStartNow(job.tokens, now, job.limitScope)) {
          this.#take(queue)!.bind(worker);
          continue;
        }
        const wait = worker.readyIn(job.tokens, now, job.limitScope);
        // The key went out of service (quota, auth): it may have been the pool's last, and a job whose
        // attempt found it so may have left for a fallback without coming back here. Look at every key.
        if (wait === undefined) {
          this.#again = true;
          break;
        }
        if (Number.isFinite(wait)) this.#arm(now, Math.min(wait, MAX_WAIT_MS));
        // Its slots are full: no job of any scope starts on it now.
        else if (!worker.hasFreeSlot) break;
        blocked ??= new Set();
        blocked.add(queue);
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
    let blocked: Set<ScopeQueue> | undefined;
    let wake: number | undefined;
    let unserved: ScopeQueue | undefined;
    for (let job = this.#best(blocked); job !== undefined; job = this.#best(blocked)) {
      const queue = this.#bestQueue!;
      const now = this.clock.now();
      const worker = chooseNow(this.pool, job, job.tokens, now);
      if (worker) {
        this.#take(queue)!.bind(worker);
        continue;
      }
      // No key can start it now: its scope waits, the others' first jobs may still go.
      const wait = this.#soonest(job, now);
      if (wait === undefined) unserved ??= queue;
      else wake = Math.min(wake ?? wait, wait);
      blocked ??= new Set();
      blocked.add(queue);
    }
    if (unserved !== undefined) this.#failSome(unserved, this.#noKey());
    if (wake !== undefined) this.#arm(this.clock.now(), Math.min(wake, MAX_WAIT_MS));
    else if (unserved === undefined) this.#disarm();
  }

  /**
   * The first waiting job of the highest rank (then the earliest) among the scopes not `blocked`, its
   * queue left in `#bestQueue`; scopes with no job left are dropped. With one scope, its first job.
   */
  #best(blocked: ReadonlySet<ScopeQueue> | undefined): BacklogJob | undefined {
    let best: BacklogJob | undefined;
    for (let i = 0; i < this.#scopes.length; i++) {
      const queue = this.#scopes[i]!;
      if (blocked?.has(queue)) continue;
      const job = this.#head(queue);
      if (job === undefined) {
        // Kept while few (a pool's models come back); past that, an empty one is let go.
        if (this.#scopes.length > KEPT_SCOPES) {
          this.#queues.delete(queue.scope);
          this.#scopes.splice(i--, 1);
        }
        continue;
      }
      if (best === undefined || job.rank > best.rank || (job.rank === best.rank && job.order < best.order)) {
        best = job;
        this.#bestQueue = queue;
      }
    }
    return best;
  }

  #noKey(): NoAvailableKeyError {
    const { provider, workers } = this.pool;
    return new NoAvailableKeyError(
      `${provider}: no key can serve (${workers.length} keys, all disabled or unavailable)`,
      { provider },
    );
  }

  /** The first job of `queue` still waiting; aborted ones at the head leave with their reason on the way. */
  #head(queue: ScopeQueue): BacklogJob | undefined {
    for (let job = queue.peek(); job !== undefined; job = queue.peek()) {
      // close() aborts jobs no signal links to: they leave here.
      if (!job.aborted) return job;
      this.#take(queue)!.fail(job.reason);
    }
    return undefined;
  }

  #take(queue: ScopeQueue): BacklogJob | undefined {
    const job = queue.shift();
    if (job) this.#size--;
    return job;
  }

  /** Ms until some key may start `job` (its tokens, its model's scope); undefined when no key ever will. */
  #soonest(job: BacklogJob, now: number): number | undefined {
    let soonest: number | undefined;
    for (const worker of this.pool.lanes) {
      const wait = worker.readyIn(job.tokens, now, job.limitScope);
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
  #failSome(queue: ScopeQueue, error: unknown): void {
    this.#disarm();
    for (let i = 0; i < FAIL_BATCH; i++) {
      const job = this.#head(queue);
      if (job === undefined) return;
      this.#take(queue)!.fail(error);
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
