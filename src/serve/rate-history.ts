import type { Multiplexer } from '../multiplexer.js';

export interface RateSeries {
  readonly bucketSeconds: number;
  /** Oldest first; the last bucket is the current, partial one. */
  readonly requests: readonly number[];
  /** Attempts a provider answered with 429, and the gateway's own 429s. */
  readonly rateLimited: readonly number[];
}

/** Requests and 429s in fixed buckets over the last minutes, for the dashboard's chart. */
export class RateHistory {
  readonly #bucketMs: number;
  readonly #requests: number[];
  readonly #limited: number[];
  readonly #now: () => number;
  #current: number;
  readonly stop: () => void;

  constructor(mux: Multiplexer, now: () => number = Date.now, bucketSeconds = 10, buckets = 30) {
    this.#bucketMs = bucketSeconds * 1000;
    this.#requests = new Array<number>(buckets).fill(0);
    this.#limited = new Array<number>(buckets).fill(0);
    this.#now = now;
    this.#current = Math.floor(now() / this.#bucketMs);
    this.stop = mux.on('*', (event) => {
      if (event.type === 'success') this.#add(false);
      else if (event.type === 'failure') this.#add(event.status === 429);
    });
  }

  /** The gateway answered 429 itself (its pool was saturated). */
  gatewayLimited(): void {
    this.#roll();
    this.#limited[this.#limited.length - 1]! += 1;
  }

  #add(limited: boolean): void {
    this.#roll();
    const last = this.#requests.length - 1;
    this.#requests[last]! += 1;
    if (limited) this.#limited[last]! += 1;
  }

  #roll(): void {
    const bucket = Math.floor(this.#now() / this.#bucketMs);
    const steps = Math.min(bucket - this.#current, this.#requests.length);
    for (let i = 0; i < steps; i++) {
      this.#requests.shift();
      this.#requests.push(0);
      this.#limited.shift();
      this.#limited.push(0);
    }
    this.#current = bucket;
  }

  series(): RateSeries {
    this.#roll();
    return {
      bucketSeconds: this.#bucketMs / 1000,
      requests: [...this.#requests],
      rateLimited: [...this.#limited],
    };
  }
}
