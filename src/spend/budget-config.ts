import { ConfigError } from '../core/errors.js';
import type { BudgetPeriod } from './period.js';

/** One budget of the `budgets` option: money (`usd`) or tokens, per period, over some keys or a tag. */
export interface BudgetOptions {
  /** Named in errors, events, stats and metrics. */
  readonly name: string;
  /** A limit in US dollars (exactly one of `usd` and `tokens`). */
  readonly usd?: number;
  /** A limit in tokens (input + output, every bucket). */
  readonly tokens?: number;
  /** When the budget starts again: a calendar period in UTC, or `{ ms }`. Without one it never does. */
  readonly period?: BudgetPeriod;
  /** Only calls served by these keys (by name) count; every key when absent. */
  readonly keys?: readonly string[];
  /** Only calls with this `tag` (per client or per call) count; every call when absent. */
  readonly tag?: string;
}

const PERIODS = ['minute', 'hour', 'day', 'week', 'month', 'year'];
const FIELDS = ['name', 'usd', 'tokens', 'period', 'keys', 'tag'];

function positive(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(path, `Expected a finite number from 0 and up, got ${String(value)}`);
  }
}

function checkPeriod(period: unknown, path: string): void {
  if (period === undefined || (typeof period === 'string' && PERIODS.includes(period))) return;
  if (period !== null && typeof period === 'object' && !Array.isArray(period)) {
    const ms = (period as { ms?: unknown }).ms;
    if (typeof ms === 'number' && Number.isInteger(ms) && ms > 0) return;
  }
  throw new ConfigError(
    path,
    `Expected one of ${PERIODS.join(', ')} or { ms } (a whole number of ms above 0)`,
  );
}

function checkBudget(value: unknown, path: string): BudgetOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(path, 'Expected a budget: { name, usd | tokens, period?, keys?, tag? }');
  }
  const b = value as Record<string, unknown>;
  for (const field of Object.keys(b)) {
    if (!FIELDS.includes(field))
      throw new ConfigError(`${path}.${field}`, `is not a budget field; known: ${FIELDS.join(', ')}`);
  }
  if (typeof b.name !== 'string' || b.name.trim() === '')
    throw new ConfigError(`${path}.name`, 'Expected a non-empty name');
  if ((b.usd === undefined) === (b.tokens === undefined)) {
    throw new ConfigError(path, `budget "${b.name}" needs exactly one of usd and tokens`);
  }
  if (b.usd !== undefined) positive(b.usd, `${path}.usd`);
  if (b.tokens !== undefined) positive(b.tokens, `${path}.tokens`);
  checkPeriod(b.period, `${path}.period`);
  if (b.keys !== undefined && (!Array.isArray(b.keys) || b.keys.some((k) => typeof k !== 'string'))) {
    throw new ConfigError(`${path}.keys`, 'Expected an array of key names');
  }
  if (b.tag !== undefined && typeof b.tag !== 'string')
    throw new ConfigError(`${path}.tag`, 'Expected a string');
  return b as unknown as BudgetOptions;
}

/** Checks the `budgets` option: each budget well formed, names unique. Throws ConfigError naming the field. */
export function validateBudgets(budgets: unknown): readonly BudgetOptions[] {
  if (budgets === undefined) return [];
  if (!Array.isArray(budgets)) throw new ConfigError('budgets', 'Expected an array of budgets');
  const seen = new Set<string>();
  return budgets.map((budget, i) => {
    const checked = checkBudget(budget, `budgets[${i}]`);
    if (seen.has(checked.name))
      throw new ConfigError(`budgets[${i}].name`, `"${checked.name}" names two budgets`);
    seen.add(checked.name);
    return checked;
  });
}
