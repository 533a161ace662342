import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { BudgetRefusal } from '../core/errors.js';
import type { SharedBudgets, SliceMove, SliceOutcome } from '../core/shared-budgets.js';
import { type BudgetState, freeOf, newSlice, roll, type Slice } from './budget-state.js';

/** One call's reservation: the budgets it holds, how much of each, and (shared) from which slices. */
export interface Ticket {
  readonly states: readonly BudgetState[];
  readonly amounts: readonly number[];
  readonly slices?: readonly Slice[];
}

export type Refusal = { readonly budget: string; readonly reason: BudgetRefusal };

/**
 * A refused call whose budget's holders have yet to answer a recall asks again, `syncMs` apart, at most
 * this many times (a holder that neither answers nor lets its slice expire is not waited for longer).
 */
const WAITS = 10;
/** The first headroom asked: this many calls' worth. */
const FIRST_ASK = 4;

/**
 * This process's slices of the shared budgets (docs/spend.md, "Many processes"). A call is reserved from
 * the slices when they hold enough (no round trip); else one step (one script) grows them, flushing what
 * was spent meanwhile. Settles are local, flushed every `syncMs` by a timer that also renews the slices
 * and gives back what an idle or tight slice does not use; a tight slice (the budget nears its end, or a
 * call elsewhere was refused) settles per call, giving back at once, as a slice-less budget would.
 */
export class SliceBook {
  readonly #owner = randomUUID();
  readonly #stop = new AbortController();
  #timer: Promise<void> | undefined;
  #closed = false;

  constructor(
    readonly shared: SharedBudgets,
    private readonly clock: Clock,
    private readonly states: readonly BudgetState[],
    private readonly onSeen: (state: BudgetState) => void,
  ) {}

  reserve(
    states: readonly BudgetState[],
    amounts: readonly number[],
  ): Ticket | Refusal | Promise<Ticket | Refusal> {
    if (!this.shared.available() || this.#closed) {
      return { budget: states[0]?.options.name ?? '', reason: 'store-unavailable' };
    }
    for (let i = 0; i < states.length; i++) {
      if (freeOf((states[i] as BudgetState).slice) < (amounts[i] ?? 0)) return this.#lease(states, amounts);
    }
    return this.#take(states, amounts);
  }

  #take(states: readonly BudgetState[], amounts: readonly number[]): Ticket {
    const slices = states.map((state, i) => {
      const s = state.slice;
      s.inUse += amounts[i] ?? 0;
      s.touched = true;
      return s;
    });
    this.#wake();
    return { states, amounts, slices };
  }

  async #lease(states: readonly BudgetState[], amounts: readonly number[]): Promise<Ticket | Refusal> {
    const { maxCalls, syncMs } = this.shared.settings;
    for (let waits = 0; ; ) {
      const now = this.clock.now();
      const movers: BudgetState[] = [];
      const moves: SliceMove[] = [];
      states.forEach((state, i) => {
        const amount = amounts[i] ?? 0;
        const s = state.slice;
        const free = freeOf(s);
        if (free >= amount) return;
        const ask =
          maxCalls === 0 || s.leasing > 0
            ? 0
            : Math.min(Math.max(s.ask, FIRST_ASK * amount), maxCalls * amount);
        movers.push(state);
        moves.push(this.#move(state, now, amount - free, ask, 0, 0));
      });
      if (moves.length === 0) return this.#take(states, amounts);
      const slices = movers.map((state) => state.slice);
      for (const s of slices) s.leasing++;
      const result = await this.shared.step(this.#owner, now, moves, false);
      for (const s of slices) s.leasing--;
      if (result.status === 'unavailable') {
        return { budget: movers[0]?.options.name ?? '', reason: 'store-unavailable' };
      }
      this.#apply(movers, slices, moves, result.budgets);
      this.#answer(movers);
      if (result.status === 'refused') {
        const budget = movers[result.index]?.options.name ?? '';
        if (!result.wait || waits >= WAITS || this.#closed) return { budget, reason: 'exceeded' };
        waits++;
        await this.clock.sleep(syncMs);
      }
    }
  }

  /** One budget's part of a step; what it releases leaves the slice now (see #apply for why). */
  #move(
    state: BudgetState,
    now: number,
    need: number,
    ask: number,
    giveBack: number,
    ack: number,
  ): SliceMove {
    roll(state, now);
    const s = state.slice;
    if (s.flushStart !== state.start) {
      s.drop += s.flush;
      s.flush = 0;
      s.flushStart = state.start;
    }
    const claim = s.held;
    const release = s.flush + s.drop + giveBack;
    const move: SliceMove = {
      name: state.options.name,
      start: state.start,
      limit: state.limit,
      need,
      ask,
      release,
      spent: s.flush,
      spentStart: s.flushStart,
      claim,
      ack,
    };
    s.held -= release;
    s.flush = 0;
    s.drop = 0;
    return move;
  }

  /**
   * A step's outcome. What a step released left the slice when it was sent, whether the step ran or not:
   * if it did not, the store still counts it in this process's slice, which can only make the budget
   * refuse sooner (it is reclaimed as spent at the latest), never overspend.
   */
  #apply(
    states: readonly BudgetState[],
    slices: readonly Slice[],
    moves: readonly SliceMove[],
    outcomes: readonly SliceOutcome[],
  ): void {
    states.forEach((state, i) => {
      const o = outcomes[i];
      const s = slices[i] as Slice;
      if (!o) return;
      if (o.lost) {
        s.dead = true;
        if (state.slice === s) state.slice = newSlice(state.start);
      } else if (!s.dead) {
        s.held += o.granted;
        const ask = moves[i]?.ask ?? 0;
        if (o.tight) s.tight = true;
        else if (ask > 0 && o.granted > 0) s.tight = false;
        if (ask > 0) s.ask = o.tight ? 0 : 2 * ask;
        if (o.recall > s.recall) s.recall = o.recall;
      }
      state.seenSpent = o.spent;
      state.seenReserved = o.reserved;
      state.seenStart = state.start;
      this.onSeen(state);
    });
  }

  /** A call ended: its reservation leaves the slice, what it spent waits for the next step. */
  settle(ticket: Ticket, spent: readonly number[], now: number): void | Promise<void> {
    const { states, amounts, slices = [] } = ticket;
    let tight: BudgetState[] | undefined;
    for (let i = 0; i < states.length; i++) {
      const s = slices[i] as Slice;
      const state = states[i] as BudgetState;
      if (s.dead) continue;
      s.inUse -= amounts[i] ?? 0;
      roll(state, now);
      if (s.flushStart !== state.start) {
        s.drop += s.flush;
        s.flush = 0;
        s.flushStart = state.start;
      }
      s.flush += spent[i] ?? 0;
      if ((s.tight || this.shared.settings.maxCalls === 0) && state.slice === s) {
        tight ??= [];
        tight.push(state);
      }
    }
    if (tight) return this.#sync(tight, now, false);
    this.#wake();
  }

  /** Flushes `states`' spend and gives back what their slices do not use (all of it when tight, idle or final). */
  async #sync(states: readonly BudgetState[], now: number, final: boolean): Promise<void> {
    const slices = states.map((state) => state.slice);
    const moves = states.map((state) => {
      const s = state.slice;
      const free = Math.max(0, freeOf(s));
      const all = final || s.tight || !s.touched || this.shared.settings.maxCalls === 0;
      s.touched = false;
      // Giving back all it does not use answers the store's latest recall.
      const ack = all && s.recall > s.acked ? s.recall : 0;
      if (ack > 0) s.acked = ack;
      return this.#move(state, now, 0, 0, all ? free : 0, ack);
    });
    const result = await this.shared.step(this.#owner, now, moves, final);
    if (result.status === 'unavailable') return;
    this.#apply(states, slices, moves, result.budgets);
    if (!final) this.#answer(states);
  }

  /** Slices told of a recall they have not answered: answer it now, not a tick later. */
  #answer(states: readonly BudgetState[]): void {
    const told = states.filter((state) => state.slice.recall > state.slice.acked && !state.slice.dead);
    if (told.length > 0) void this.#sync(told, this.clock.now(), false);
  }

  /** Starts the timer that flushes and renews the slices, unless it runs. */
  #wake(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = this.#tick().finally(() => {
      this.#timer = undefined;
    });
  }

  async #tick(): Promise<void> {
    const { syncMs } = this.shared.settings;
    for (;;) {
      try {
        await this.clock.sleep(syncMs, this.#stop.signal, { unref: true });
      } catch {
        return;
      }
      const active = this.states.filter(
        (state) => state.slice.held > 0 || state.slice.flush > 0 || state.slice.drop > 0,
      );
      if (active.length === 0) return;
      await this.#sync(active, this.clock.now(), false);
    }
  }

  /** Stops the timer and gives every slice back (calls have settled: the multiplexer drained first). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    await this.#timer;
    const held = this.states.filter(
      (state) => state.slice.held > 0 || state.slice.flush > 0 || state.slice.drop > 0,
    );
    if (held.length > 0) await this.#sync(held, this.clock.now(), true);
  }
}
