import { Breaker, ConsecutiveFailures } from '../policy/circuit-breaker.js';

/** What the store does with one Redis call: send it, send it as the one trial after an outage, or go local. */
export type StoreGate = 'send' | 'trial' | 'local';

/**
 * The store's breaker on Redis, the keys' Breaker with the store's rule. After `threshold` failures in a
 * row (errors or missed deadlines) calls go to the local fallback at once instead of each waiting out its
 * deadline; after `recoverAfterMs` one call tries Redis again.
 */
export class StoreBreaker {
  readonly #breaker: Breaker;
  #lastFailureAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly threshold: number,
    readonly recoverAfterMs: number,
  ) {
    this.#breaker = new Breaker({
      rule: new ConsecutiveFailures(threshold),
      openFor: () => recoverAfterMs,
      whileOpen: 'reopen',
    });
  }

  get isOpen(): boolean {
    return this.#breaker.isOpen;
  }

  gate(now: number): StoreGate {
    if (!this.#breaker.isOpen) return 'send';
    if (!this.#breaker.canPass(now)) return 'local';
    this.#breaker.onStart(now);
    return 'trial';
  }

  /** Returns true when this success ends an outage. */
  onSuccess(_gate: StoreGate): boolean {
    return this.#breaker.onSuccess();
  }

  /** Opens at once (a start that never reached Redis), to try again after `recoverAfterMs`. */
  trip(now: number): void {
    this.#breaker.trip(now);
  }

  /**
   * Returns true when this failure starts an outage. A call started before the last failure was counted
   * missed its deadline in the same stall (often this process's own, on a busy machine: every call in
   * flight times out at once) and is not counted again: failures in a row are calls made one after another.
   */
  onFailure(gate: StoreGate, now: number, startedAt = now): boolean {
    if (gate !== 'trial' && startedAt < this.#lastFailureAt) return false;
    this.#lastFailureAt = now;
    const wasOpen = this.#breaker.isOpen;
    return this.#breaker.onFailure(now) === 'opened' && !wasOpen;
  }
}
