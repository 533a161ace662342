import type { Clock } from '../core/clock.js';
import type { SharedBudgets } from '../core/shared-budgets.js';
import type { BudgetOptions } from './budget-config.js';
import { type Refusal, SliceBook, type Ticket } from './budget-slices.js';
import { amountOf, type BudgetState, budgetState, type Charge, NANO, roll } from './budget-state.js';

export type { Charge, Refusal, Ticket };
export { NANO };

/** A budget as stats and metrics show it; money in USD. */
export interface BudgetSnapshot {
  readonly name: string;
  readonly unit: 'usd' | 'tokens';
  readonly limit: number;
  readonly spent: number;
  readonly reserved: number;
  readonly left: number;
  /** When the current period ends (ms since the epoch); undefined for a budget that never resets. */
  readonly resetsAt: number | undefined;
}

/**
 * Budgets of one process (the memory store): reserve a call's worst case against every budget that
 * covers it, all or none; then settle to the real cost, or release. Periods roll over lazily, on the
 * next use, at calendar boundaries in UTC: what was spent starts again from 0, what is reserved stays
 * reserved (those calls are still running). Shared through a store (`share`), the budgets live there and
 * this process works from its slices of them (budget-slices.ts).
 */
export class BudgetLedger {
  readonly #states: BudgetState[];
  #book: SliceBook | undefined;

  constructor(
    budgets: readonly BudgetOptions[],
    private readonly onWarning: (budget: BudgetSnapshot) => void = () => undefined,
  ) {
    this.#states = budgets.map(budgetState);
    this.#timed = budgets.some((b) => b.period !== undefined);
    this.#untagged = budgets.some((b) => b.tag === undefined);
    this.#keyed = budgets.some((b) => b.keys !== undefined);
    this.#tags = new Set(budgets.flatMap((b) => (b.tag === undefined ? [] : [b.tag])));
  }

  get size(): number {
    return this.#states.length;
  }

  /** Whether reserve and settle need the time: a budget with a period, or budgets shared (slices expire). */
  get timed(): boolean {
    return this.#timed || this.#book !== undefined;
  }

  readonly #timed: boolean;

  /** Keeps the budgets in a store several processes share (a Redis store); this process alone if never called. */
  share(shared: SharedBudgets | undefined, clock: Clock): void {
    this.#book = shared && new SliceBook(shared, clock, this.#states, (s) => this.#seen(s));
  }

  /** The budgets a call on `keyName` with `tag` counts against (AND: each must allow it). */
  covering(keyName: string, tag: string | undefined): readonly BudgetState[] {
    // No budget names keys: which cover a call depends on its tag alone (one lookup, whatever the key).
    if (!this.#keyed && tag === undefined) {
      this.#untaggedCovering ??= this.#cover(keyName, undefined);
      return this.#untaggedCovering;
    }
    let byKey = this.#covering.get(tag);
    if (!byKey) {
      // Tags may be per user: past a thousand, the rest are worked out each time rather than kept.
      if (this.#covering.size >= 1000) return this.#cover(keyName, tag);
      byKey = new Map();
      this.#covering.set(tag, byKey);
    }
    const at = this.#keyed ? keyName : '';
    let states = byKey.get(at);
    if (!states) {
      states = this.#cover(keyName, tag);
      byKey.set(at, states);
    }
    return states;
  }

  /** Budgets never change after start: which cover a key and a tag is worked out once. */
  readonly #covering = new Map<string | undefined, Map<string, readonly BudgetState[]>>();
  /** Some budget names keys (`keys`): the key matters to which cover a call. */
  readonly #keyed: boolean;
  /** Without keyed budgets, those that cover an untagged call. */
  #untaggedCovering: readonly BudgetState[] | undefined;

  #cover(keyName: string, tag: string | undefined): readonly BudgetState[] {
    return this.#states.filter(
      (s) =>
        (s.options.keys === undefined || s.options.keys.includes(keyName)) &&
        (s.options.tag === undefined || s.options.tag === tag),
    );
  }

  /** Whether some budget may cover a call with `tag` (its key aside): a call no budget covers is not guarded. */
  mayCover(tag: string | undefined): boolean {
    return this.#untagged || (tag !== undefined && this.#tags.has(tag));
  }

  /** Some budget names no tag (it may cover every call); the tags budgets name. */
  readonly #untagged: boolean;
  readonly #tags: ReadonlySet<string>;

  /** Reserves `charge` on every one of `states`, or on none: the first budget it would cross is refused. */
  reserve(
    states: readonly BudgetState[],
    charge: Charge,
    now: number,
  ): Ticket | Refusal | Promise<Ticket | Refusal> {
    // Sized once: an array grown by push would take room for 16.
    const amounts = new Array<number>(states.length);
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as BudgetState;
      roll(state, now);
      const amount = amountOf(state, charge);
      if (amount === null) return { budget: state.options.name, reason: 'unknown-price' };
      if (!this.#book && state.spent + state.reserved + amount > state.limit) {
        return { budget: state.options.name, reason: 'exceeded' };
      }
      amounts[i] = amount;
    }
    if (this.#book) return this.#book.reserve(states, amounts);
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as BudgetState;
      state.reserved += amounts[i] ?? 0;
      this.#warn(state);
    }
    return { states, amounts };
  }

  /** The call ended: its reservation becomes what it really cost (the reservation when that is unknown). */
  settle(ticket: Ticket, charge: Charge | undefined, now: number): void | Promise<void> {
    const { states, amounts } = ticket;
    if (this.#book) {
      const spent = states.map((state, i) => (charge && amountOf(state, charge)) ?? amounts[i] ?? 0);
      return this.#book.settle(ticket, spent, now);
    }
    for (let i = 0; i < states.length; i++) {
      const state = states[i] as BudgetState;
      roll(state, now);
      state.reserved -= amounts[i] ?? 0;
      state.spent += (charge && amountOf(state, charge)) ?? amounts[i] ?? 0;
      this.#warn(state);
    }
  }

  /** The call failed or was aborted before it cost anything: its reservation is free again. */
  release(ticket: Ticket, now: number): void | Promise<void> {
    return this.settle(ticket, { usd: 0, tokens: 0 }, now);
  }

  /** Gives this process's slices back (shared budgets); nothing to do for budgets of this process alone. */
  close(): Promise<void> {
    return this.#book?.close() ?? Promise.resolve();
  }

  /**
   * Shared: the store's totals as a step saw them, with this process's own view added: its unflushed
   * spend counts as spent, its slice as reserved only as far as its calls use it (headroom is free to it).
   */
  #seen(state: BudgetState): void {
    this.#shared(state);
    this.#warn(state);
  }

  #shared(state: BudgetState): void {
    const s = state.slice;
    const seen = state.seenStart === state.start;
    state.spent = (seen ? state.seenSpent : 0) + (s.flushStart === state.start ? s.flush : 0);
    state.reserved = Math.max(0, (seen ? state.seenReserved : 0) - s.held) + s.inUse;
  }

  snapshot(now: number): BudgetSnapshot[] {
    return this.#states.map((state) => {
      roll(state, now);
      if (this.#book) this.#shared(state);
      return this.#view(state);
    });
  }

  #view(state: BudgetState): BudgetSnapshot {
    const scale = state.unit === 'usd' ? NANO : 1;
    return {
      name: state.options.name,
      unit: state.unit,
      limit: state.limit / scale,
      spent: state.spent / scale,
      reserved: state.reserved / scale,
      left: Math.max(0, state.limit - state.spent - state.reserved) / scale,
      resetsAt: state.end === Number.POSITIVE_INFINITY ? undefined : state.end,
    };
  }

  #warn(state: BudgetState): void {
    if (state.warned || (state.spent + state.reserved) * 5 < state.limit * 4) return;
    state.warned = true;
    this.onWarning(this.#view(state));
  }
}

export function isRefusal(result: Ticket | Refusal): result is Refusal {
  return 'reason' in result;
}
