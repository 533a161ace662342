import type { UsageStats } from '../../stats/usage-stats.js';

/** One line: what the run's calls cost at the price table, and how many had no price to count. */
export function describeRunCost(stats: UsageStats): string {
  let usd = 0;
  let calls = 0;
  let unpriced = 0;
  for (const row of stats.spend?.costs ?? []) {
    usd += row.usd;
    calls += row.calls;
    unpriced += row.unknownCalls;
  }
  const unknown =
    unpriced === 0
      ? ''
      : `; ${unpriced} of them of a model without a price, not counted (add it to \`prices\`)`;
  return `cost: $${usd.toFixed(6)} for ${calls} answered calls${unknown}`;
}
