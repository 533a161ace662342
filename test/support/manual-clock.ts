import type { Clock } from '../../src/core/clock.js';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** A clock that moves only when told to: timers fire in order, with pending promises flushed between. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, resolve: () => undefined };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** When the earliest timer not yet fired is due; undefined when none is set. */
  nextAt(): number | undefined {
    return this.#earliest()?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await flush();
    for (;;) {
      const next = this.#earliest();
      if (!next || next.at > end) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      await flush();
    }
    this.#now = end;
    await flush();
  }

  /** Fires timers until none is left (or `limit` fired), moving time to each. */
  async runAll(limit = 100_000): Promise<void> {
    await flush();
    for (let i = 0; i < limit; i++) {
      const next = this.#earliest();
      if (!next) return;
      await this.advance(Math.max(0, next.at - this.#now));
    }
    throw new Error('ManualClock.runAll: timers keep coming');
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers)
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets every pending promise callback (and p-queue's microtask hops) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
