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
