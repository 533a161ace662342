import type { BudgetRefusal } from '../core/errors.js';
import type { SharedBudgets } from '../core/shared-budgets.js';
import type { BudgetOptions } from './budget-config.js';
import { periodEnd, periodStart } from './period.js';

/** Money is counted in whole nano-dollars, so that sums of many small costs stay exact. */
export const NANO = 1e9;

/** What a call costs against budgets: USD (null when unknown) and tokens. */
export interface Charge {
  readonly usd: number | null;
  readonly tokens: number;
}

/** A budget and where it stands in its current period. */
interface BudgetState {
  readonly options: BudgetOptions;
  readonly unit: 'usd' | 'tokens';
  /** In nano-dollars or tokens. */
  readonly limit: number;
  start: number;
  spent: number;
  reserved: number;
  warned: boolean;
}

/** One call's reservation: the budgets it holds and how much of each. */
export interface Ticket {
  readonly states: readonly BudgetState[];
  readonly amounts: readonly number[];
}

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

export type Refusal = { readonly budget: string; readonly reason: BudgetRefusal };

const amountOf = (state: BudgetState, charge: Charge): number | null =>
  state.unit === 'tokens'
    ? Math.ceil(charge.tokens)
    : charge.usd === null
      ? null
      : Math.round(charge.usd * NANO);

/**
 * Budgets of one process (the memory store): reserve a call's worst case against every budget that
 * covers it, all or none; then settle to the real cost, or release. Periods roll over lazily, on the
 * next use, at calendar boundaries in UTC: what was spent starts again from 0, what is reserved stays
 * reserved (those calls are still running).
 */
export class BudgetLedger {
  readonly #states: BudgetState[];

  constructor(
    budgets: readonly BudgetOptions[],
    private readonly onWarning: (budget: BudgetSnapshot) => void = () => undefined,
  ) {
    this.#states = budgets.map((options) => ({
      options,
      unit: options.usd === undefined ? 'tokens' : 'usd',
      limit: options.usd === undefined ? (options.tokens ?? 0) : Math.round(options.usd * NANO),
      start: Number.NEGATIVE_INFINITY,
      spent: 0,
      reserved: 0,
      warned: false,
    }));
  }

  get size(): number {
    return this.#states.length;
  }

  /** The budgets a call on `keyName` with `tag` counts against (AND: each must allow it). */
  covering(keyName: string, tag: string | undefined): readonly BudgetState[] {
    let byKey = this.#covering.get(tag);
    if (!byKey) {
      // Tags may be per user: past a thousand, the rest are worked out each time rather than kept.
      if (this.#covering.size >= 1000) return this.#cover(keyName, tag);
      byKey = new Map();
      this.#covering.set(tag, byKey);
    }
    let states = byKey.get(keyName);
    if (!states) {
      states = this.#cover(keyName, tag);
      byKey.set(keyName, states);
    }
    return states;
  }

  /** Budgets never change after start: which cover a key and a tag is worked out once. */
  readonly #covering = new Map<string | undefined, Map<string, readonly BudgetState[]>>();

  #cover(keyName: string, tag: string | undefined): readonly BudgetState[] {
    return this.#states.filter(
      (s) =>
        (s.options.keys === undefined || s.options.keys.includes(keyName)) &&
        (s.options.tag === undefined || s.options.tag === tag),
    );
  }

  /** Where the budgets live when several processes share them (a Redis store); this process alone if unset. */
  shared: SharedBudgets | undefined;

  /** Reserves `charge` on every one of `states`, or on none: the first budget it would cross is refused. */
  reserve(
    states: readonly BudgetState[],
    charge: Charge,
    now: number,
  ): Ticket | Refusal | Promise<Ticket | Refusal> {
    const amounts: number[] = [];
    for (const state of states) {
      this.#roll(state, now);
      const amount = amountOf(state, charge);
      if (amount === null) return { budget: state.options.name, reason: 'unknown-price' };
      if (!this.shared && state.spent + state.reserved + amount > state.limit) {
        return { budget: state.options.name, reason: 'exceeded' };
      }
      amounts.push(amount);
    }
    const ticket: Ticket = { states, amounts };
    if (!this.shared) {
      for (let i = 0; i < states.length; i++) {
        const state = states[i] as BudgetState;
        state.reserved += amounts[i] ?? 0;
        this.#warn(state, now);
      }
      return ticket;
    }
    const moves = states.map((state, i) => ({
      name: state.options.name,
      start: state.start,
      limit: state.limit,
      amount: amounts[i] ?? 0,
    }));
    return this.shared.reserve(moves).then((result): Ticket | Refusal => {
      if ('refused' in result) {
        const refused = states[Math.max(0, result.refused)]?.options.name ?? '';
        return { budget: refused, reason: result.refused < 0 ? 'store-unavailable' : 'exceeded' };
      }
      states.forEach((state, i) => {
        state.reserved += amounts[i] ?? 0;
      });
      this.#mirror(states, result.used, now);
      return ticket;
    });
  }

  /** The call ended: its reservation becomes what it really cost (the reservation when that is unknown). */
  settle(ticket: Ticket, charge: Charge | undefined, now: number): void | Promise<void> {
    const { states, amounts } = ticket;
    if (!this.shared) {
      for (let i = 0; i < states.length; i++) {
        const state = states[i] as BudgetState;
        this.#roll(state, now);
        state.reserved -= amounts[i] ?? 0;
        state.spent += (charge && amountOf(state, charge)) ?? amounts[i] ?? 0;
        this.#warn(state, now);
      }
      return;
    }
    const spent = states.map((state, i) => {
      this.#roll(state, now);
      state.reserved -= amounts[i] ?? 0;
      return (charge && amountOf(state, charge)) ?? amounts[i] ?? 0;
    });
    return this.#settleShared(ticket, spent, now);
  }

  /** The call failed or was aborted before it cost anything: its reservation is free again. */
  release(ticket: Ticket, now: number): void | Promise<void> {
    return this.settle(ticket, { usd: 0, tokens: 0 }, now);
  }

  async #settleShared(ticket: Ticket, spent: readonly number[], now: number): Promise<void> {
    const moves = ticket.states.map((state, i) => ({
      name: state.options.name,
      start: state.start,
      reserved: ticket.amounts[i] ?? 0,
      spent: spent[i] ?? 0,
    }));
    this.#mirror(ticket.states, await (this.shared as SharedBudgets).settle(moves), now);
  }

  /** What the other processes did shows only as each budget's total: this process's reservations apart. */
  #mirror(states: readonly BudgetState[], used: readonly number[], now: number): void {
    if (used.length === 0) return;
    states.forEach((state, i) => {
      state.spent = Math.max(0, (used[i] ?? 0) - state.reserved);
      this.#warn(state, now);
    });
  }

  snapshot(now: number): BudgetSnapshot[] {
    return this.#states.map((state) => {
      this.#roll(state, now);
      return this.#view(state, now);
    });
  }

  #view(state: BudgetState, now: number): BudgetSnapshot {
    const scale = state.unit === 'usd' ? NANO : 1;
    return {
      name: state.options.name,
      unit: state.unit,
      limit: state.limit / scale,
      spent: state.spent / scale,
      reserved: state.reserved / scale,
      left: Math.max(0, state.limit - state.spent - state.reserved) / scale,
      resetsAt: periodEnd(state.options.period, now),
    };
  }

  #roll(state: BudgetState, now: number): void {
    const start = periodStart(state.options.period, now);
    if (start === state.start) return;
    state.start = start;
    state.spent = 0;
    state.warned = false;
  }

  #warn(state: BudgetState, now: number): void {
    if (state.warned || (state.spent + state.reserved) * 5 < state.limit * 4) return;
    state.warned = true;
    this.onWarning(this.#view(state, now));
  }
}

export function isRefusal(result: Ticket | Refusal): result is Refusal {
  return 'reason' in result;
}
