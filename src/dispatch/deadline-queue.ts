import type { Clock } from '../core/clock.js';

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
