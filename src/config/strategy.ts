import { ConfigError } from '../core/errors.js';
import { describeWord } from './describe-value.js';
import { STRATEGIES, type Strategy } from './options.js';
import { closestName } from './suggest.js';

// Seed 000 names the LRU strategy in full.
const ALIASES: Readonly<Record<string, Strategy>> = { 'least-recently-used': 'lru' };

/**
 * A strategy name, spelled any of the ways users write it: `least_loaded`, `Round-Robin`, `LEAST-USED`,
 * `ROUND_ROBIN` (case, `_` or `-`, spaces around). The one parser behind the constructor, setStrategy,
 * per-call options, env vars, config files and the CLI. Anything else is a ConfigError listing the names.
 */
export function parseStrategy(value: unknown, path: string): Strategy {
  if (typeof value === 'string') {
    const name = value.trim().toLowerCase().replaceAll('_', '-');
    const found = STRATEGIES.find((s) => s === name) ?? ALIASES[name];
    if (found) return found;
  }
  const names = STRATEGIES.map((s) => `\`${s}\``).join(', ');
  const near = typeof value === 'string' ? closestName(value.replaceAll('_', '-'), STRATEGIES) : undefined;
  const hint =
    near === undefined || !/^[A-Za-z _-]+$/.test(value as string) ? '' : ` (did you mean ${near}?)`;
  const field = path.slice(path.lastIndexOf('.') + 1) || path;
  throw new ConfigError(
    path,
    `Expected \`${field}\` to be one of ${names} (any case, \`_\` or \`-\`), got ${describeWord(value)}${hint}`,
  );
}
