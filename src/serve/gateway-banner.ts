import type { UsageStats } from '../stats/usage-stats.js';

/** The start-up lines: where the gateway listens, which providers it serves with how many keys, the dashboard. */
export function gatewayBanner(
  url: string,
  stats: UsageStats,
): { readonly text: string; readonly fields: Record<string, unknown> } {
  const providers = Object.fromEntries(
    Object.entries(stats.providers)
      .filter(([, p]) => p.totalKeys > 0)
      .map(([name, p]) => [name, p.totalKeys]),
  );
  const list = Object.entries(providers)
    .map(([name, keys]) => `${name} (${keys} key${keys === 1 ? '' : 's'})`)
    .join(', ');
  return {
    text: `keymux gateway listening on ${url} with ${list || 'no keys'}; dashboard at ${url}/`,
    fields: { url, providers, dashboard: `${url}/` },
  };
}
