/** One budget in a shared reserve: its period's start (ms), its limit and the call's amount (whole units). */
export interface BudgetReserve {
  readonly name: string;
  readonly start: number;
  readonly limit: number;
  readonly amount: number;
}

/** One budget in a shared settle: what was reserved, and what was spent instead (-1: the reservation). */
export interface BudgetSettle {
  readonly name: string;
  readonly start: number;
  readonly reserved: number;
  readonly spent: number;
}

/**
 * Budgets kept where several processes see them (Redis): one atomic step each, all budgets of a call or
 * none. `used` is each budget's spent + reserved after the step, every process's calls included.
 */
export interface SharedBudgets {
  reserve(
    budgets: readonly BudgetReserve[],
  ): Promise<{ readonly refused: number } | { readonly used: readonly number[] }>;
  settle(budgets: readonly BudgetSettle[]): Promise<readonly number[]>;
}
