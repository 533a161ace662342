import { adjustTat, takeTat, waitOf } from './gcra.js';

export type BucketKind = 'requests' | 'tokens';

/**
 * One limit as a provider keeps it: a continuously refilled bucket, modelled by one theoretical arrival
 * time (GCRA, the arithmetic in gcra.ts). Limits over a minute or less are paced: a unit every
 * `windowMs / limit`, so keymux never bursts into a provider that enforces its limit over shorter periods.
 * Longer limits (per day) allow the whole limit at once, as the provider's bucket does. A provider's
 * reading can only push the next send later (`notBefore`), never earlier: other clients may share the key.
 */
export class GcraBucket {
  /** Theoretical arrival time: when the schedule is caught up; undefined before the first take. */
  #tat: number | undefined;
  #notBefore: number | undefined;
  #limit: number;

  constructor(
    readonly kind: BucketKind,
    limit: number,
    readonly windowMs: number,
  ) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Milliseconds per unit. */
  get interval(): number {
    return this.windowMs / this.#limit;
  }

  /** A new limit (learned again from the headers); the schedule keeps its place. */
  setLimit(limit: number): void {
    this.#limit = limit;
  }

  /** Milliseconds until a send may go; 0 when it may go now. */
  waitFor(now: number): number {
    return waitOf(this.#tat, this.#notBefore, now, this.#limit, this.windowMs);
  }

  /** Takes `cost` units now. */
  take(cost: number, now: number): void {
    this.#tat = takeTat(this.#tat, now, cost, this.#limit, this.windowMs);
  }

  /** Corrects a take by `delta` units; a refund never moves the schedule back past now. */
  adjust(delta: number, now: number): void {
    this.#tat = adjustTat(this.#tat, now, delta, this.#limit, this.windowMs);
  }

  /** Nothing may be sent before `at`. */
  tighten(at: number): void {
    if (this.#notBefore === undefined || at > this.#notBefore) this.#notBefore = at;
  }

  /** Fraction of the window's capacity not yet committed by the schedule: 0–1. */
  headroom(now: number): number {
    if (this.#notBefore !== undefined && this.#notBefore > now) return 0;
    const ahead = this.#tat === undefined ? 0 : this.#tat - now;
    return ahead <= 0 ? 1 : Math.max(0, 1 - ahead / this.windowMs);
  }
}
