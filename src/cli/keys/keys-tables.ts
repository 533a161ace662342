import type { CheckedLimit, CheckedLimits, KeyCheckResult } from '../../core/key-check.js';
import type { UsageStats } from '../../stats/usage-stats.js';
import { renderTable } from '../shared/text-table.js';

/** A key as `keymux keys list --json` prints it: never its value. */
export interface ListedKey {
  readonly provider: string;
  readonly name: string;
  readonly label: string;
  readonly enabled: boolean;
  readonly limits: Readonly<Record<string, number>>;
}

/** Configured limits only: at start-up nothing is learned yet, and learned ones are not the user's. */
function configuredLimits(stats: UsageStats['providers'][string]['keys'][number]): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const [name, usage] of Object.entries(stats.limits)) {
    if (usage !== undefined && !usage.learned) limits[name] = usage.limit;
  }
  return limits;
}

export function keysListJson(stats: UsageStats, provider: string | undefined): ListedKey[] {
  return Object.entries(stats.providers)
    .filter(([name]) => provider === undefined || name === provider)
    .flatMap(([name, p]) =>
      p.keys.map((k) => ({
        provider: name,
        name: k.name,
        label: k.label,
        enabled: k.state !== 'disabled',
        limits: configuredLimits(k),
      })),
    );
}

/** `keymux keys list`: every key by provider, name and masked label, with its configured limits. */
export function keysListTable(stats: UsageStats, provider: string | undefined): string {
  const rows = keysListJson(stats, provider).map((key) => {
    const limits = Object.entries(key.limits).map(([limit, value]) => `${limit} ${value}`);
    return [
      key.provider,
      key.name,
      key.label,
      key.enabled ? 'yes' : 'no',
      limits.length === 0 ? 'none: learned from headers' : limits.join(', '),
    ];
  });
  return renderTable(['provider', 'name', 'key', 'enabled', 'limits'], rows, [
    'left',
    'left',
    'left',
    'left',
    'left',
  ]);
}

/** `keymux keys check`: each key's verdict, latency and the limits its response headers reported. */
export function keysCheckTable(results: readonly KeyCheckResult[]): string {
  const rows = results.map((r) => [
    r.provider,
    r.name,
    r.label,
    verdict(r),
    r.skipped === undefined ? `${Math.round(r.latencyMs)} ms` : '–',
    formatLimits(r.limits),
  ]);
  return renderTable(['provider', 'name', 'key', 'status', 'latency', 'limits (from headers)'], rows, [
    'left',
    'left',
    'left',
    'left',
    'right',
    'left',
  ]);
}

function verdict(r: KeyCheckResult): string {
  if (r.skipped === 'disabled') return 'skipped (disabled)';
  if (r.skipped === 'no-check') return 'skipped (no check for this provider)';
  if (r.ok) return `ok ${r.status ?? ''}`.trim();
  return `FAILED ${r.status ?? ''} ${r.failureClass ?? ''} → ${r.state}`.replace(/ +/g, ' ');
}

const LIMIT_NAMES: Record<keyof CheckedLimits, string> = {
  requests: 'r',
  tokens: 't',
  inputTokens: 'it',
  outputTokens: 'ot',
};

function formatLimits(limits: CheckedLimits | undefined): string {
  if (limits === undefined) return '–';
  return (Object.keys(LIMIT_NAMES) as Array<keyof CheckedLimits>)
    .flatMap((kind) => {
      const limit = limits[kind];
      return limit === undefined ? [] : [formatLimit(LIMIT_NAMES[kind], limit)];
    })
    .join(', ');
}

/** `rpm 500 (499 left)`: requests per minute; `tpd` tokens per day; `itpm` Anthropic's input tokens. */
function formatLimit(prefix: string, limit: CheckedLimit): string {
  const name = `${prefix}p${limit.per === 'day' ? 'd' : 'm'}`;
  const left = limit.remaining === undefined ? '' : ` (${limit.remaining} left)`;
  return `${name} ${limit.limit ?? '?'}${left}`;
}
