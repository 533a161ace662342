/**
 * A key's breaker as a state machine. `opens` counts consecutive openings: each one keeps the key out
 * longer (base × opens, capped at `cooldownMs`), and a success resets it.
 */
export type BreakerState =
  | { readonly kind: 'closed'; readonly failures: number }
  | { readonly kind: 'open'; readonly until: number; readonly opens: number }
  | { readonly kind: 'half-open'; readonly probing: boolean; readonly opens: number };

export interface BreakerPolicy {
  readonly failureThreshold: number;
  /** The longest a key stays out. */
  readonly cooldownMs: number;
  /** How long the first opening lasts; each consecutive one lasts that much longer. */
  readonly breakerBaseMs: number;
}

/** What a transient failure did: nothing, opened the breaker, or would have but the pool said no. */
export type BreakerVerdict = 'none' | 'opened' | 'held';

const CLOSED: BreakerState = Object.freeze({ kind: 'closed', failures: 0 });

/**
 * Time is lazy: an open breaker is half-open from `until` on, found by comparing timestamps on the next
 * look; there is no timer. Half-open admits one probe, and every outcome of the probe decides.
 */
export class CircuitBreaker {
  #state: BreakerState = CLOSED;

  constructor(readonly policy: BreakerPolicy) {}

  /** The state as of `now` (an open breaker whose time is up reads as half-open). */
  state(now: number): BreakerState {
    const s = this.#state;
    if (s.kind === 'open' && now >= s.until) {
      this.#state = { kind: 'half-open', probing: false, opens: s.opens };
    }
    return this.#state;
  }

  /** When an open breaker lets its probe through; undefined when not open. */
  openUntil(): number | undefined {
    return this.#state.kind === 'open' ? this.#state.until : undefined;
  }

  /** Whether a call may start now. */
  canPass(now: number): boolean {
    const s = this.#state.kind === 'closed' ? this.#state : this.state(now);
    return s.kind === 'closed' || (s.kind === 'half-open' && !s.probing);
  }

  /** Whether the key is held out of the pool (open, or half-open): it counts toward the ejection ceiling. */
  ejected(now: number): boolean {
    return this.state(now).kind !== 'closed';
  }

  /** Marks the start of a call; in half-open this call is the probe. */
  onStart(now: number): void {
    const s = this.state(now);
    if (s.kind === 'half-open') this.#state = { kind: 'half-open', probing: true, opens: s.opens };
  }

  /** Returns true when this success closed a breaker that was not closed. */
  onSuccess(): boolean {
    const wasOut = this.#state.kind !== 'closed';
    this.#state = CLOSED;
    return wasOut;
  }

  /**
   * A failure of the key's service (5xx, timeout, connection). `mayOpen` is asked only when the breaker
   * would open from closed: the pool may refuse, to keep enough keys in rotation.
   */
  onTransient(now: number, mayOpen: () => boolean): BreakerVerdict {
    const s = this.state(now);
    switch (s.kind) {
      case 'open':
        return 'none'; // a call that started before the breaker opened
      case 'half-open':
        this.#open(now, s.opens + 1);
        return 'opened';
      case 'closed': {
        const failures = s.failures + 1;
        if (failures < this.policy.failureThreshold) {
          this.#state = { kind: 'closed', failures };
          return 'none';
        }
        if (!mayOpen()) {
          this.#state = { kind: 'closed', failures };
          return 'held';
        }
        this.#open(now, 1);
        return 'opened';
      }
    }
  }

  /** An outcome that says nothing of the key's service (a 429, a bad request, an abort): frees the probe. */
  onNeutral(now: number): void {
    const s = this.state(now);
    if (s.kind === 'half-open' && s.probing)
      this.#state = { kind: 'half-open', probing: false, opens: s.opens };
  }

  get consecutiveFailures(): number {
    return this.#state.kind === 'closed' ? this.#state.failures : 0;
  }

  reset(): void {
    this.#state = CLOSED;
  }

  #open(now: number, opens: number): void {
    const { breakerBaseMs, cooldownMs } = this.policy;
    this.#state = { kind: 'open', until: now + Math.min(cooldownMs, breakerBaseMs * opens), opens };
  }
}
