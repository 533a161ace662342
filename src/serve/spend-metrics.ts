import { Counter, Gauge, type Registry } from 'prom-client';
import type { Multiplexer } from '../multiplexer.js';

/**
 * Money, read from the stats when scraped: USD spent per provider, model and key (its name), and what is
 * left of each USD budget in its current period.
 */
export function registerSpendMetrics(mux: Multiplexer, registry: Registry): void {
  const registers = [registry];
  new Counter({
    name: 'keymux_spend_usd_total',
    help: 'US dollars spent, at the price table (calls of a model without a price count nothing)',
    labelNames: ['provider', 'model', 'key'],
    registers,
    collect() {
      this.reset();
      for (const row of mux.getUsageStats().spend?.costs ?? []) {
        this.inc({ provider: row.provider, model: row.model, key: row.key }, row.usd);
      }
    },
  });
  new Gauge({
    name: 'keymux_budget_remaining_usd',
    help: 'US dollars left in a budget’s current period (spent and reserved taken off)',
    labelNames: ['budget'],
    registers,
    collect() {
      this.reset();
      for (const budget of mux.getUsageStats().spend?.budgets ?? []) {
        if (budget.unit === 'usd') this.set({ budget: budget.name }, budget.left);
      }
    },
  });
}
