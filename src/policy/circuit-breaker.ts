/**
 * When a closed breaker opens, told every outcome while closed (cockatiel's `IBreaker`): the one thing
 * the keys' breakers and the Redis store's breaker decide differently would go here.
 */
export interface OpenRule {
  /** A success: the count starts again. */
  success(): void;
  /** A failure; true when the breaker should open now. */
  failure(): boolean;
}

/** Opens after `threshold` failures in a row. */
export class ConsecutiveFailures implements OpenRule {
  #failures = 0;

  constructor(readonly threshold: number) {}

  success(): void {
    this.#failures = 0;
  }

  failure(): boolean {
    this.#failures += 1;
    return this.#failures >= this.threshold;
  }
}

/** `opens` counts consecutive openings, for an opening that lasts longer each time. */
export type BreakerState =
  | { readonly kind: 'closed' }
  | { readonly kind: 'open'; readonly until: number; readonly opens: number }
  | { readonly kind: 'half-open'; readonly probing: boolean; readonly opens: number };

/** What a failure did: nothing, opened the breaker, or would have but `mayOpen` said no. */
export type BreakerVerdict = 'none' | 'opened' | 'held';

export interface BreakerOptions {
  /** When to open. */
  readonly rule: OpenRule;
  /** How long the `opens`-th consecutive opening lasts. */
  readonly openFor: (opens: number) => number;
  /**
   * A failure while open (a call that started before it opened): `ignore` it, or `reopen` from now (the
   * store: its calls' deadlines say Redis is still away).
   */
  readonly whileOpen: 'ignore' | 'reopen';
}

const CLOSED: BreakerState = Object.freeze({ kind: 'closed' });

/**
 * The one breaker of keymux: closed, open until a time, then half-open with one probe, every outcome of
 * the probe deciding. Time is lazy: an open breaker is half-open from `until` on, found by comparing
 * timestamps on the next look; there is no timer. Used by each key (KeyHealth) and by the Redis store.
 */
export class Breaker {
  #state: BreakerState = CLOSED;

  constructor(readonly options: BreakerOptions) {}

  /** The state as of `now` (an open breaker whose time is up reads as half-open). */
  state(now: number): BreakerState {
    const s = this.#state;
    if (s.kind === 'open' && now >= s.until) {
      this.#state = { kind: 'half-open', probing: false, opens: s.opens };
    }
    return this.#state;
  }

  /** Not closed: open, or half-open. */
  get isOpen(): boolean {
    return this.#state.kind !== 'closed';
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

  /** Whether the breaker holds its key out (open, or half-open): it counts toward the ejection ceiling. */
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
    const wasOut = this.isOpen;
    this.#state = CLOSED;
    this.options.rule.success();
    return wasOut;
  }

  /**
   * A failure of the service. `mayOpen` is asked only when the breaker would open from closed: a key's
   * pool may refuse, to keep enough keys in rotation.
   */
  onFailure(now: number, mayOpen: () => boolean = always): BreakerVerdict {
    const s = this.state(now);
    switch (s.kind) {
      case 'open':
        if (this.options.whileOpen === 'reopen') this.#open(now, s.opens);
        return 'none';
      case 'half-open':
        this.#open(now, s.opens + 1);
        return 'opened';
      case 'closed': {
        if (!this.options.rule.failure()) return 'none';
        if (!mayOpen()) return 'held';
        this.#open(now, 1);
        return 'opened';
      }
    }
  }

  /** An outcome that says nothing of the service (a 429, a bad request, an abort): frees the probe. */
  onNeutral(now: number): void {
    const s = this.state(now);
    if (s.kind === 'half-open' && s.probing)
      this.#state = { kind: 'half-open', probing: false, opens: s.opens };
  }

  /** Opens at once, whatever the count (a start that never reached the service). */
  trip(now: number): void {
    this.#open(now, 1);
  }

  reset(): void {
    this.#state = CLOSED;
    this.options.rule.success();
  }

  #open(now: number, opens: number): void {
    this.#state = { kind: 'open', until: now + this.options.openFor(opens), opens };
  }
}

const always = (): boolean => true;

export interface BreakerPolicy {
  readonly failureThreshold: number;
  /** The longest a key stays out. */
  readonly cooldownMs: number;
  /** How long the first opening lasts; each consecutive one lasts that much longer. */
  readonly breakerBaseMs: number;
}

/**
 * A key's breaker: opens after `failureThreshold` failures in a row; each consecutive opening keeps the
 * key out longer (base × opens, capped at `cooldownMs`), and a success resets it.
 */
export class CircuitBreaker extends Breaker {
  constructor(readonly policy: BreakerPolicy) {
    super({
      rule: new ConsecutiveFailures(policy.failureThreshold),
      openFor: (opens) => Math.min(policy.cooldownMs, policy.breakerBaseMs * opens),
      whileOpen: 'ignore',
    });
  }

  /** A failure of the key's service (5xx, timeout, connection). */
  onTransient(now: number, mayOpen: () => boolean): BreakerVerdict {
    return this.onFailure(now, mayOpen);
  }
}
