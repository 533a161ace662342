import type { EventBus } from '../core/events.js';

/**
 * The ceiling on ejection (as Envoy's `max_ejection_percent`): at most `maxEjectedPercent` of a pool's
 * keys are held out by their breakers at once. A failure that would eject more is a fault of the whole
 * provider, not of one key: the pool says so with `pool-degraded`, keeps its keys in rotation under
 * backoff, and says `pool-recovered` at the next success.
 */
export class EjectionGuard {
  #degraded = false;

  constructor(
    readonly provider: string,
    readonly maxEjectedPercent: number,
    /** The pool's keys, each held out by its breaker or not. */
    readonly members: () => Iterable<{ ejected(now: number): boolean }>,
    readonly events: EventBus,
  ) {}

  get degraded(): boolean {
    return this.#degraded;
  }

  /** Whether one more key may be ejected now. */
  mayEject(now: number): boolean {
    let total = 0;
    let ejected = 0;
    for (const member of this.members()) {
      total++;
      if (member.ejected(now)) ejected++;
    }
    return ejected < Math.floor((total * this.maxEjectedPercent) / 100);
  }

  /** A breaker would have opened and was held: the pool is degraded. */
  onHeld(now: number): void {
    if (this.#degraded) return;
    this.#degraded = true;
    this.events.emit({ type: 'pool-degraded', at: now, provider: this.provider });
  }

  onSuccess(now: number): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    this.events.emit({ type: 'pool-recovered', at: now, provider: this.provider });
  }
}
