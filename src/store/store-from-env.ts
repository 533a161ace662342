import { ConfigError } from '../core/errors.js';
import { redisStoreFromUrl } from './redis-from-url.js';
import type { RedisStore } from './redis-store.js';

/**
 * The store the environment asks for: `KEYMUX_REDIS_URL` (a Redis store on a client keymux makes),
 * `KEYMUX_REDIS_PREFIX` (its key prefix), `KEYMUX_PROCESSES` (how many processes share the keys, which
 * sets each one's local share while Redis is away) and `KEYMUX_REDIS_STARTUP_TIMEOUT` (ms connecting and
 * loading scripts may take at start). Undefined without a URL: the memory store.
 */
export function storeFromEnv(env: Readonly<Record<string, string | undefined>>): RedisStore | undefined {
  const url = env.KEYMUX_REDIS_URL?.trim();
  if (!url) return undefined;
  const prefix = env.KEYMUX_REDIS_PREFIX?.trim();
  const processes = whole(env, 'KEYMUX_PROCESSES', 1);
  const startupTimeoutMs = whole(env, 'KEYMUX_REDIS_STARTUP_TIMEOUT', 1);
  return redisStoreFromUrl(
    url,
    {
      ...(prefix ? { prefix } : {}),
      ...(processes === undefined ? {} : { processes }),
      ...(startupTimeoutMs === undefined ? {} : { startupTimeoutMs }),
    },
    'KEYMUX_REDIS_URL',
  );
}

function whole(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  min: number,
): number | undefined {
  const text = env[name]?.trim();
  if (!text) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(name, `Expected an integer from ${min} and up, got \`${text}\``);
  return value;
}
