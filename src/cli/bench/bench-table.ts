import { PRICE_TABLE_VERSION } from '../../spend/prices.js';
import { fixed, renderTable } from '../shared/text-table.js';
import type { BenchResult, ProcessGroup, RunResult } from './bench-result.js';

/** The run-by-run comparison, then how each run spread its jobs over the keys. */
export function renderBenchTables(result: BenchResult): string {
  const runs = result.runs;
  const summary = renderTable(
    [
      'run',
      'jobs ok/planned',
      'wall s',
      'req/s',
      'capacity',
      'goodput',
      'slots/key',
      'failed',
      '429s',
      'retries',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'cost',
    ],
    runs.map((r) => [
      r.name,
      `${r.jobsSucceeded}/${r.jobsPlanned}${r.stoppedBy === 'done' ? '' : '*'}`,
      fixed(r.wallMs / 1000),
      fixed(r.requestsPerSecond),
      fixed(r.capacityRps),
      r.goodputPercent === null ? '–' : `${fixed(r.goodputPercent)}%`,
      r.slots === null ? '–' : `${fixed(r.slots.finalMeanPerKey)} (max ${r.slots.peak})`,
      String(r.jobsFailed),
      String(r.upstream429),
      String(r.retries),
      String(Math.round(r.latencyMs.p50)),
      String(Math.round(r.latencyMs.p95)),
      String(Math.round(r.latencyMs.p99)),
      r.cost.usd === null ? '–' : `$${r.cost.usd.toFixed(6)}`,
    ]),
  );
  // With processes, the keys' shares of each group as a whole: one column per group, not per process.
  const totals = new Set(result.processGroups?.map((g) => g.runs.at(-1)));
  const spread = totals.size ? runs.filter((r) => totals.has(r.name)) : runs;
  const keys = [...new Set(spread.flatMap((r) => r.perKey.map((k) => k.key)))];
  const distribution = renderTable(
    ['key', ...spread.map((r) => r.name)],
    keys.map((key) => [key, ...spread.map((r) => shareCell(r, key))]),
  );
  const stopped = runs.filter((r) => r.stoppedBy !== 'done');
  const footnote = stopped.length
    ? `\n* stopped early (${stopped.map((r) => `${r.name}: ${r.stoppedBy}`).join('; ')}): rates compare, totals do not.`
    : '';
  const costNote = `\n${describeCost(runs)}`;
  const groups = result.processGroups?.length
    ? `\n\nprocesses on one set of keys\n${renderProcessGroups(result.processGroups)}`
    : '';
  return `${summary}${footnote}${costNote}\n\njobs answered per key (429s in brackets)\n${distribution}${groups}`;
}

/** `--processes`: whether any job was lost or doubled, the worst key's 429s, and the store's mode changes. */
function renderProcessGroups(groups: readonly ProcessGroup[]): string {
  return renderTable(
    [
      'processes',
      'unsettled',
      'duplicated',
      'max 429s/key',
      'Redis trips/job',
      'degraded',
      'recovered',
      'Redis outage',
    ],
    groups.map((g) => [
      g.runs.at(-1)?.replace(/: all$/, '') ?? g.store,
      String(g.jobsUnsettled),
      String(g.jobsDuplicated),
      String(g.maxLimitedPerKey),
      g.redisRoundTripsPerJob === undefined ? '–' : fixed(g.redisRoundTripsPerJob),
      String(g.storeEvents.degraded),
      String(g.storeEvents.recovered),
      g.redisOutage
        ? `${g.redisOutage.durationMs} ms at ${fixed(g.redisOutage.atMs / 1000)} s: ${g.redisOutage.limitedAround} 429s`
        : '–',
    ]),
  );
}

function shareCell(run: RunResult, key: string): string {
  const share = run.perKey.find((k) => k.key === key);
  if (!share) return '';
  return share.limited > 0 ? `${share.succeeded} (${share.limited})` : String(share.succeeded);
}

/** The capacity line printed above the table: the yardstick and what binds. */
export function describeCapacity(result: BenchResult): string {
  const c = result.capacity;
  const first = c.perKey[0];
  const binding = first?.binding ?? 'nothing';
  const perKey = first?.rps === null || first === undefined ? '–' : fixed(first.rps);
  return (
    `capacity ${fixed(c.rps)} req/s = ${c.perKey.length} keys × ${perKey} req/s ` +
    `(binding: ${binding}; ${fixed(c.tokensPerRequest)} tokens/request, ${Math.round(c.meanLatencyMs)} ms mean latency)`
  );
}

/** Where the cost column comes from, or why it is empty. */
function describeCost(runs: readonly RunResult[]): string {
  const model = runs[0]?.cost.model ?? '';
  if (runs.some((r) => r.cost.usd === null)) {
    return `cost: ${model} has no price in the price table (src/spend/price-table.json), so the runs' cost is unknown.`;
  }
  return `cost: USD of the answers' usage at ${model}'s price in the price table (PRICE_TABLE_VERSION ${PRICE_TABLE_VERSION}).`;
}
