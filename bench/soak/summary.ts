import type { LedgerView } from '../../src/emulator/index.js';
import type { Check } from './checks.js';

export interface Summary {
  readonly jobs: number;
  readonly keys: number;
  readonly elapsedMs: number;
  readonly succeeded: number;
  readonly failures: ReadonlyMap<string, number>;
  readonly samples: ReadonlyMap<string, string>;
  readonly ledger: LedgerView;
  readonly checks: readonly Check[];
}

function table(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

/** The soak's figures and verdicts, as plain-text tables (copied into the README as they are). */
export function printSummary(s: Summary): void {
  const byStatus = s.ledger.countByStatus();
  const byOutcome = new Map<string, number>();
  for (const e of s.ledger.entries()) byOutcome.set(e.outcome, (byOutcome.get(e.outcome) ?? 0) + 1);
  const failed = [...s.failures].sort((a, b) => b[1] - a[1]);
  const lines = [
    `soak: ${s.jobs} jobs over ${s.keys} keys in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    '',
    table([
      ['jobs', 'succeeded', 'failed', 'requests sent', 'ledger outcomes'],
      [
        String(s.jobs),
        String(s.succeeded),
        String(s.jobs - s.succeeded),
        String(s.ledger.size),
        [...byOutcome].map(([k, v]) => `${k} ${v}`).join(', '),
      ],
    ]),
    '',
    `failed jobs by error: ${failed.map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
    ...[...s.samples].map(([k, v]) => `  e.g. ${k}: ${v}`),
    `requests by HTTP status (0: no status line): ${Object.entries(byStatus)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
    '',
    table([
      ['check', 'result', 'detail'],
      ...s.checks.map((c) => [c.name, c.ok ? 'ok' : 'FAILED', c.detail]),
    ]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
