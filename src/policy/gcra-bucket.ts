export type BucketKind = 'requests' | 'tokens';

/** How late a paced send may be and still keep the schedule (see take). */
export const PACE_SLACK_MS = 100;

/**
 * One limit as a provider keeps it: a continuously refilled bucket, modelled by one theoretical arrival
 * time (GCRA). Limits over a minute or less are paced: a unit every `windowMs / limit`, so keymux never
 * bursts into a provider that enforces its limit over shorter periods. Longer limits (per day) allow
 * the whole limit at once, as the provider's bucket does. A provider's reading can only push the next
 * send later (`notBefore`), never earlier: other clients may share the key.
 */
export class GcraBucket {
  /** Theoretical arrival time: when the schedule is caught up. */
  #tat = Number.NEGATIVE_INFINITY;
  #notBefore = Number.NEGATIVE_INFINITY;
  #interval: number;
  #limit: number;
  readonly #paced: boolean;

  constructor(
    readonly kind: BucketKind,
    limit: number,
    readonly windowMs: number,
  ) {
    this.#limit = limit;
    this.#interval = windowMs / limit;
    this.#paced = windowMs <= 60_000;
  }

  get limit(): number {
    return this.#limit;
  }

  /** Milliseconds per unit. */
  get interval(): number {
    return this.#interval;
  }

  /** A new limit (learned again from the headers); the schedule keeps its place. */
  setLimit(limit: number): void {
    this.#limit = limit;
    this.#interval = this.windowMs / limit;
  }

  /** Milliseconds until a send may go; 0 when it may go now. */
  waitFor(now: number): number {
    // Paced: the schedule must have reached now. Unpaced: up to the whole window may be committed.
    const due = this.#paced ? this.#tat : this.#tat - this.windowMs + this.#interval;
    const at = Math.max(due, this.#notBefore);
    return at > now ? at - now : 0;
  }

  /** Takes `cost` units now. */
  take(cost: number, now: number): void {
    const units = Math.min(cost, this.#limit) * this.#interval;
    // A send up to PACE_SLACK_MS late (a timer firing late) keeps the schedule, or every late timer would
    // cost throughput for good; but never more than half an interval: a provider's bucket may hold only one
    // send more than its pace (a burst of 2), and the other half is the network's jitter. After an idle
    // gap the schedule restarts from now, so idleness earns no burst.
    const slack = this.#paced ? Math.min(PACE_SLACK_MS, this.#interval / 2) : 0;
    this.#tat = (this.#tat >= now - slack ? this.#tat : now) + units;
  }

  /** Corrects a take by `delta` units; a refund never moves the schedule back past now. */
  adjust(delta: number, now: number): void {
    const moved = this.#tat + delta * this.#interval;
    this.#tat = delta >= 0 ? moved : Math.max(moved, Math.min(this.#tat, now));
  }

  /** Nothing may be sent before `at`. */
  tighten(at: number): void {
    if (at > this.#notBefore) this.#notBefore = at;
  }

  /** Fraction of the window's capacity not yet committed by the schedule: 0–1. */
  headroom(now: number): number {
    if (this.#notBefore > now) return 0;
    const ahead = this.#tat - now;
    return ahead <= 0 ? 1 : Math.max(0, 1 - ahead / this.windowMs);
  }
}
