export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Consecutive-failure breaker. Time is lazy: an open breaker becomes half-open on the first check after
 * `cooldownMs`, by comparing timestamps; there is no timer to clean up.
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;

  constructor(
    readonly failureThreshold: number,
    readonly cooldownMs: number,
  ) {}

  state(now: number): BreakerState {
    if (this.#openedAt === undefined) return 'closed';
    return now - this.#openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** When an open breaker lets its probe through; undefined when closed. */
  openUntil(): number | undefined {
    return this.#openedAt === undefined ? undefined : this.#openedAt + this.cooldownMs;
  }

  /** Whether a call may start now. Half-open admits exactly one probe until it settles. */
  canPass(now: number): boolean {
    if (this.#openedAt === undefined) return true;
    const state = this.state(now);
    return state === 'closed' || (state === 'half-open' && !this.#probing);
  }

  /** Marks the start of a call; in half-open this is the probe. */
  onStart(now: number): void {
    if (this.state(now) === 'half-open') this.#probing = true;
  }

  /** Returns true when this success closed an open breaker. */
  onSuccess(): boolean {
    const wasOpen = this.#openedAt !== undefined;
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
    return wasOpen;
  }

  /** Returns true when this failure opened (or re-opened) the breaker. */
  onFailure(now: number): boolean {
    this.#failures += 1;
    const probeFailed = this.#probing;
    this.#probing = false;
    if (probeFailed || (this.#openedAt === undefined && this.#failures >= this.failureThreshold)) {
      this.#openedAt = now;
      return true;
    }
    return false;
  }

  /** A call that ended without a verdict on the key's health (aborted, bad request) frees the probe. */
  onNeutral(): void {
    this.#probing = false;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  reset(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
  }
}
