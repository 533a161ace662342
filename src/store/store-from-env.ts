import { ConfigError } from '../core/errors.js';
import { redisStoreFromUrl } from './redis-from-url.js';
import type { RedisStore } from './redis-store.js';

/**
 * The store the environment asks for: `KEYMUX_REDIS_URL` (a Redis store on a client keymux makes),
 * `KEYMUX_REDIS_PREFIX` (its key prefix) and `KEYMUX_PROCESSES` (how many processes share the keys, which
 * sets each one's local share while Redis is away). Undefined without a URL: the memory store.
 */
export function storeFromEnv(env: Readonly<Record<string, string | undefined>>): RedisStore | undefined {
  const url = env.KEYMUX_REDIS_URL?.trim();
  if (!url) return undefined;
  const prefix = env.KEYMUX_REDIS_PREFIX?.trim();
  const processesText = env.KEYMUX_PROCESSES?.trim();
  let processes: number | undefined;
  if (processesText) {
    processes = Number(processesText);
    if (!Number.isInteger(processes) || processes < 1) {
      throw new ConfigError(
        'KEYMUX_PROCESSES',
        `Expected an integer from 1 and up, got \`${processesText}\``,
      );
    }
  }
  return redisStoreFromUrl(url, {
    ...(prefix ? { prefix } : {}),
    ...(processes === undefined ? {} : { processes }),
  });
}
