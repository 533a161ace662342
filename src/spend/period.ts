/** How often a budget starts again: a calendar period in UTC, or a fixed length in ms (from the epoch). */
export type BudgetPeriod = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year' | { readonly ms: number };

const FIXED: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000 };

/** Start of the period holding `now` (ms since the epoch); 0 for a budget without a period (it never resets). */
export function periodStart(period: BudgetPeriod | undefined, now: number): number {
  if (period === undefined) return 0;
  if (typeof period === 'object') return Math.floor(now / period.ms) * period.ms;
  const fixed = FIXED[period];
  if (fixed !== undefined) return Math.floor(now / fixed) * fixed;
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'year') return Date.UTC(y, 0, 1);
  if (period === 'month') return Date.UTC(y, m, 1);
  const day = Date.UTC(y, m, d.getUTCDate());
  // ISO weeks start on Monday: getUTCDay() is 0 on Sunday.
  if (period === 'week') return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
  return day;
}

/** Start of the next period: when the budget is whole again (undefined when it never resets). */
export function periodEnd(period: BudgetPeriod | undefined, now: number): number | undefined {
  if (period === undefined) return undefined;
  if (typeof period === 'object') return periodStart(period, now) + period.ms;
  const fixed = FIXED[period];
  if (fixed !== undefined) return periodStart(period, now) + fixed;
  const start = new Date(periodStart(period, now));
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  if (period === 'year') return Date.UTC(y + 1, 0, 1);
  if (period === 'month') return Date.UTC(y, m + 1, 1);
  return start.getTime() + (period === 'week' ? 7 : 1) * 86_400_000;
}
