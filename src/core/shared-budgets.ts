/**
 * One budget in one step of a process's slice (see store/lua/budget.ts): whole units (nano-dollars or
 * tokens). `need` must be granted or the step is refused; `ask` is headroom wanted on top; `release`
 * leaves the slice, `spent` of it is what calls spent in the period starting `spentStart`; `claim` is what
 * the process believes it holds (more than 0 with no slice left in the store: the slice was reclaimed).
 */
export interface SliceMove {
  readonly name: string;
  readonly start: number;
  readonly limit: number;
  readonly need: number;
  readonly ask: number;
  readonly release: number;
  readonly spent: number;
  readonly spentStart: number;
  readonly claim: number;
  /** The recall this step answers, giving back all the slice's free part (0: none). */
  readonly ack: number;
}

/** One budget after a step: what was added to the slice, and the budget's totals (every process). */
export interface SliceOutcome {
  readonly granted: number;
  /** Less headroom than asked (the budget nears its end, or a refused call waits): reserve per call. */
  readonly tight: boolean;
  readonly spent: number;
  readonly reserved: number;
  /** The slice expired and was reclaimed (counted as spent): start a new one. */
  readonly lost: boolean;
  /** When a refused call last asked the holders for what they do not use (0: never this period). */
  readonly recall: number;
}

export type SliceResult =
  | { readonly status: 'granted' | 'lost'; readonly budgets: readonly SliceOutcome[] }
  | {
      readonly status: 'refused';
      /** Index of the refusing budget in the step's moves. */
      readonly index: number;
      /** Holders have yet to answer a recall: what they do not use may come back; ask again shortly. */
      readonly wait: boolean;
      readonly budgets: readonly SliceOutcome[];
    }
  | { readonly status: 'unavailable' };

/** How slices behave (redisStore's `budgetSlices`). */
export interface SliceSettings {
  /** How often a process holding a slice flushes what its calls spent and renews it (ms). */
  readonly syncMs: number;
  /** A slice not renewed for this long is reclaimed, counted as spent (ms). */
  readonly ttlMs: number;
  /** Headroom asked for at most: this many calls' worth. 0: no headroom, every call reserves in the store. */
  readonly maxCalls: number;
}

/**
 * Budgets kept where several processes see them (Redis): every step is one atomic script over all the
 * budgets a call needs, all or none. Never rejects: an unreachable store answers `unavailable`.
 */
export interface SharedBudgets {
  readonly settings: SliceSettings;
  /** False while the store is away (its breaker open): budgeted calls are refused then. */
  available(): boolean;
  step(owner: string, now: number, moves: readonly SliceMove[], final: boolean): Promise<SliceResult>;
}
