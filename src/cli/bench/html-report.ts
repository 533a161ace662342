import type { BenchResult, RunResult } from './bench-result.js';
import { describeCapacity, renderBenchTables } from './bench-table.js';
import { escapeHtml, lineChart } from './svg-chart.js';

/** A self-contained page: the table, the notes, and per run its throughput per key and its 429s over time. */
export function renderHtmlReport(result: BenchResult): string {
  const runs = result.runs.map(runSection).join('\n');
  const notes = result.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>keymux bench · ${escapeHtml(result.generatedAt)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:1360px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}
section{display:flex;flex-wrap:wrap;gap:1em;margin-bottom:2em}
h2{width:100%;margin-bottom:0}
</style></head><body>
<h1>keymux bench</h1>
<p><code>${escapeHtml(result.command)}</code> · ${escapeHtml(result.generatedAt)} · ${escapeHtml(result.settings.provider)} on the ${escapeHtml(result.settings.target)}</p>
<p>${escapeHtml(describeCapacity(result))}</p>
<pre>${escapeHtml(renderBenchTables(result))}</pre>
<ul>${notes}</ul>
${runs}
</body></html>
`;
}

function runSection(run: RunResult): string {
  const step = run.timeline.bucketMs / 1000;
  const perKey = Object.entries(run.timeline.perKey).map(([name, values]) => ({
    name,
    values: values.map((v) => v / step),
  }));
  const total = {
    name: 'all keys',
    values: (perKey[0]?.values ?? []).map((_, i) => perKey.reduce((sum, s) => sum + (s.values[i] ?? 0), 0)),
  };
  const capacity =
    run.capacityRps === null
      ? []
      : [{ name: 'capacity', values: total.values.map(() => run.capacityRps ?? 0) }];
  return `<section><h2>${escapeHtml(run.name)}</h2>
${lineChart([total, ...capacity], { title: 'successful requests per second', stepSeconds: step, yLabel: 'req/s' })}
${lineChart(perKey, { title: 'per key', stepSeconds: step, yLabel: 'req/s' })}
${lineChart([{ name: '429s', values: run.timeline.limited.map((v) => v / step) }], { title: 'upstream 429s per second', stepSeconds: step, yLabel: '429/s' })}
</section>`;
}
