// The queues of the dispatch layer, knowing nothing of keys: the heap each key's queue is (PriorityFifo),
// the pool's waiting line built of it (FairQueue, ordered by priority, tag share and deadline), and the
// attempts' deadlines sharing one timer (DeadlineQueue).
import type { Clock } from '../core/clock.js';

/** What the queue needs of an entry: its rank (higher first) and whether it already left (aborted, handed back). */
export interface Rankable {
  /** Higher runs first; entries of equal rank run in the order they were pushed. */
  readonly rank: number;
  /** An entry that is done is dropped when it reaches the head, or when the queue compacts. */
  readonly done: boolean;
}

/**
 * A binary heap of the entries themselves: no wrapper object, promise or closure per entry, unlike
 * p-queue's `add` (about 1 KB per queued task, `npm run bench:memory`). An entry that leaves early is
 * not searched for: it is skipped at the head, and the heap is rebuilt without dead entries once they
 * are half of it, so aborted jobs do not hold memory for long.
 */
export class PriorityFifo<T extends Rankable> {
  #heap: T[] = [];
  /** Push order of each entry, for FIFO among equal ranks; kept beside the heap, not on the entry. */
  #order: number[] = [];
  #seq = 0;
  #dead = 0;

  /** `key`: what orders the entries, higher first; their `rank` by default. */
  constructor(readonly key: (entry: T) => number = rankOf) {}

  /** Entries held, dead ones included until dropped. */
  get length(): number {
    return this.#heap.length;
  }

  /**
   * Adds an entry. `order` places it among entries of equal rank (lower first); by default after every
   * entry pushed so far. A job handed back keeps the order it first had, so it is not sent to the end.
   */
  push(entry: T, order: number = this.#seq++): void {
    this.#heap.push(entry);
    this.#order.push(order);
    this.#up(this.#heap.length - 1);
  }

  /** The highest-ranked entry that is not done, left in place; undefined when none is left. */
  peek(): T | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (!top.done) return top;
      this.#take();
      if (this.#dead > 0) this.#dead--;
    }
    return undefined;
  }

  /** The highest-ranked entry that is not done, removed; undefined when none is left. */
  shift(): T | undefined {
    while (this.#heap.length > 0) {
      const top = this.#take();
      if (!top.done) return top;
      if (this.#dead > 0) this.#dead--;
    }
    return undefined;
  }

  /** Tells the queue one of its entries became done; rebuilds it once half are. */
  dropped(): void {
    this.#dead++;
    if (this.#dead * 2 < this.#heap.length) return;
    const heap: T[] = [];
    const order: number[] = [];
    for (let i = 0; i < this.#heap.length; i++) {
      if (this.#heap[i]!.done) continue;
      heap.push(this.#heap[i]!);
      order.push(this.#order[i]!);
    }
    this.#heap = heap;
    this.#order = order;
    this.#dead = 0;
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  clear(): void {
    this.#heap = [];
    this.#order = [];
    this.#dead = 0;
  }

  #take(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    const lastOrder = this.#order.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.#order[0] = lastOrder;
      this.#down(0);
    }
    return top;
  }

  #before(a: number, b: number): boolean {
    const ra = this.key(this.#heap[a]!);
    const rb = this.key(this.#heap[b]!);
    return ra > rb || (ra === rb && this.#order[a]! < this.#order[b]!);
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const order = this.#order;
    const entry = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = entry;
    const seq = order[a]!;
    order[a] = order[b]!;
    order[b] = seq;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.#before(l, best)) best = l;
      if (r < n && this.#before(r, best)) best = r;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }
}

function rankOf(entry: Rankable): number {
  return entry.rank;
}

/** What the fair queue reads of a waiting job. */
export interface FairEntry {
  readonly priority: number;
  /** The priority less the job's age in aging steps, set once: orders the priorities (see Backlog). */
  readonly rank: number;
  /** Its place among equal ranks, set once (a job handed back keeps it). */
  readonly order: number;
  /** Shares the pool with other tags of its priority by weight; untagged jobs are a tag of their own. */
  readonly tag: string | undefined;
  /** Earlier first within its tag; jobs without one after those with. */
  readonly deadline: number | undefined;
  readonly done: boolean;
}

/** Earliest deadline first (a higher key goes first); jobs without one last, then by arrival. */
const byDeadline = (entry: FairEntry): number =>
  entry.deadline === undefined ? Number.NEGATIVE_INFINITY : -entry.deadline;

/** One tag's jobs of one priority, and its place in the tags' turn (start-time fair queuing). */
class Flow<T extends FairEntry> {
  readonly jobs = new PriorityFifo<T>(byDeadline);
  size = 0;
  /** Virtual time of its next job's start: grows by 1/weight per job served. */
  pass = 0;
  inTurn = false;
  /** The turn's heap takes flows out explicitly: none is ever dropped as done. */
  readonly done = false;
  constructor(
    readonly tag: string | undefined,
    readonly weight: number,
    /** Breaks ties between equal passes, in the order the tags came. */
    readonly seq: number,
  ) {}

  /** The lowest pass goes first. */
  get rank(): number {
    return -this.pass;
  }
}

/** One priority's tags: the one with the lowest pass goes next. */
class Level<T extends FairEntry> {
  readonly flows = new Map<string | undefined, Flow<T>>();
  /** Tags with jobs, by pass (a heap: a thousand tenants stay cheap too). */
  readonly turn = new PriorityFifo<Flow<T>>();
  size = 0;
  /** The pass of the job served last: a tag that comes back starts here, so idling earns no credit. */
  vtime = 0;
  #seq = 0;

  flow(tag: string | undefined, weightOf: (tag: string | undefined) => number): Flow<T> {
    let flow = this.flows.get(tag);
    if (!flow) {
      flow = new Flow<T>(tag, weightOf(tag), this.#seq++);
      this.flows.set(tag, flow);
    }
    return flow;
  }

  /** The tag whose turn it is, with a job waiting; tags left empty (their jobs aborted) leave the turn. */
  head(): Flow<T> | undefined {
    for (let flow = this.turn.peek(); flow !== undefined; flow = this.turn.peek()) {
      if (flow.size > 0 && flow.jobs.peek() !== undefined) return flow;
      this.#leaveTurn();
    }
    return undefined;
  }

  enterTurn(flow: Flow<T>): void {
    flow.pass = Math.max(flow.pass, this.vtime);
    flow.inTurn = true;
    this.turn.push(flow, flow.seq);
  }

  /** The flow at the head of the turn leaves it (it has no job left). */
  #leaveTurn(): void {
    const flow = this.turn.shift()!;
    flow.inTurn = false;
    flow.jobs.clear();
    // Owing nothing (it was not served ahead of the others), it can be forgotten.
    if (flow.pass <= this.vtime) this.flows.delete(flow.tag);
  }

  /** The head flow served one job: its pass moves on, and it takes its place in the turn again. */
  served(flow: Flow<T>): void {
    this.vtime = flow.pass;
    flow.pass += 1 / flow.weight;
    this.turn.shift();
    this.turn.push(flow, flow.seq);
  }
}

/**
 * The backlog's order: priorities first, each aged as before (a waiting job gains a level per
 * `priorityAgingMs`: the priority whose next job ranks highest goes first); within a priority, tags take
 * turns by weight (start-time fair queuing: a tag's pass grows by 1/weight per job served, the lowest
 * pass goes next, and a tag that comes back starts at the current pass, so it neither banks credit by
 * idling nor waits behind the others' history); within a tag, the earliest deadline first, then arrival.
 * A tag waiting while others are served keeps its pass as theirs grow: it rises to the head, so no tag
 * starves (between two of its jobs, a waiting tag of weight w sees at most Σ weights / w + 1 served).
 *
 * Without tags or deadlines this is the single FIFO per priority it replaced, at the cost of two map
 * lookups per job.
 */
export class FairQueue<T extends FairEntry> {
  readonly #levels = new Map<number, Level<T>>();
  /** The next job and where it sits, until the queue changes (fields, not an object per look). */
  #next: T | undefined;
  #nextLevel: Level<T> | undefined;
  #nextFlow: Flow<T> | undefined;

  constructor(readonly weightOf: (tag: string | undefined) => number) {}

  push(job: T): void {
    let level = this.#levels.get(job.priority);
    if (!level) {
      level = new Level<T>();
      this.#levels.set(job.priority, level);
    }
    const flow = level.flow(job.tag, this.weightOf);
    flow.jobs.push(job, job.order);
    flow.size++;
    level.size++;
    if (!flow.inTurn) level.enterTurn(flow);
    this.#next = undefined;
  }

  /** The next job that is not done, left in place. */
  peek(): T | undefined {
    if (this.#next !== undefined && !this.#next.done) return this.#next;
    this.#next = undefined;
    for (const [priority, level] of this.#levels) {
      const flow = level.head();
      if (!flow) {
        this.#levels.delete(priority);
        continue;
      }
      const job = flow.jobs.peek()!;
      const best = this.#next;
      if (best === undefined || job.rank > best.rank || (job.rank === best.rank && job.order < best.order)) {
        this.#next = job;
        this.#nextLevel = level;
        this.#nextFlow = flow;
      }
    }
    return this.#next;
  }

  /** The next job, taken out; its tag's turn moves on. */
  shift(): T | undefined {
    const job = this.peek();
    const level = this.#nextLevel;
    const flow = this.#nextFlow;
    if (job === undefined || level === undefined || flow === undefined) return undefined;
    this.#next = undefined;
    flow.jobs.shift();
    flow.size--;
    level.size--;
    level.served(flow);
    if (level.size === 0) this.#levels.delete(job.priority);
    return job;
  }

  /** `job` left before its turn (its caller aborted): it is skipped when it comes up. */
  dropped(job: T): void {
    const level = this.#levels.get(job.priority);
    const flow = level?.flows.get(job.tag);
    if (!level || !flow) return;
    flow.size--;
    level.size--;
    flow.jobs.dropped();
    if (level.size === 0) this.#levels.delete(job.priority);
    if (this.#next === job) this.#next = undefined;
  }
}

export interface Deadline {
  done: boolean;
}

interface Entry extends Deadline {
  readonly at: number;
  readonly fire: () => void;
}

/**
 * Deadlines that all share one timeout, so they expire in the order they were added: one timer on the
 * clock for the earliest, instead of one per attempt. The timer is unref'd (it never keeps a process
 * alive) and never cancelled: finished entries are dropped lazily, and all at once when none is left.
 */
export class DeadlineQueue {
  #entries: Entry[] = [];
  #head = 0;
  #live = 0;
  #armed = false;

  constructor(readonly clock: Clock) {}

  /** Calls `fire` at `at` unless `finish` is called first. */
  add(at: number, fire: () => void): Deadline {
    const entry: Entry = { at, fire, done: false };
    this.#entries.push(entry);
    this.#live++;
    if (!this.#armed) this.#arm(at);
    return entry;
  }

  finish(deadline: Deadline): void {
    if (deadline.done) return;
    deadline.done = true;
    if (--this.#live === 0) {
      this.#entries = [];
      this.#head = 0;
    }
  }

  #arm(at: number): void {
    this.#armed = true;
    void this.clock
      .sleep(Math.max(0, at - this.clock.now()), undefined, { unref: true })
      .then(() => this.#expire());
  }

  #expire(): void {
    this.#armed = false;
    const now = this.clock.now();
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (!entry.done && entry.at > now) break;
      this.#head++;
      if (!entry.done) {
        this.finish(entry);
        entry.fire();
      }
    }
    if (this.#head > 256 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    const next = this.#entries[this.#head];
    if (next && !this.#armed) this.#arm(next.at);
  }
}
