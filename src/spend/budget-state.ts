import type { BudgetOptions } from './budget-config.js';
import { periodEnd, periodStart } from './period.js';

/** Money is counted in whole nano-dollars, so that sums of many small costs stay exact. */
export const NANO = 1e9;

/** What a call costs against budgets: USD (null when unknown) and tokens. */
export interface Charge {
  readonly usd: number | null;
  readonly tokens: number;
}

/**
 * This process's slice of a shared budget (docs/spend.md, "Many processes"), in whole units: `held` is
 * what the store counts as this process's (`s:<owner>`); calls in flight hold `inUse` of it, and `flush`
 * (spent in the period starting `flushStart`) and `drop` (spent in a period gone by) wait to leave it at
 * the next step. One object per slice: a lost slice is replaced, and the calls that held the old one
 * settle on it to no effect (the store counted it as spent when it reclaimed it).
 */
export interface Slice {
  held: number;
  inUse: number;
  flush: number;
  flushStart: number;
  drop: number;
  /** Headroom to ask at the next lease (doubles while granted in full). */
  ask: number;
  /** Granted less than asked, or a refused call waits: settle per call and keep no headroom. */
  tight: boolean;
  /** Leases of this slice in flight: only one asks for headroom. */
  leasing: number;
  /** A call reserved from it since the last step: it is in use, keep the headroom. */
  touched: boolean;
  /** The latest recall the store told of, and the latest this process answered (gave back and acknowledged). */
  recall: number;
  acked: number;
  dead: boolean;
}

export function newSlice(flushStart: number): Slice {
  return {
    held: 0,
    inUse: 0,
    flush: 0,
    flushStart,
    drop: 0,
    ask: 0,
    tight: false,
    leasing: 0,
    touched: false,
    recall: 0,
    acked: 0,
    dead: false,
  };
}

/** What the slice holds that no call uses and no spend waits in: free to reserve from. */
export function freeOf(s: Slice): number {
  return s.held - s.inUse - s.flush - s.drop;
}

/** A budget and where it stands in its current period. */
export interface BudgetState {
  readonly options: BudgetOptions;
  readonly unit: 'usd' | 'tokens';
  /** In nano-dollars or tokens. */
  readonly limit: number;
  /** The current period: [start, end). */
  start: number;
  end: number;
  /** This process's (memory) or, shared, the store's totals as last seen with this process's own added. */
  spent: number;
  reserved: number;
  warned: boolean;
  /** Shared: this process's slice, and the store's totals as its last step saw them (in period `seenStart`). */
  slice: Slice;
  seenSpent: number;
  seenReserved: number;
  seenStart: number;
}

export function budgetState(options: BudgetOptions): BudgetState {
  return {
    options,
    unit: options.usd === undefined ? 'tokens' : 'usd',
    limit: options.usd === undefined ? (options.tokens ?? 0) : Math.round(options.usd * NANO),
    start: Number.NEGATIVE_INFINITY,
    end: Number.NEGATIVE_INFINITY,
    spent: 0,
    reserved: 0,
    warned: false,
    slice: newSlice(0),
    seenSpent: 0,
    seenReserved: 0,
    seenStart: Number.NEGATIVE_INFINITY,
  };
}

/**
 * Moves a budget to the period holding `now`: what was spent starts again from 0 (reservations of calls
 * still running stay). Lazy and cheap: the period's bounds are worked out only when `now` leaves them.
 * Returns whether it rolled.
 */
export function roll(state: BudgetState, now: number): boolean {
  if (now < state.end && now >= state.start) return false;
  const { period } = state.options;
  const start = periodStart(period, now);
  state.end = periodEnd(period, now) ?? Number.POSITIVE_INFINITY;
  if (start === state.start) return false;
  state.start = start;
  state.spent = 0;
  state.warned = false;
  return true;
}

export function amountOf(state: BudgetState, charge: Charge): number | null {
  return state.unit === 'tokens'
    ? Math.ceil(charge.tokens)
    : charge.usd === null
      ? null
      : Math.round(charge.usd * NANO);
}
