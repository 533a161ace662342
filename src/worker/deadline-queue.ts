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
 * clock for the earliest, instead of one per attempt. Finished entries are dropped lazily; with none
 * left the timer is cancelled, so an idle worker keeps no timer (and no process) alive.
 */
export class DeadlineQueue {
  #entries: Entry[] = [];
  #head = 0;
  #live = 0;
  #timer: AbortController | undefined;

  constructor(readonly clock: Clock) {}

  /** Calls `fire` at `at` unless `finish` is called first. */
  add(at: number, fire: () => void): Deadline {
    const entry: Entry = { at, fire, done: false };
    this.#entries.push(entry);
    this.#live++;
    if (!this.#timer) this.#arm(at);
    return entry;
  }

  finish(deadline: Deadline): void {
    if (deadline.done) return;
    deadline.done = true;
    if (--this.#live === 0) {
      this.#timer?.abort();
      this.#timer = undefined;
      this.#entries = [];
      this.#head = 0;
    }
  }

  #arm(at: number): void {
    const timer = new AbortController();
    this.#timer = timer;
    this.clock.sleep(Math.max(0, at - this.clock.now()), timer.signal).then(
      () => {
        if (this.#timer === timer) this.#expire();
      },
      () => undefined,
    );
  }

  #expire(): void {
    this.#timer = undefined;
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
    if (next && !this.#timer) this.#arm(next.at);
  }
}
