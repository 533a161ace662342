import { fixed, renderTable } from '../shared/text-table.js';
import type { BenchResult, RunResult } from './bench-result.js';

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
    ]),
  );
  const keys = [...new Set(runs.flatMap((r) => r.perKey.map((k) => k.key)))];
  const distribution = renderTable(
    ['key', ...runs.map((r) => r.name)],
    keys.map((key) => [key, ...runs.map((r) => shareCell(r, key))]),
  );
  const stopped = runs.filter((r) => r.stoppedBy !== 'done');
  const footnote = stopped.length
    ? `\n* stopped early (${stopped.map((r) => `${r.name}: ${r.stoppedBy}`).join('; ')}): rates compare, totals do not.`
    : '';
  return `${summary}${footnote}\n\njobs answered per key (429s in brackets)\n${distribution}`;
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
