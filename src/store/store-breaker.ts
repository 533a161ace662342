/** What the store does with one Redis call: send it, send it as the one trial after an outage, or go local. */
export type StoreGate = 'send' | 'trial' | 'local';

/**
 * The store's own breaker on Redis. After `threshold` failures in a row (errors or missed deadlines) calls
 * go to the local fallback at once instead of each waiting out its deadline; after `recoverAfterMs` one
 * call tries Redis again. Time is lazy: compared on the next call, no timer.
 */
export class StoreBreaker {
  #failures = 0;
  #lastFailureAt = Number.NEGATIVE_INFINITY;
  #openUntil: number | undefined;
  #trialInFlight = false;

  constructor(
    readonly threshold: number,
    readonly recoverAfterMs: number,
  ) {}

  get isOpen(): boolean {
    return this.#openUntil !== undefined;
  }

  gate(now: number): StoreGate {
    if (this.#openUntil === undefined) return 'send';
    if (this.#trialInFlight || now < this.#openUntil) return 'local';
    this.#trialInFlight = true;
    return 'trial';
  }

  /** Returns true when this success ends an outage. */
  onSuccess(gate: StoreGate): boolean {
    if (gate === 'trial') this.#trialInFlight = false;
    this.#failures = 0;
    if (this.#openUntil === undefined) return false;
    this.#openUntil = undefined;
    return true;
  }

  /** Opens at once (a start that never reached Redis), to try again after `recoverAfterMs`. */
  trip(now: number): void {
    this.#openUntil = now + this.recoverAfterMs;
  }

  /**
   * Returns true when this failure starts an outage. A call started before the last failure was counted
   * missed its deadline in the same stall (often this process's own, on a busy machine: every call in
   * flight times out at once) and is not counted again: failures in a row are calls made one after another.
   */
  onFailure(gate: StoreGate, now: number, startedAt = now): boolean {
    if (gate === 'trial') this.#trialInFlight = false;
    else if (startedAt < this.#lastFailureAt) return false;
    this.#lastFailureAt = now;
    this.#failures += 1;
    const wasOpen = this.#openUntil !== undefined;
    if (wasOpen || this.#failures >= this.threshold) this.#openUntil = now + this.recoverAfterMs;
    return !wasOpen && this.#openUntil !== undefined;
  }
}
