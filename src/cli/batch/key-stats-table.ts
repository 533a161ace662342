import type { UsageStats } from '../../stats/usage-stats.js';
import { renderTable } from '../shared/text-table.js';

/** Per key of one provider: what it did during the run (masked labels only). */
export function renderKeyStats(stats: UsageStats, provider: string): string {
  const keys = stats.providers[provider]?.keys ?? [];
  return renderTable(
    [
      'key',
      'label',
      'state',
      'requests',
      'ok',
      'failed',
      '429s',
      'retries',
      'tokens in',
      'tokens out',
      'p50 ms',
      'p95 ms',
    ],
    keys.map((k) => [
      k.name,
      k.label,
      k.state,
      String(k.requests),
      String(k.successes),
      String(k.failures),
      String(k.rateLimited),
      String(k.retries),
      String(k.inputTokens),
      String(k.outputTokens),
      String(Math.round(k.latencyMs.p50)),
      String(Math.round(k.latencyMs.p95)),
    ]),
  );
}
