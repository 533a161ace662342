interface Entry {
  t: number;
  cost: number;
}

/**
 * The log of real sends of one configured limit: no sliding window ever holds more than `limit`, edges
 * included. It holds what keymux sent, never usage made up from headers. Entries closer than
 * `windowMs / 1000` merge, stamped with the later time: memory stays bounded and the error is on the
 * safe side.
 */
export class SlidingBucket {
  readonly #entries: Entry[] = [];
  #head = 0;
  #sum = 0;
  readonly #resolution: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.#resolution = windowMs / 1000;
  }

  /** Units sent in the window ending now. */
  used(now: number): number {
    this.#expire(now);
    return this.#sum;
  }

  /** Milliseconds until `cost` more units fit in the window; 0 when they fit now. */
  waitFor(cost: number, now: number): number {
    this.#expire(now);
    const need = Math.min(cost, this.limit);
    if (this.#sum + need <= this.limit) return 0;
    let acc = this.#sum;
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      acc -= entry.cost;
      if (acc + need <= this.limit) return entry.t + this.windowMs - now;
    }
    return this.windowMs;
  }

  /** Records `cost` as sent now; the returned entry lets the cost be corrected later. */
  add(cost: number, now: number): Entry {
    this.#sum += cost;
    const last = this.#entries[this.#entries.length - 1];
    if (last && this.#entries.length > this.#head && now - last.t <= this.#resolution) {
      last.cost += cost;
      last.t = now;
      return last;
    }
    const entry = { t: now, cost };
    this.#entries.push(entry);
    return entry;
  }

  /** Corrects an entry by `delta` units (an estimate reconciled with real usage). */
  adjust(entry: Entry, delta: number, now: number): void {
    const applied = Math.max(-entry.cost, delta);
    entry.cost += applied;
    if (now - entry.t < this.windowMs) this.#sum += applied;
  }

  #expire(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.t <= cutoff) {
      this.#sum -= this.#entries[this.#head]!.cost;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#head === this.#entries.length) this.#sum = 0;
  }
}

export type BucketEntry = Entry;
