interface Entry {
  t: number;
  cost: number;
}

export type BucketKind = 'requests' | 'tokens';

/** How late a paced send may be and still keep the schedule (see take). */
export const PACE_SLACK_MS = 100;

/**
 * One limit over one window (e.g. 600 requests a minute). Two rules hold at once:
 * - a log of what was sent guarantees that no sliding window ever holds more than `limit`,
 *   including at a window's edge;
 * - windows of a minute or less are also paced (GCRA with no burst): a unit every `windowMs / limit`,
 *   so a key never sends a burst that a provider enforcing over shorter periods would refuse.
 * Entries closer than `windowMs / 1000` merge, stamped with the later time: memory stays bounded and
 * the error is on the safe side.
 */
export class SlidingBucket {
  readonly #entries: Entry[] = [];
  #head = 0;
  #sum = 0;
  #nextAt = Number.NEGATIVE_INFINITY;
  readonly #paced: boolean;
  readonly #interval: number;
  readonly #resolution: number;

  constructor(
    readonly kind: BucketKind,
    readonly limit: number,
    readonly windowMs: number,
  ) {
    this.#paced = windowMs <= 60_000;
    this.#interval = windowMs / limit;
    this.#resolution = windowMs / 1000;
  }

  /** Units sent in the window ending now. */
  used(now: number): number {
    this.#expire(now);
    return this.#sum;
  }

  /** Milliseconds until `cost` may be sent; 0 when it may go now. */
  waitFor(cost: number, now: number): number {
    this.#expire(now);
    const need = Math.min(cost, this.limit);
    let wait = this.#paced ? Math.max(0, this.#nextAt - now) : 0;
    if (this.#sum + need > this.limit) {
      let acc = this.#sum;
      for (let i = this.#head; i < this.#entries.length; i++) {
        const entry = this.#entries[i]!;
        acc -= entry.cost;
        if (acc + need <= this.limit) {
          wait = Math.max(wait, entry.t + this.windowMs - now);
          break;
        }
      }
    }
    return wait;
  }

  /** Records `cost` as sent now; the returned entry lets the cost be corrected later. */
  take(cost: number, now: number): Entry {
    if (this.#paced) {
      // Keep to the schedule: a send up to PACE_SLACK_MS late (a timer firing late) does not push the
      // next one back, or every late timer would cost throughput for good. After an idle gap the
      // schedule restarts from now, so idleness earns no burst.
      const onSchedule = this.#nextAt >= now - PACE_SLACK_MS;
      this.#nextAt = (onSchedule ? this.#nextAt : now) + cost * this.#interval;
    }
    return this.add(cost, now);
  }

  /** Adds usage the provider saw but we did not (e.g. from its headers), without moving the pace. */
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
    if (this.#paced) this.#nextAt += applied * this.#interval;
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
