/**
 * A key's concurrency limit. Fixed at the configured maximum while the key has rate limits to pace by;
 * without any (a provider that sends no limit headers), it adapts: halved on a 429, grown back by one
 * after a full window of successes while the key is saturated (AIMD).
 */
export class ConcurrencyGovernor {
  #limit: number;
  #successes = 0;
  readonly #listeners: Array<(limit: number) => void> = [];

  constructor(
    readonly max: number,
    readonly adaptive: () => boolean,
  ) {
    this.#limit = max;
  }

  get limit(): number {
    return this.#limit;
  }

  onChange(listener: (limit: number) => void): void {
    this.#listeners.push(listener);
  }

  onRateLimited(): void {
    if (!this.adaptive()) return;
    this.#set(Math.max(1, Math.floor(this.#limit / 2)));
  }

  onSuccess(saturated: boolean): void {
    if (!this.adaptive() || this.#limit >= this.max || !saturated) return;
    this.#successes += 1;
    if (this.#successes >= this.#limit) this.#set(this.#limit + 1);
  }

  reset(): void {
    this.#set(this.max);
  }

  #set(limit: number): void {
    this.#successes = 0;
    if (limit === this.#limit) return;
    this.#limit = limit;
    for (const listener of this.#listeners) listener(limit);
  }
}
